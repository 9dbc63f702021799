"""Score papers against subscriber profiles and pick each digest.

Pure functions over numpy/scipy arrays: no ORM here, so the same code serves the
daily run, the sign-up preview and the offline evaluation (digest.evaluation).

How a paper is scored for one profile (docs/RANKING.md has the figures):

1. Anchors. Every facet of the interests text is an anchor, and so is every
   positive example (a seed paper or a "more like this" click).
2. Hybrid similarity per facet anchor: a weighted sum of the embedding cosine
   and a saturated, self-normalised BM25 score of the facet's words against the
   paper (`LexicalIndex`). Seed anchors have only a vector, so they use an
   affine map of paper-to-paper cosine onto the same scale.
3. The paper's raw relevance is the best anchor's similarity (max over facets),
   minus penalties for exclusions ("not medical imaging") and "less like this"
   papers that the paper resembles beyond a margin.
4. A fixed logistic maps raw relevance to a calibrated 0..1 score, fitted once
   on the tune half of the dev set: it reads as "probability the subscriber
   would call this paper relevant", the same across profiles and days, so a
   subscriber threshold of 0.5 means the same thing for everyone.
5. Selection: never-sent-before, threshold, then a greedy MMR that also charges
   for a facet already served, so a subscriber with three topics gets all three
   and near-duplicates (DrivAerNet, DrivAerNet++) don't crowd one digest.

Scoring is vectorised over a chunk of profiles: one dense product for all
anchors of the chunk, one sparse product for their words.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import Stemmer

# Most interests texts are a few lines; more facets than this is a pasted essay.
MAX_FACETS = 12
# Seed papers and "more like this" clicks kept per profile (the newest win).
MAX_POSITIVES = 20

# --- Hybrid similarity ---------------------------------------------------
# Weight of the embedding cosine against the lexical score in a facet's
# similarity. Tuned on the dev set's tune half with Snowball stemming: 0.5 is best;
# 0.4 and 0.6 lose about a point on both halves.
COSINE_WEIGHT = 0.5
# BM25 parameters (Lucene variant, as in bm25s).
BM25_K1 = 1.2
BM25_B = 0.75
# A paper that matches a query's IDEAL_WORDS most specific words (highest idf)
# is a full lexical match: a long facet ("initialization and parametrization of
# deep nets") must not need all its words to score, or its lexical half would
# shrink beside the cosine half as the facet grows. 2..4 are within a point.
IDEAL_WORDS = 3
# Each facet's similarity is blended with the whole profile's (all facets as
# one query): "SPLADE" alone is ambiguous, "SPLADE" among retrieval facets is not.
SUMMARY_WEIGHT = 0.5
# Seed papers: paper-to-paper cosine runs higher than query-to-paper cosine
# (two related abstracts share a lot of vocabulary), so it is shifted and scaled
# onto the facet scale before it competes with the facets.
POSITIVE_SCALE = 0.8
POSITIVE_SHIFT = -0.22
# Exclusions: hybrid similarity to an exclusion above the margin costs that
# much, times the weight: a paper squarely about an excluded topic sinks.
EXCLUSION_MARGIN = 0.25
EXCLUSION_WEIGHT = 1.5
# "Less like this": paper-to-paper cosine above the margin is penalised.
NEGATIVE_MARGIN = 0.45
NEGATIVE_WEIGHT = 1.0
# Calibration: score = 1 / (1 + exp(-(raw - CENTER) / SCALE)), fitted by
# logistic regression of the dev set's tune-half grades (>=1 = relevant) on raw.
# Changes to the hybrid weights above need a refit: see digest.evaluation.
CALIBRATION_CENTER = 0.410
CALIBRATION_SCALE = 0.041
# Upvotes are a tie-breaker only: at most this much calibrated score, reached
# at POPULARITY_SATURATION upvotes (log scale).
POPULARITY_MAX_BONUS = 0.02
POPULARITY_SATURATION = 100

# --- Selection -------------------------------------------------------------
# MMR trade-off on raw relevance: 1.0 is pure relevance, 0.5 weighs redundancy
# above DUPLICATE_MARGIN as much as relevance.
MMR_LAMBDA = 0.5
# Only paper-to-paper cosine above this margin counts as redundancy: papers on
# the same topic (cosine 0.5-0.75 with MiniLM) are what the subscriber asked for; near-duplicates
# (DrivAerNet / DrivAerNet++, ~0.9) are not.
DUPLICATE_MARGIN = 0.75
# Charged (raw scale) per paper already picked for the same facet; spreads a digest over
# a multi-topic profile without pushing in off-topic papers.
FACET_REPEAT_PENALTY = 0.01
# MMR looks at this many of the best candidates per profile (times size).
CANDIDATES_PER_PICK = 6
MIN_CANDIDATES = 30
# Profiles scored at once inside `rank`: bounds memory (profiles x anchors x papers).
SCORE_BLOCK = 256

# --- Text -----------------------------------------------------------------
_LINE_SPLIT = re.compile(r"[\n;]+|(?<=[.!?])\s+(?=[A-Z*\-•·\d])")
_BULLET = re.compile(r"^\s*(?:[-*•·+]|\d+[.)])\s*")
# "not medical imaging", "no NAS", "without surveys", "except RL", "exclude X".
_NEGATION = re.compile(
    r"^(?:not|no|without|except|excluding|exclude|minus|but not|nothing on|avoid)\b[\s:]*", re.I
)
# A line is a list when it has two or more comma-separated items and none is
# longer than this: "optimizers, normalization layers, initialization and
# parametrization" is a list of topics; a prose sentence with a comma is not.
LIST_ITEM_MAX_WORDS = 12
# "how to train deep nets well: optimizers, ..." -> a head facet, then the list.
_HEAD = re.compile(r"^([^:()]{3,80}):\s+(?=\S)")
_ITEM_SEPARATOR = re.compile(r",|\s+/\s+|\|")
_LEADING_JOIN = re.compile(r"^(?:and|or|&|as well as|plus)\s+", re.I)
_LAST_ITEM_JOIN = re.compile(r"\s+(?:and|or|nor|&)\s+", re.I)
_PARENTHESES = re.compile(r"\(([^()]*)\)")


def _split_top_level(line: str) -> list[str]:
    """Split on item separators outside parentheses: "embeddings (skip-gram, GloVe)" stays whole."""
    items, depth, start = [], 0, 0
    for match in re.finditer(r"[()]|" + _ITEM_SEPARATOR.pattern, line):
        token = match.group()
        if token == "(":
            depth += 1
        elif token == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            items.append(line[start : match.start()])
            start = match.end()
    items.append(line[start:])
    return [item.strip() for item in items if item.strip()]


def _split_items(line: str) -> list[str]:
    items = [_LEADING_JOIN.sub("", item) for item in _split_top_level(line)]
    if len(items) >= 2 and all(len(item.split()) <= LIST_ITEM_MAX_WORDS for item in items):
        # "pruning, quantization and distillation": the last "and" joins items too.
        # Not "masked or replaced-token objectives": a lone word before the
        # "or" usually shares the noun that follows ("masked objectives").
        last = _LAST_ITEM_JOIN.split(items[-1])
        lengths = {len(part.split()) for part in last}
        if max(lengths) <= 3 and (len(lengths) == 1 or min(lengths) >= 2):
            items = items[:-1] + last
        return items
    return [line]


def _split_parts(text: str) -> list[str]:
    """Lines, bullets, semicolons, sentences, then "head: list" and comma lists."""
    pieces = []
    for part in _LINE_SPLIT.split(text or ""):
        part = _BULLET.sub("", part).strip(" \t,.:")
        if not part:
            continue
        head = _HEAD.match(part)
        if head:
            pieces.append(head.group(1))
            part = part[head.end() :]
        pieces.extend(_split_items(part))
    return [piece.strip(" \t,.:") for piece in pieces]


def split_facets(text: str) -> list[str]:
    """Interests text -> distinct topics (lines, bullets, semicolons, sentences, lists).

    A piece with no content words ("I work on", "anything") is not a topic.
    """
    facets, seen = [], set()
    for facet in _split_parts(text):
        if len(facet) >= 2 and facet.lower() not in seen and tokenize(facet):
            seen.add(facet.lower())
            facets.append(facet)
    return facets[:MAX_FACETS]


def split_exclusions(text: str) -> list[str]:
    """'not medical imaging, no NAS or surveys' -> ['medical imaging', 'NAS', 'surveys'].

    Each exclusion is matched as a phrase (see LexicalIndex.phrase_present), so
    alternatives are split apart: "state space models (S4, Mamba)" excludes
    each of the three, not the five-word sequence.
    """
    out, seen = [], set()
    for piece in _split_parts(text):
        piece = _NEGATION.sub("", piece).strip(" \t,.:")
        inner = [item for group in _PARENTHESES.findall(piece) for item in _split_top_level(group)]
        piece = _PARENTHESES.sub(" ", piece)
        for part in [*_LAST_ITEM_JOIN.split(piece), *inner]:
            part = " ".join(_NEGATION.sub("", part.strip()).split()).strip(" \t,.:")
            if len(part) >= 2 and tokenize(part) and part.lower() not in seen:
                seen.add(part.lower())
                out.append(part)
    return out[:MAX_FACETS]


# English stopwords plus the words people use to *describe* an interest rather
# than to name it ("I work on", "anything about", "papers on").
STOPWORDS = frozenset(
    """a about above after again against all also am an and any anything are as at be because been before being
    below between both but by can could did do does doing down during each etc even ever every few for from further
    had has have having he her here hers him his how i if in into is it its itself just like likes me more most my
    myself no nor not now of off on once only or other others our ours out over own same she should so some such
    than that the their theirs them then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours
    interest interests interested interesting work working works want wants paper papers research researcher
    topic topics relevant especially particularly mostly mainly things thing stuff new latest recent lately
    everything something anyone someone cool nice love enjoy please send mail digest daily keen focus
    area areas field fields related""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+")


