"""Offline evaluation of the ranking on a graded dev set (no database needed).

The dev set (digest/data/devset.json) holds subscriber profiles written the way
people write them, each with graded judgments {paper id: 1 or 2} over a JSONL
corpus; unlisted papers are 0. Every method ranks the whole corpus for every
profile and is scored with nDCG@10 (graded gain 2^g - 1), P@5 and R@20 (a paper
counts as relevant at grade >= 1). Seed papers are the subscriber's own
examples, so they are removed from every ranking and from the judgments.

Methods:
- bm25: bm25s over the whole interests text (bm25s' own English tokenizer).
- cosine: embedding cosine between the whole interests text and title + abstract.
- rrf: reciprocal-rank fusion (k=60) of the two.
- ours: digest.ranking (facets, hybrid, exclusions, seeds, calibration, MMR):
  the first RANKED_BY_SELECTION papers in the order `rank` would send them,
  then the rest by relevance (Scores.relevance).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digest import ranking
from digest.data import DEVSET, PROJECT_ROOT, SAMPLE_CORPUS

METHODS = ("bm25", "cosine", "rrf", "ours")
RRF_K = 60
# How deep "ours" is ordered by the digest selection (MMR), not raw score:
# deeper than any digest, and than the cut-offs measured.
RANKED_BY_SELECTION = 20


# --- Metrics --------------------------------------------------------------
def dcg(gains: Sequence[float]) -> float:
    return float(sum((2.0**g - 1.0) / math.log2(i + 2) for i, g in enumerate(gains)))


def ndcg_at_k(ranked: Sequence[str], judgments: dict[str, int], k: int = 10) -> float:
    ideal = dcg(sorted(judgments.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([judgments.get(pid, 0) for pid in ranked[:k]]) / ideal


def precision_at_k(ranked: Sequence[str], judgments: dict[str, int], k: int = 5) -> float:
    return sum(1 for pid in ranked[:k] if judgments.get(pid, 0) > 0) / k


def recall_at_k(ranked: Sequence[str], judgments: dict[str, int], k: int = 20) -> float:
    relevant = sum(1 for g in judgments.values() if g > 0)
    if not relevant:
        return 0.0
    return sum(1 for pid in ranked[:k] if judgments.get(pid, 0) > 0) / relevant


# --- Data -----------------------------------------------------------------
@dataclass
class Corpus:
    paper_ids: list[str]  # the JSONL ids; PaperSet ids are their positions
    papers: ranking.PaperSet

    @functools.cached_property
    def _keys(self) -> dict[str, str]:
        keys = {_title_key(title): pid for title, pid in zip(self.papers.titles, self.paper_ids, strict=True)}
        keys.update({pid: pid for pid in self.paper_ids})
        return keys

    def resolve(self, key: str) -> str | None:
        """A corpus id, or an exact title (case and spacing aside) -> the corpus id; None if unknown."""
        return self._keys.get(key) or self._keys.get(_title_key(key))

    def judgments(self, profile: DevProfile) -> tuple[dict[str, int], list[str]]:
        """The profile's judgments keyed by corpus id, and the keys that name no corpus paper."""
        resolved: dict[str, int] = {}
        unknown: list[str] = []
        for key, grade in profile.judgments.items():
            pid = self.resolve(key)
            if pid is None:
                unknown.append(key)
            else:
                resolved[pid] = max(grade, resolved.get(pid, 0))
        return resolved, unknown


def _title_key(title: str) -> str:
    return " ".join(title.lower().split())


@dataclass
class DevProfile:
    id: str
    split: str
    interests: str
    exclusions: str
    seeds: list[str]
    judgments: dict[str, int]
    # How the reader wrote (prose, keywords, mixed, question), where the set says.
    style: str = ""


