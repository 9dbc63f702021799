"""The daily run's fast path of `rank`: the same picks, at a cost in distinct texts, not readers.

digest.ranking.selection.rank is the reference: per block of profiles it
embeds-and-scores every facet of every reader (one dense and one sparse product
per anchor) and runs MMR per reader in Python. Readers share topics (the bench's
100,000 readers have ~11,600 distinct facet texts), so `rank_batch`:

1. keeps, per PaperSet, one row of `score.hybrid` similarity for each distinct
   (text, vector) of a facet, and one row of `score.exclusion_penalty` for each
   distinct exclusion (`TextRows`), once a second reader needs it: a shared row
   is computed at most twice per day and process, a reader's own rows (facets
   moved by its clicks) are computed and dropped;
2. computes each reader's whole-profile rows per block (a summary is seldom
   shared): one dense product whose cosines serve both the facets' context
   (`score.hybrid`) and the whole query (`score.whole_query`), and one
   sparse-by-dense product for their lexical and BM25 rows
   (`LexicalIndex.scores_and_bm25`); the liked papers' vector and words
   (`score.liked_evidence`) likewise;
3. combines them per reader with elementwise operations only
   (`score.facet_similarity`, max over anchors, seed papers' rows, penalties,
   `score.calibrated_scores`), for a block of readers sorted by facet count so
   that "readers with a j-th facet" is a slice; the reader's own queries order
   the papers without being calibrated (Scores.relevance);
4. selects for the whole block at once: one argpartition per candidate limit,
   then MMR step by step across the block (`selection.mmr_value`,
   `selection.redundancy_after`), instead of a Python loop per reader.

Keying rows by the exact vector as well as the text keeps this exact for
readers whose clicks moved their vectors (Rocchio, digest.ranking.profile):
theirs are simply rows of their own. tests/digest/ranking/test_batch.py asserts
that rank_batch and rank make the same picks (ids, order, why, scores to float
tolerance) on the dev set, with exclusions, seeds and clicks.

When the ranking method changes, update this module with it:
- a formula inside a building block (score.hybrid, in_context, facet_similarity,
  positive_similarity, exclusion_penalty, calibrated_scores; selection's
  candidate_limit, mmr_relevance, mmr_value, redundancy_after) needs nothing here;
- a new per-text term: compute it in TextRows._compute (per distinct text);
- a new per-reader term (like the summary or facet_bias): add it in
  _block_scores, where each reader's rows are combined, or route the readers
  that have it to `rank` (exact by definition) if they are rare;
- a change to how score_profiles composes anchors (their order, the max, the
  -1.0 of a profile without anchors) or to select's steps (exclude ids,
  threshold, candidates, the MMR loop): mirror it in _block_scores / _select.
The equality test fails until both agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from digest.ranking.papers import PaperSet
from digest.ranking.profile import Profile
from digest.ranking.score import (
    POSITIVE_LIFT,
    calibrated_scores,
    exclusion_penalty,
    facet_similarity,
    hybrid,
    liked_evidence,
    positive_similarity,
    vector_rows,
    whole_query,
)
from digest.ranking.selection import (
    Pick,
    candidate_limit,
    mmr_relevance,
    mmr_value,
    redundancy_after,
)

# Readers combined and selected at once: bounds memory (a few (BLOCK, papers)
# arrays) while amortising numpy's per-call cost.
BLOCK = 256
# Rows of distinct texts kept per process (both kinds), so a worker's memory is
# flat in readers: the bench's 100,000 readers have 9,500 distinct facets
# (76 MB of rows against 2,000 papers); past the budget the rows start again
# from empty at the next call, never inside one.
ROWS_BUDGET_BYTES = 128 * 2**20
# What one seen-once key costs in a set of ints (the int and its slot), counted in that budget.
SEEN_KEY_BYTES = 64
# MMR needs the cosine of each pick to the reader's other candidates. Up to
# this many papers, the PaperSet's whole paper-by-paper cosine matrix is kept
# (4,096 papers: 64 MB) and each step is a gather; past it (a weekly reader's
# window), each step multiplies the candidates' vectors.
GRAM_MAX_PAPERS = 4096


def _keys(texts: Sequence[str], vectors: np.ndarray) -> list[tuple[str, bytes]]:
    """(text, the vector's bytes) per row: equal keys have bitwise equal rows."""
    blob, width = vectors.tobytes(), vectors.shape[1] * vectors.itemsize
    return [(text, blob[i * width : (i + 1) * width]) for i, text in enumerate(texts)]


class TextRows:
    """One row per distinct (text, vector) against one PaperSet: hybrid similarity, or exclusion penalty."""

    def __init__(self, papers: PaperSet, *, penalty: bool):
        self.papers = papers
        self.penalty = penalty
        self._index: dict[tuple[str, bytes], int] = {}
        # Hashes of the keys computed once and not kept: a second sighting keeps the row.
        self._seen: set[int] = set()
        self.matrix = np.zeros((0, len(papers)), dtype=np.float32)
        self.count = 0

    @property
    def nbytes(self) -> int:
        # The seen-once hashes count too: one per reader's own row, they grow with readers.
        return self.matrix.nbytes + SEEN_KEY_BYTES * len(self._seen)

    def rows(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """(texts, papers): the rows of these (text, vector) pairs, computing those not kept.

        A row is kept once a second reader needs it: facets are shared across
        readers, while a reader's own rows (facets moved by its clicks) would
        only fill the budget, and memory would grow with readers.
        """
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        keys = _keys(texts, vectors)
        known = [self._index.get(key) for key in keys]
        out = np.empty((len(keys), len(self.papers)), dtype=np.float32)
        fresh: dict[tuple[str, bytes], list[int]] = {}
        for position, (key, row) in enumerate(zip(keys, known, strict=True)):
            if row is None:
                fresh.setdefault(key, []).append(position)
        if fresh:
            first = [at[0] for at in fresh.values()]
            computed = self._compute([texts[i] for i in first], vectors[first])
            out[[i for at in fresh.values() for i in at]] = computed[
                [n for n, at in enumerate(fresh.values()) for _ in at]
            ]
            keep = [n for n, (key, at) in enumerate(fresh.items()) if len(at) > 1 or hash(key) in self._seen]
            self._seen.update(hash(key) for key in fresh)
            if keep:
                kept = list(fresh)
                for number, n in enumerate(keep, start=self.count):
                    self._index[kept[n]] = number
                self._append(computed[keep])
        hits = [(position, row) for position, row in enumerate(known) if row is not None]
        if hits:
            out[[position for position, _ in hits]] = self.matrix[[row for _, row in hits]]
        return out

    def _compute(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        cosine = np.asarray(vectors, dtype=np.float32) @ self.papers.vectors.T
        lexical = self.papers.lexical
        if self.penalty:
            return exclusion_penalty(cosine, lexical.scores(texts), lexical.phrase_present(texts))
        return hybrid(cosine, lexical.scores(texts))

    def _append(self, rows: np.ndarray) -> None:
        needed = self.count + len(rows)
        if needed > len(self.matrix):  # grow geometrically: appends stay amortised O(rows)
            grown = np.zeros((max(needed, 2 * len(self.matrix), 64), self.matrix.shape[1]), dtype=np.float32)
            grown[: self.count] = self.matrix[: self.count]
            self.matrix = grown
        self.matrix[self.count : needed] = rows
        self.count = needed


class Day:
    """What rank_batch keeps per PaperSet: the rows of distinct texts, and the papers' cosines for MMR."""

    def __init__(self, papers: PaperSet):
        self.papers = papers
        self.facets = TextRows(papers, penalty=False)
        self.exclusions = TextRows(papers, penalty=True)
        self._gram: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return self.facets.nbytes + self.exclusions.nbytes

    def cosines(self, picked: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """(readers, candidates): cosine of each reader's picked column to each of its candidate columns."""
        vectors = self.papers.vectors
        if len(vectors) > GRAM_MAX_PAPERS:
            return np.einsum("rcd,rd->rc", vectors[candidates], vectors[picked])
        if self._gram is None:
            self._gram = vectors @ vectors.T
        return self._gram[picked[:, None], candidates]


# The Days of the PaperSets ranked last in this process: every chunk task of a
# day ranks against the same PaperSet (digest.candidates keeps it per process).
_days: dict[int, Day] = {}
_DAYS_KEPT = 2


def _day(papers: PaperSet) -> Day:
    """This PaperSet's Day, kept while it is in use and its rows fit ROWS_BUDGET_BYTES."""
    day = _days.get(id(papers))
    if day is not None and day.papers is papers and day.nbytes <= ROWS_BUDGET_BYTES:
        return day
    _days.pop(id(papers), None)
    while len(_days) >= _DAYS_KEPT:  # the oldest goes
        del _days[next(iter(_days))]
    day = _days[id(papers)] = Day(papers)
    return day


def rank_batch(papers: PaperSet, profiles: list[Profile]) -> dict[int, list[Pick]]:
    """Digest picks for each profile, keyed by Profile.key: what `rank` returns, computed per distinct text."""
    if not len(papers):
        return {profile.key: [] for profile in profiles}
    dim = papers.vectors.shape[1]
    facets = [vector_rows(p.facet_vectors, dim) for p in profiles]
    # Sorted by facet count (most first), a block's readers with a j-th facet are a prefix.
    order = sorted(range(len(profiles)), key=lambda i: -len(facets[i]))
    day = _day(papers)
    picks: dict[int, list[Pick]] = {}
    for start in range(0, len(order), BLOCK):
        block = [profiles[i] for i in order[start : start + BLOCK]]
        block_facets = [facets[i] for i in order[start : start + BLOCK]]
        raw, relevance, best = _block_scores(day, block, block_facets)
        picks.update(_select(day, block, [len(f) for f in block_facets], raw, relevance, best))
    return {profile.key: picks[profile.key] for profile in profiles}


def _block_scores(
    day: Day, block: list[Profile], facets: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(raw, relevance, best anchor), each (readers, papers), as score_profiles computes them.

    block is sorted by facet count, most first; facets are its readers' facet
    vectors. Anchors are each reader's facets then its seed papers; raw is the
    best anchor's calibrated evidence; relevance orders the papers (facets plus
    the reader's whole and liked queries, seeds plus POSITIVE_LIFT), and the
    best anchor is the first with the highest relevance.
    """
    papers, facet_rows, exclusion_rows = day.papers, day.facets, day.exclusions
    n, dim = len(papers), papers.vectors.shape[1]
    widths = np.asarray([len(f) for f in facets], dtype=np.intp)
    with_facets = int(np.count_nonzero(widths))
    # Readers with facets get every column at their first facet; the others start at -inf.
    raw = np.empty((len(block), n), dtype=np.float32)
    relevance = np.empty((len(block), n), dtype=np.float32)
    raw[with_facets:] = relevance[with_facets:] = -np.inf
    # Anchor numbers are below MAX_FACETS + MAX_POSITIVES: int16 moves a quarter of the bytes intp does.
    best = np.zeros((len(block), n), dtype=np.int16)
    if with_facets:
        if any(block[r].summary_vector is None for r in range(with_facets)):
            raise ValueError("a profile with facets needs its summary_vector (build_profile sets it)")
        facet_table = facet_rows.rows(
            [t for p, f in zip(block, facets, strict=False) for t in p.facets[: len(f)]],
            np.vstack(facets[:with_facets]),
        )
        summary_vectors = np.vstack(
            [np.asarray(p.summary_vector, dtype=np.float32) for p in block[:with_facets]]
        )
        summaries = [p.summary for p in block[:with_facets]]
        # A summary is the reader's own (seldom shared): its rows are computed for the block,
        # one dense product whose cosines serve both the whole-profile rows and the whole query.
        cosine = summary_vectors @ papers.vectors.T
        lexical, bm25 = papers.lexical.scores_and_bm25(summaries)
        whole = hybrid(cosine, lexical)
        # The reader's own queries: the whole one, and its liked papers.
        boost = whole_query(cosine, bm25)
        liked = [
            r for r, p in enumerate(block[:with_facets]) if p.liked_vector is not None and p.liked_count > 0
        ]
        if liked:
            boost[liked] += liked_evidence(papers, [block[r] for r in liked])
        starts = np.cumsum(widths[:with_facets]) - widths[:with_facets]
        bias = np.zeros((with_facets, int(widths[0])), dtype=np.float32)
        for r, profile in enumerate(block[:with_facets]):
            if profile.facet_bias is not None:
                values = np.asarray(profile.facet_bias, dtype=np.float32)[: widths[r]]
                bias[r, : len(values)] = values
        better = np.empty((with_facets, n), dtype=bool)
        for j in range(int(widths[0])):
            have = int(np.count_nonzero(widths > j))  # readers with a j-th facet: a prefix
            similarity = facet_similarity(facet_table[starts[:have] + j], whole[:have], bias[:have, j])
            if j == 0:
                raw[:have] = similarity
                np.add(similarity, boost[:have], out=relevance[:have])
                continue
            np.maximum(raw[:have], similarity, out=raw[:have])
            ordered = np.add(similarity, boost[:have], out=similarity)  # similarity is not needed again
            # The first anchor wins a tie, as argmax does in score_profiles.
            np.greater(ordered, relevance[:have], out=better[:have])
            np.maximum(relevance[:have], ordered, out=relevance[:have])
            np.copyto(best[:have], j, where=better[:have])

    for r, profile in enumerate(block):
        positives = vector_rows(profile.positive_vectors, dim)
        if len(positives):  # seed papers and "more like this" papers: a reader's own rows, rare
            for k, similarity in enumerate(positive_similarity(positives @ papers.vectors.T)):
                np.maximum(raw[r], similarity, out=raw[r])
                ordered = similarity + POSITIVE_LIFT
                better_k = ordered > relevance[r]
                np.maximum(relevance[r], ordered, out=relevance[r])
                np.copyto(best[r], widths[r] + k, where=better_k)
        elif not widths[r]:
            raw[r] = -1.0  # nothing to match
            relevance[r] = -1.0

    exclusions = [vector_rows(p.exclusion_vectors, dim) for p in block]
    excluding = [r for r, e in enumerate(exclusions) if len(e)]
    if excluding:
        penalties = exclusion_rows.rows(
            [t for r in excluding for t in block[r].exclusions[: len(exclusions[r])]],
            np.vstack([exclusions[r] for r in excluding]),
        )
        counts = np.asarray([len(exclusions[r]) for r in excluding])
        # A reader's exclusion rows are contiguous: one reduceat gives each reader's penalty.
        penalty = np.maximum.reduceat(penalties, np.cumsum(counts) - counts, axis=0)
        raw[excluding] = raw[excluding] - penalty
        relevance[excluding] = relevance[excluding] - penalty
    return raw, relevance, best


def _select(
    day: Day,
    block: list[Profile],
    widths: list[int],
    raw: np.ndarray,
    relevance: np.ndarray,
    best: np.ndarray,
) -> dict[int, list[Pick]]:
    """selection.select for every reader of the block at once: exclude ids, threshold, candidates, MMR.

    widths: each reader's number of facet anchors. The threshold applies to the
    calibrated scores (from raw); candidates and MMR follow relevance.
    """
    papers = day.papers
    n = len(papers)
    calibrated = calibrated_scores(raw, papers.popularity)
    scores = relevance.copy()  # the order of papers, with what may not be picked at -inf
    for r, profile in enumerate(block):
        columns = [c for c in map(papers.column, profile.exclude_ids) if c is not None]
        scores[r, columns] = -np.inf
    thresholds = np.asarray([p.threshold for p in block], dtype=np.float32)
    scores[calibrated < thresholds[:, None]] = -np.inf
    sizes = np.asarray([max(0, int(p.size)) for p in block], dtype=np.intp)
    dim = papers.vectors.shape[1]
    anchored = np.asarray(
        [bool(min(len(p.facets), len(vector_rows(p.facet_vectors, dim))) or p.positive_labels) for p in block]
    )
    sizes[~anchored] = 0  # nothing to match: no facets, no seeds
    picks: dict[int, list[Pick]] = {p.key: [] for p in block}
    if not sizes.any():
        return picks

    # Candidates: per limit, the same argpartition select makes, then best first (stable).
    limits = np.asarray([candidate_limit(int(s), n) for s in sizes], dtype=np.intp)
    width = int(limits[sizes > 0].max())
    candidates = np.zeros((len(block), width), dtype=np.intp)
    open_ = np.zeros((len(block), width), dtype=bool)
    for limit in np.unique(limits[sizes > 0]):
        rows = np.flatnonzero((limits == limit) & (sizes > 0))
        found = np.argpartition(-scores[rows], limit - 1, axis=1)[:, :limit]
        found_scores = np.take_along_axis(scores[rows], found, axis=1)
        by_score = np.argsort(-found_scores, axis=1, kind="stable")
        candidates[rows, :limit] = np.take_along_axis(found, by_score, axis=1)
        open_[rows, :limit] = np.isfinite(np.take_along_axis(found_scores, by_score, axis=1))

    # MMR, one pick per step for every reader still picking.
    worth = mmr_relevance(np.take_along_axis(relevance, candidates, axis=1), papers.popularity[candidates])
    anchors = np.take_along_axis(best, candidates, axis=1)
    redundancy = np.zeros(candidates.shape, dtype=np.float32)
    served = np.zeros(candidates.shape, dtype=np.float32)
    chosen = np.zeros((len(block), int(sizes.max())), dtype=np.intp)
    taken = np.zeros(len(block), dtype=np.intp)
    for step in range(int(sizes.max())):
        picking = np.flatnonzero((taken < sizes) & open_.any(axis=1))
        if not len(picking):
            break
        if step:
            mmr = mmr_value(worth[picking], redundancy[picking], served[picking])
        else:
            mmr = worth[picking].copy()
        mmr[~open_[picking]] = -np.inf
        pick = np.argmax(mmr, axis=1)
        chosen[picking, step] = pick
        taken[picking] += 1
        open_[picking, pick] = False
        similarity = day.cosines(candidates[picking, pick], candidates[picking])
        redundancy[picking] = redundancy_after(redundancy[picking], similarity)
        served[picking] += anchors[picking] == anchors[picking, pick][:, None]

    for r, profile in enumerate(block):
        if not taken[r]:
            continue
        columns = candidates[r, chosen[r, : taken[r]]]
        labels = list(profile.facets[: widths[r]]) + [f"like: {label}" for label in profile.positive_labels]
        picks[profile.key] = [
            Pick(paper_id, score, labels[anchor] if anchor < len(labels) else "")
            for paper_id, score, anchor in zip(
                papers.ids[columns].tolist(),
                calibrated[r, columns].tolist(),
                best[r, columns].tolist(),
                strict=True,
            )
        ]
    return picks