_stemmers = threading.local()


def _stem_words(words: list[str]) -> list[str]:
    # Snowball (English) folds "retrieval"/"retrieve", "quantization"/"quantized":
    # +1.8 nDCG@10 points on both dev-set halves over plural folding alone, and
    # it keeps "sparse"/"sparsity" apart. One stemmer per thread: PyStemmer
    # objects are not safe to share between threads.
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = Stemmer.Stemmer("english")
    return stemmer.stemWords(words)


@functools.lru_cache(maxsize=65536)
def tokenize(text: str) -> tuple[str, ...]:
    return tuple(_stem_words([t for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]))


class LexicalIndex:
    """BM25 (bm25s, Lucene variant) as a sparse matrix: vocab x papers.

    A facet's lexical score for every paper is then one sparse product. Scores
    are divided by the facet's ideal score (its IDEAL_WORDS most specific words
    present once in a paper of average length: the sum of their idf), then
    saturated with 1 - exp(-x), so a facet's lexical score is in 0..1 whatever
    its length.
    """

    def __init__(self, texts: Sequence[str]):
        import bm25s

        corpus = [list(tokenize(text)) or ["\0"] for text in texts]
        self._tokens = corpus
        retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene")
        retriever.index(corpus, show_progress=False)
        scores = retriever.scores
        self.n_docs = int(scores["num_docs"])
        terms = len(scores["indptr"]) - 1
        # bm25s adds an empty-string entry past the last scored token; drop it.
        self.vocab: dict[str, int] = {t: i for t, i in retriever.vocab_dict.items() if t and i < terms}
        # bm25s stores one row per token (CSR over tokens, columns are papers).
        self.weights = sp.csr_matrix(
            (scores["data"], scores["indices"], scores["indptr"]),
            shape=(terms, self.n_docs),
            dtype=np.float32,
        )
        df = np.diff(self.weights.indptr).astype(np.float64)
        self.idf = np.log1p((self.n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        # A query word no paper contains still counts in the ideal: a facet's
        # score must not rise on days when half its words are absent.
        self.unseen_idf = float(math.log1p((self.n_docs + 0.5) / 0.5))

    def query_matrix(self, queries: Sequence[str]) -> sp.csr_matrix:
        """queries x vocab, each row's weights summing to 1/ideal per present word."""
        indptr, indices, data = [0], [], []
        for query in queries:
            words = dict.fromkeys(tokenize(query))
            ids = [self.vocab[w] for w in words if w in self.vocab]
            idf = sorted(
                [*self.idf[ids].tolist(), *[self.unseen_idf] * (len(words) - len(ids))], reverse=True
            )
            ideal = float(sum(idf[:IDEAL_WORDS]))
            if ids and ideal > 0:
                indices.extend(ids)
                data.extend([1.0 / ideal] * len(ids))
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
            shape=(len(queries), self.weights.shape[0]),
        )

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """(queries, papers) lexical scores in 0..1."""
        raw = (self.query_matrix(queries) @ self.weights).toarray()
        return -np.expm1(-raw, dtype=np.float32)

    @functools.cached_property
    def _bigram_index(self) -> tuple[dict[tuple[str, str], int], sp.csr_matrix]:
        """Adjacent word pairs per paper (pairs x papers, 1 where present); built on the first phrase check."""
        bigrams: dict[tuple[str, str], int] = {}
        rows, cols = [], []
        for column, words in enumerate(self._tokens):
            for pair in set(zip(words, words[1:], strict=False)):
                rows.append(bigrams.setdefault(pair, len(bigrams)))
                cols.append(column)
        presence = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(bigrams), len(self._tokens))
        )
        return bigrams, presence

    def phrase_present(self, phrases: Sequence[str]) -> np.ndarray:
        """(phrases, papers) True where the paper has the phrase's words in order, adjacent.

        "dataset distillation" must not match every paper that says "distillation"
        and, somewhere else, "dataset". Stopwords are dropped on both sides, so
        "state of the art" matches "state-of-the-art".
        """
        present = np.zeros((len(phrases), self.n_docs), dtype=bool)
        for row, phrase in enumerate(phrases):
            words = tokenize(phrase)
            if len(words) == 1:
                matrix, keys = self.weights, [self.vocab.get(words[0])]
            else:
                bigrams, matrix = self._bigram_index
                keys = [bigrams.get(pair) for pair in zip(words, words[1:], strict=False)]
            if not keys or None in keys:
                continue  # a word or pair that no paper has
            present[row] = np.asarray((matrix[keys] > 0).sum(axis=0)).ravel() >= len(keys)
        return present