def load_devset(path: str | Path = DEVSET) -> tuple[list[DevProfile], Path]:
    """Profiles, and the corpus path (relative paths are taken from the project root)."""
    path = Path(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    profiles = [
        DevProfile(
            id=p["id"],
            split=p.get("split", "tune"),
            interests=p["interests"],
            exclusions=p.get("exclusions", ""),
            seeds=list(p.get("seeds", [])),
            judgments={k: int(v) for k, v in p["judgments"].items() if int(v) > 0},
            style=p.get("style", ""),
        )
        for p in doc["profiles"]
    ]
    corpus = Path(doc.get("corpus", SAMPLE_CORPUS))
    if not corpus.is_absolute():
        corpus = (path.parent / corpus) if (path.parent / corpus).exists() else PROJECT_ROOT / corpus
    return profiles, corpus


def load_corpus(path: str | Path, *, embed: Callable[[list[str]], np.ndarray]) -> Corpus:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    titles = [row["title"] for row in rows]
    abstracts = [row.get("abstract") or "" for row in rows]
    texts = [ranking.paper_text(title, abstract) for title, abstract in zip(titles, abstracts, strict=True)]
    papers = ranking.build_paper_set(
        ids=range(len(rows)),
        titles=titles,
        abstracts=abstracts,
        vectors=embed(texts),
        upvotes=[row.get("upvotes") for row in rows],
    )
    return Corpus(paper_ids=[str(row["id"]) for row in rows], papers=papers)


# --- Methods --------------------------------------------------------------
def _seed_columns(corpus: Corpus, seeds: Sequence[str]) -> list[int]:
    """Seeds are titles or corpus ids; unknown seeds are ignored."""
    column_of = {pid: i for i, pid in enumerate(corpus.paper_ids)}
    return [column_of[pid] for pid in map(corpus.resolve, seeds) if pid is not None]


def _memoised(embed: Callable[[list[str]], np.ndarray]) -> Callable[[list[str]], np.ndarray]:
    seen: dict[tuple[str, ...], np.ndarray] = {}

    def cached(texts: list[str]) -> np.ndarray:
        key = tuple(texts)
        if key not in seen:
            seen[key] = embed(texts)
        return seen[key]

    return cached


class Rankers:
    """Every method's full ranking (corpus positions, best first) for a profile."""

    def __init__(self, corpus: Corpus, embed: Callable[[list[str]], np.ndarray]):
        import bm25s

        self.corpus = corpus
        # The same profile texts are embedded again for every simulated day.
        self.embed = _memoised(embed)
        self.bm25 = bm25s.BM25()
        self.bm25.index(
            bm25s.tokenize(corpus.papers.texts, stopwords="en", show_progress=False), show_progress=False
        )

    def bm25_scores(self, profile: DevProfile) -> np.ndarray:
        import bm25s

        tokens = bm25s.tokenize([profile.interests], stopwords="en", show_progress=False, return_ids=False)[0]
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)

    def cosine_scores(self, profile: DevProfile) -> np.ndarray:
        return (self.corpus.papers.vectors @ self.embed([profile.interests])[0]).astype(np.float32)

    def profile(
        self,
        profile: DevProfile,
        *,
        size: int = RANKED_BY_SELECTION,
        signals: dict[int, int] | None = None,
        sent: frozenset[int] = frozenset(),
    ) -> ranking.Profile:
        """The reader's ranking.Profile, as digest.profiles builds it: seeds, clicks (column -> +1/-1), sent papers."""
        papers = self.corpus.papers
        seeds = _seed_columns(self.corpus, profile.seeds)
        signals = signals or {}
        kept, more, less = ranking.reader_examples(seeds, signals)
        return ranking.build_profile(
            key=0,
            interests=profile.interests,
            exclusions=profile.exclusions,
            positives=[(papers.titles[c], papers.vectors[c]) for c in kept],
            more=[papers.vectors[c] for c in more],
            more_texts=[papers.texts[c] for c in more],
            negatives=[papers.vectors[c] for c in less],
            size=size,
            exclude_ids=frozenset(int(papers.ids[c]) for c in [*seeds, *signals, *sent]),
            embed=self.embed,
        )

    def ours(self, built: ranking.Profile) -> list[int]:
        """Corpus positions in the order `rank` would send them, then the rest by relevance; excluded papers left out."""
        scores = ranking.score_profiles(self.corpus.papers, [built])
        picks = ranking.select(
            self.corpus.papers,
            built,
            scores.calibrated[0],
            scores.best_anchor[0],
            scores.anchor_labels[0],
            scores.relevance[0],
        )
        head = [int(p.paper_id) for p in picks]  # ids are corpus positions here
        skip = set(head) | set(built.exclude_ids)
        order = np.argsort(-scores.relevance[0], kind="stable")
        return head + [int(i) for i in order if int(i) not in skip]

    def rankings(self, profile: DevProfile) -> dict[str, list[int]]:
        n = len(self.corpus.papers)
        seeds = set(_seed_columns(self.corpus, profile.seeds))

        def order(scores: np.ndarray) -> list[int]:
            return [int(i) for i in np.argsort(-scores, kind="stable") if int(i) not in seeds]

        bm25 = order(self.bm25_scores(profile))
        cosine = order(self.cosine_scores(profile))
        fused = np.zeros(n)
        for ranked in (bm25, cosine):
            fused[ranked] += 1.0 / (RRF_K + np.arange(1, len(ranked) + 1))
        fused[list(seeds)] = -1
        ours = self.ours(self.profile(profile))
        return {"bm25": bm25, "cosine": cosine, "rrf": order(fused), "ours": ours}