@dataclass
class PaperSet:
    """The candidate papers of one run, loaded once and shared by every profile."""

    ids: np.ndarray  # (n,) int64 paper ids
    titles: list[str]
    texts: list[str]  # title + abstract
    vectors: np.ndarray  # (n, d) float32 unit rows
    upvotes: np.ndarray  # (n,) float32, 0 where unknown
    _lexical: LexicalIndex | None = field(default=None, repr=False, compare=False)
    _column: dict[int, int] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def lexical(self) -> LexicalIndex:
        """Built on first use, then shared by every profile scored against this set."""
        if self._lexical is None:
            self._lexical = LexicalIndex(self.texts)
        return self._lexical

    def column(self, paper_id: int) -> int | None:
        if self._column is None:
            self._column = {int(pid): i for i, pid in enumerate(self.ids)}
        return self._column.get(int(paper_id))

    @functools.cached_property
    def popularity(self) -> np.ndarray:
        """Bounded tie-breaker from upvotes, 0..POPULARITY_MAX_BONUS."""
        upvotes = np.clip(np.nan_to_num(np.asarray(self.upvotes, dtype=np.float32)), 0, None)
        return (
            POPULARITY_MAX_BONUS * np.minimum(1.0, np.log1p(upvotes) / math.log1p(POPULARITY_SATURATION))
        ).astype(np.float32)


@dataclass
class Profile:
    key: int
    facets: list[str]
    facet_vectors: np.ndarray  # (f, d)
    exclusions: list[str] = field(default_factory=list)
    exclusion_vectors: np.ndarray | None = None  # (e, d)
    # Seed papers and "more like this" papers, with a label for "why".
    positive_labels: list[str] = field(default_factory=list)
    positive_vectors: np.ndarray | None = None  # (p, d)
    negative_vectors: np.ndarray | None = None  # (q, d)
    size: int = 5
    threshold: float = 0.0
    exclude_ids: frozenset[int] = frozenset()
    # The whole interests text, embedded: context shared by every facet.
    summary: str = ""
    summary_vector: np.ndarray | None = None  # (d,)


@dataclass(frozen=True)
class Pick:
    paper_id: int
    score: float
    why: str


def _rows(matrix: np.ndarray | None, dim: int) -> np.ndarray:
    if matrix is None or not len(matrix):
        return np.zeros((0, dim), dtype=np.float32)
    return np.asarray(matrix, dtype=np.float32).reshape(-1, dim)


def build_profile(
    *,
    key,
    interests: str,
    exclusions: str = "",
    positives: Iterable[tuple[str, np.ndarray]] = (),
    negatives: Iterable[np.ndarray] = (),
    size: int = 5,
    threshold: float = 0.0,
    exclude_ids: Iterable[int] = frozenset(),
    embed: Callable[[list[str]], np.ndarray] | None = None,
) -> Profile:
    """One path from what a subscriber wrote (and clicked) to a scorable Profile.

    positives: (label, unit vector) for seed papers and "more like this" clicks,
    oldest first; negatives: vectors of "less like this" papers.
    """
    if embed is None:
        from digest.embedding import embed_texts as embed
    facets = split_facets(interests)
    excluded = split_exclusions(exclusions)
    summary = " ".join(facets)
    texts = facets + excluded + ([summary] if len(facets) > 1 else [])
    vectors = np.asarray(embed(texts), dtype=np.float32) if texts else None
    dim = vectors.shape[1] if vectors is not None and vectors.ndim == 2 else None
    positives = list(positives)[-MAX_POSITIVES:]
    negatives = [np.asarray(v, dtype=np.float32) for v in negatives][-MAX_POSITIVES:]
    if dim is None:
        sample = [v for _, v in positives] + negatives
        dim = len(sample[0]) if sample else 0
    empty = np.zeros((0, dim), dtype=np.float32)
    return Profile(
        key=key,
        facets=facets,
        facet_vectors=vectors[: len(facets)] if vectors is not None else empty,
        exclusions=excluded,
        exclusion_vectors=vectors[len(facets) : len(facets) + len(excluded)]
        if vectors is not None
        else empty,
        positive_labels=[label for label, _ in positives],
        positive_vectors=np.vstack([np.asarray(v, dtype=np.float32) for _, v in positives])
        if positives
        else empty,
        negative_vectors=np.vstack(negatives) if negatives else empty,
        size=size,
        threshold=threshold,
        exclude_ids=frozenset(int(i) for i in exclude_ids),
        summary=summary,
        summary_vector=(vectors[-1] if len(facets) > 1 else vectors[0]) if facets else None,
    )