# --- Report ---------------------------------------------------------------
@dataclass
class ProfileResult:
    profile: str
    method: str
    ndcg10: float
    p5: float
    r20: float


def evaluate(
    profiles: Sequence[DevProfile], corpus: Corpus, *, embed: Callable[[list[str]], np.ndarray]
) -> list[ProfileResult]:
    rankers = Rankers(corpus, embed)
    results = []
    for profile in profiles:
        seeds = {corpus.paper_ids[c] for c in _seed_columns(corpus, profile.seeds)}
        judgments, _ = corpus.judgments(profile)
        judgments = {pid: g for pid, g in judgments.items() if pid not in seeds}
        for method, ranked in rankers.rankings(profile).items():
            ids = [corpus.paper_ids[i] for i in ranked]
            results.append(
                ProfileResult(
                    profile.id,
                    method,
                    ndcg_at_k(ids, judgments, 10),
                    precision_at_k(ids, judgments, 5),
                    recall_at_k(ids, judgments, 20),
                )
            )
    return results


def summarise(results: Sequence[ProfileResult]) -> list[dict]:
    """Per method: mean nDCG@10, P@5, R@20, and the worst profile by nDCG@10."""
    rows = []
    for method in METHODS:
        mine = [r for r in results if r.method == method]
        if not mine:
            continue
        worst = min(mine, key=lambda r: r.ndcg10)
        rows.append(
            {
                "method": method,
                "profiles": len(mine),
                "ndcg10": float(np.mean([r.ndcg10 for r in mine])),
                "p5": float(np.mean([r.p5 for r in mine])),
                "r20": float(np.mean([r.r20 for r in mine])),
                "worst_ndcg10": worst.ndcg10,
                "worst_profile": worst.profile,
            }
        )
    return rows


def groups(
    profiles: Sequence[DevProfile], *, by: Sequence[str] = ("split", "style")
) -> list[tuple[str, list[DevProfile]]]:
    """Profiles grouped by split, then by writing style ("split=tune", "style=prose"); unset fields are skipped."""
    out = []
    for attribute in by:
        values = sorted({getattr(p, attribute) for p in profiles if getattr(p, attribute)})
        if len(values) > 1 or (attribute == "style" and values):
            out += [(f"{attribute}={v}", [p for p in profiles if getattr(p, attribute) == v]) for v in values]
    return out