def calibrate(raw: np.ndarray) -> np.ndarray:
    """Raw relevance -> 0..1, a fixed logistic (see CALIBRATION_*)."""
    return (1.0 / (1.0 + np.exp(-(raw - CALIBRATION_CENTER) / CALIBRATION_SCALE))).astype(np.float32)


@dataclass
class Scores:
    """Scores of a block of profiles against one PaperSet."""

    calibrated: np.ndarray  # (profiles, papers) 0..1, popularity included
    raw: np.ndarray  # (profiles, papers) before calibration, for refitting it
    best_anchor: np.ndarray  # (profiles, papers) index into anchor_labels[profile]
    anchor_labels: list[list[str]]


def score_profiles(papers: PaperSet, profiles: Sequence[Profile]) -> Scores:
    """Calibrated scores for a block of profiles: one dense and one sparse product."""
    n, dim = len(papers), papers.vectors.shape[1]
    count = len(profiles)
    labels: list[list[str]] = []
    facet_text: list[str] = []
    anchor_vec: list[np.ndarray] = []
    penalty_text: list[str] = []
    penalty_vec: list[np.ndarray] = []
    facet_counts, positive_counts, exclusion_counts, negative_counts = [], [], [], []
    for profile in profiles:
        facets = _rows(profile.facet_vectors, dim)
        positives = _rows(profile.positive_vectors, dim)
        exclusions = _rows(profile.exclusion_vectors, dim)
        negatives = _rows(profile.negative_vectors, dim)
        labels.append(
            list(profile.facets[: len(facets)]) + [f"like: {label}" for label in profile.positive_labels]
        )
        facet_text.extend(profile.facets[: len(facets)])
        penalty_text.extend(profile.exclusions[: len(exclusions)])
        anchor_vec += [facets, positives]
        penalty_vec += [exclusions, negatives]
        facet_counts.append(len(facets))
        positive_counts.append(len(positives))
        exclusion_counts.append(len(exclusions))
        negative_counts.append(len(negatives))
    facet_counts = np.asarray(facet_counts, dtype=np.int64)
    positive_counts = np.asarray(positive_counts, dtype=np.int64)
    exclusion_counts = np.asarray(exclusion_counts, dtype=np.int64)
    negative_counts = np.asarray(negative_counts, dtype=np.int64)

    # Anchors, in profile order: each profile's facets then its positives.
    anchors = np.vstack(anchor_vec) if anchor_vec else np.zeros((0, dim), dtype=np.float32)
    is_facet = np.concatenate(
        [
            np.r_[np.ones(f, bool), np.zeros(p, bool)]
            for f, p in zip(facet_counts, positive_counts, strict=True)
        ]
        or [np.zeros(0, bool)]
    )
    sims = anchors @ papers.vectors.T  # (anchors, papers)
    sims[~is_facet] = POSITIVE_SCALE * sims[~is_facet] + POSITIVE_SHIFT
    if is_facet.any():
        lexical = papers.lexical.scores(facet_text)
        sims[is_facet] = COSINE_WEIGHT * sims[is_facet] + (1 - COSINE_WEIGHT) * lexical

    if SUMMARY_WEIGHT and is_facet.any():
        # Each facet is read in the context of the whole profile.
        has = np.asarray([p.summary_vector is not None and len(p.facets) > 0 for p in profiles])
        whole_vec = np.vstack([p.summary_vector for p, h in zip(profiles, has, strict=True) if h]).astype(
            np.float32
        )
        whole = COSINE_WEIGHT * (whole_vec @ papers.vectors.T) + (1 - COSINE_WEIGHT) * papers.lexical.scores(
            [p.summary for p, h in zip(profiles, has, strict=True) if h]
        )
        row_of = np.cumsum(has) - 1
        facet_owner = np.repeat(np.arange(count), facet_counts)
        sims[is_facet] = (1 - SUMMARY_WEIGHT) * sims[is_facet] + SUMMARY_WEIGHT * whole[row_of[facet_owner]]

    # Pad to (profiles, max anchors, papers) so max/argmax run in one call.
    per_profile = facet_counts + positive_counts
    width = max(int(per_profile.max(initial=0)), 1)
    padded = np.full((count, width, n), -np.inf, dtype=np.float32)
    owner = np.repeat(np.arange(count), per_profile)
    slot = np.arange(len(owner)) - np.repeat(np.cumsum(per_profile) - per_profile, per_profile)
    padded[owner, slot] = sims
    best_anchor = padded.argmax(axis=1)
    raw = padded.max(axis=1)
    raw[per_profile == 0] = -1.0

    # Penalties: exclusions (hybrid, like facets) and "less like this" (cosine).
    pen_rows = np.vstack(penalty_vec) if penalty_vec else np.zeros((0, dim), dtype=np.float32)
    if len(pen_rows):
        is_exclusion = np.concatenate(
            [
                np.r_[np.ones(e, bool), np.zeros(q, bool)]
                for e, q in zip(exclusion_counts, negative_counts, strict=True)
            ]
        )
        pen = pen_rows @ papers.vectors.T
        if is_exclusion.any():
            # An exclusion's words count only where they appear as the phrase.
            lexical = papers.lexical.scores(penalty_text) * papers.lexical.phrase_present(penalty_text)
            pen[is_exclusion] = COSINE_WEIGHT * pen[is_exclusion] + (1 - COSINE_WEIGHT) * lexical
            pen[is_exclusion] = EXCLUSION_WEIGHT * np.clip(pen[is_exclusion] - EXCLUSION_MARGIN, 0, None)
        pen[~is_exclusion] = NEGATIVE_WEIGHT * np.clip(pen[~is_exclusion] - NEGATIVE_MARGIN, 0, None)
        per_profile = exclusion_counts + negative_counts
        # Rows are contiguous per profile: one reduceat gives each profile's max.
        has = per_profile > 0
        starts = (np.cumsum(per_profile) - per_profile)[has]
        penalty = np.zeros((count, n), dtype=np.float32)
        penalty[has] = np.maximum.reduceat(pen, starts, axis=0)
        raw = raw - penalty

    calibrated = np.clip(calibrate(raw) + papers.popularity, 0.0, 1.0)
    return Scores(calibrated=calibrated, raw=raw, best_anchor=best_anchor, anchor_labels=labels)


def score_profile(papers: PaperSet, profile: Profile) -> tuple[np.ndarray, list[str]]:
    """Return (calibrated scores (n,), why per paper) for one profile."""
    scores = score_profiles(papers, [profile])
    labels = scores.anchor_labels[0] or [""]
    return scores.calibrated[0], [labels[a] if a < len(labels) else "" for a in scores.best_anchor[0]]


def select(
    papers: PaperSet,
    profile: Profile,
    scores: np.ndarray,
    best_anchor: np.ndarray,
    labels: list[str],
    raw: np.ndarray | None = None,
) -> list[Pick]:
    """Never-sent-before, threshold, then MMR with a facet-repeat charge, up to the profile's size.

    scores are calibrated (threshold, Pick.score); MMR trades off on raw relevance,
    where the logistic has not flattened the top of the list.
    """
    if not labels:  # nothing to match: no facets, no seeds
        return []
    scores = scores.copy()
    raw = scores if raw is None else raw
    for paper_id in profile.exclude_ids:
        column = papers.column(paper_id)
        if column is not None:
            scores[column] = -np.inf
    scores[scores < profile.threshold] = -np.inf
    size = max(0, int(profile.size))
    if not size or not len(scores):
        return []
    limit = min(len(scores), max(size * CANDIDATES_PER_PICK, MIN_CANDIDATES))
    candidates = np.argpartition(-scores, limit - 1)[:limit]
    candidates = candidates[np.isfinite(scores[candidates])]
    candidates = candidates[np.argsort(-scores[candidates], kind="stable")]
    if not len(candidates):
        return []
    vectors = papers.vectors[candidates]
    similarity = vectors @ vectors.T
    relevance = raw[candidates] + papers.popularity[candidates] * CALIBRATION_SCALE
    anchors = best_anchor[candidates]
    redundancy = np.zeros(len(candidates), dtype=np.float32)
    served = np.zeros(max(int(anchors.max()) + 1, 1), dtype=np.float32)
    open_ = np.ones(len(candidates), dtype=bool)
    chosen: list[int] = []
    while len(chosen) < size and open_.any():
        if chosen:
            mmr = (
                MMR_LAMBDA * relevance
                - (1 - MMR_LAMBDA) * redundancy
                - FACET_REPEAT_PENALTY * served[anchors]
            )
        else:
            mmr = relevance.copy()
        mmr[~open_] = -np.inf
        best = int(np.argmax(mmr))
        chosen.append(best)
        open_[best] = False
        redundancy = np.maximum(redundancy, np.clip(similarity[best] - DUPLICATE_MARGIN, 0, None))
        served[anchors[best]] += 1
    picks = []
    for index in chosen:
        column = int(candidates[index])
        anchor = int(anchors[index])
        picks.append(
            Pick(
                int(papers.ids[column]), float(scores[column]), labels[anchor] if anchor < len(labels) else ""
            )
        )
    return picks


def rank(papers: PaperSet, profiles: list[Profile]) -> dict[int, list[Pick]]:
    """Digest picks for each profile, keyed by Profile.key; scored SCORE_BLOCK profiles at a time."""
    picks: dict[int, list[Pick]] = {}
    if not len(papers):
        return {profile.key: [] for profile in profiles}
    for start in range(0, len(profiles), SCORE_BLOCK):
        block = profiles[start : start + SCORE_BLOCK]
        scores = score_profiles(papers, block)
        for row, profile in enumerate(block):
            picks[profile.key] = select(
                papers,
                profile,
                scores.calibrated[row],
                scores.best_anchor[row],
                scores.anchor_labels[row],
                scores.raw[row],
            )
    return picks