def format_table(rows: Sequence[dict]) -> str:
    lines = [f"{'method':<8} {'n':>3} {'nDCG@10':>8} {'P@5':>6} {'R@20':>6}  {'worst nDCG@10':>14}"]
    for row in rows:
        lines.append(
            f"{row['method']:<8} {row['profiles']:>3} {row['ndcg10']:>8.3f} {row['p5']:>6.3f} {row['r20']:>6.3f}"
            f"  {row['worst_ndcg10']:>7.3f} ({row['worst_profile']})"
        )
    return "\n".join(lines)


# --- Feedback simulation -----------------------------------------------------
@dataclass
class FeedbackResult:
    """nDCG@10 over the papers not yet sent, day by day: day 0 is the first digest, before any click."""

    profile: str
    clicking: list[float]
    twin: list[float]
    # Relevant papers (grade >= 1) received in the digests up to each day, inclusive.
    clicking_received: list[int]
    twin_received: list[int]
    # nDCG@10 of both twins' rankings over the same pool: the relevant papers
    # neither twin was sent yet. Once the two digests differ, the pools above
    # differ too: a reader whose clicks brought the relevant papers sooner is
    # left with fewer and harder ones, which the per-twin figure counts against
    # the clicks. This one compares the two rankings on equal terms.
    clicking_common: list[float] = field(default_factory=list)
    twin_common: list[float] = field(default_factory=list)


def simulate_feedback(
    profiles: Sequence[DevProfile],
    corpus: Corpus,
    *,
    embed: Callable[[list[str]], np.ndarray],
    rounds: int = 5,
    digest_size: int = 5,
) -> list[FeedbackResult]:
    """A reader who clicks every day against a twin who never clicks.

    The sample corpus is one day of papers, so every "day" draws from the whole
    corpus (a lookback wide enough that later days still have candidates) minus
    what that reader was already sent. Each day the reader gets the digest
    `rank` would send (digest_size papers) and marks the relevant picks (grade
    >= 1) "more like this" and the others "less like this"; the next day's
    profile is built from those clicks through ranking.reader_examples and
    build_profile, as digest.profiles builds it from Feedback rows. Each twin is
    scored with nDCG@10 of its full ranking against its own papers not yet sent,
    and both against the papers that neither was sent yet (clicking_common,
    twin_common).
    """
    rankers = Rankers(corpus, embed)
    results = []
    for profile in profiles:
        judgments, _ = corpus.judgments(profile)
        seeds = set(_seed_columns(corpus, profile.seeds))
        grade = {i: judgments.get(pid, 0) for i, pid in enumerate(corpus.paper_ids) if i not in seeds}
        curves: dict[str, list[float]] = {"clicking": [], "twin": []}
        common: dict[str, list[float]] = {"clicking": [], "twin": []}
        received: dict[str, list[int]] = {"clicking": [], "twin": []}
        signals: dict[int, int] = {}  # the clicking twin's clicks
        sent: dict[str, set[int]] = {"clicking": set(), "twin": set()}
        for _day in range(rounds + 1):
            ranked = {
                who: [
                    str(i)
                    for i in rankers.ours(
                        rankers.profile(
                            profile,
                            signals=signals if who == "clicking" else None,
                            sent=frozenset(sent[who]),
                        )
                    )
                ]
                for who in ("clicking", "twin")
            }
            sent_to_either = sent["clicking"] | sent["twin"]
            neither = {str(i): g for i, g in grade.items() if g > 0 and i not in sent_to_either}
            for who in ("clicking", "twin"):
                left = {str(i): g for i, g in grade.items() if g > 0 and i not in sent[who]}
                curves[who].append(ndcg_at_k(ranked[who], left, 10))
                pool = [i for i in ranked[who] if int(i) not in sent_to_either]
                common[who].append(ndcg_at_k(pool, neither, 10))
            for who in ("clicking", "twin"):
                digest = [int(i) for i in ranked[who][:digest_size]]
                sent[who].update(digest)
                received[who].append(sum(1 for i in sent[who] if grade.get(i, 0) >= 1))
                if who == "clicking":
                    signals.update({i: 1 if grade.get(i, 0) >= 1 else -1 for i in digest})
        results.append(
            FeedbackResult(
                profile.id,
                curves["clicking"],
                curves["twin"],
                received["clicking"],
                received["twin"],
                common["clicking"],
                common["twin"],
            )
        )
    return results


def format_feedback(results: Sequence[FeedbackResult], *, report_rounds: Sequence[int] = (1, 3, 5)) -> str:
    """Mean nDCG@10 before any click and after each reported round, clicking vs never clicking.

    "gain", "worse" (readers more than 0.02 behind their twin), "better" and the
    worst reader: first over each twin's own papers not yet sent, then ("same
    pool") over the papers neither twin was sent yet. "received": relevant
    papers in all readers' digests up to and including that day, clicking vs
    never clicking.
    """
    lines = [
        f"{'after':<10} {'clicking':>8} {'twin':>6} {'gain':>7} {'worse':>5} {'better':>6} {'worst (reader)':<16}"
        f" | same pool: {'gain':>7} {'worse':>5} {'better':>6} {'worst (reader)':<16} | received"
    ]
    rounds = len(results[0].clicking) - 1 if results else 0

    def cells(clicking: np.ndarray, twin: np.ndarray) -> str:
        diff = clicking - twin
        worst = int(np.argmin(diff))
        return (
            f"{diff.mean():>+7.3f} {int((diff < -0.02).sum()):>5} {int((diff > 0.02).sum()):>6} "
            f"{f'{diff[worst]:+.3f} ({results[worst].profile})':<16}"
        )

    for r in [0, *[r for r in report_rounds if r <= rounds]]:
        clicking = np.array([x.clicking[r] for x in results])
        twin = np.array([x.twin[r] for x in results])
        label = "no click" if r == 0 else f"{r} round{'s' if r > 1 else ''}"
        lines.append(
            f"{label:<10} {clicking.mean():>8.3f} {twin.mean():>6.3f} {cells(clicking, twin)}"
            f" | same pool: {cells(np.array([x.clicking_common[r] for x in results]), np.array([x.twin_common[r] for x in results]))}"
            f" | {sum(x.clicking_received[r] for x in results)} vs {sum(x.twin_received[r] for x in results)}"
        )
    return "\n".join(lines)


def calibration_fit(
    profiles: Sequence[DevProfile], corpus: Corpus, *, embed: Callable[[list[str]], np.ndarray]
) -> tuple[float, float]:
    """Fit ranking.CALIBRATION_* on these profiles' judgments (grade >= 1 counts as relevant)."""
    rankers = Rankers(corpus, embed)
    raw, relevant = [], []
    for profile in profiles:
        scores = ranking.score_profiles(corpus.papers, [rankers.profile(profile)])
        seeds = set(_seed_columns(corpus, profile.seeds))
        keep = [i for i in range(len(corpus.paper_ids)) if i not in seeds]
        raw.append(scores.raw[0][keep])
        judgments, _ = corpus.judgments(profile)
        relevant.append([judgments.get(corpus.paper_ids[i], 0) >= 1 for i in keep])
    return fit_calibration(np.concatenate(raw), np.concatenate(relevant))


def fit_calibration(raw: np.ndarray, relevant: np.ndarray, *, steps: int = 50) -> tuple[float, float]:
    """Logistic regression of relevant (0/1) on raw score -> (center, scale) for ranking.CALIBRATION_*."""
    x = np.asarray(raw, dtype=np.float64)
    y = np.asarray(relevant, dtype=np.float64)
    w = np.zeros(2)  # slope, intercept
    design = np.stack([x, np.ones_like(x)], axis=1)
    for _ in range(steps):  # Newton's method, with a little ridge for stability
        p = 1 / (1 + np.exp(-(design @ w)))
        gradient = design.T @ (p - y) + 1e-6 * w
        hessian = (design * (p * (1 - p))[:, None]).T @ design + 1e-6 * np.eye(2)
        w -= np.linalg.solve(hessian, gradient)
    slope, intercept = w
    return float(-intercept / slope), float(1 / slope)
