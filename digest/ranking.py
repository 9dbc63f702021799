"""Score papers against subscriber profiles and pick each digest.

Pure functions over numpy arrays: no ORM here, so the same code serves the daily
run, the sign-up preview and the offline evaluation. `digest.scoring` loads the
rows and writes the picks.
"""

import re
from dataclasses import dataclass, field

import numpy as np

# Most interests texts are a few lines; more facets than this is a pasted essay.
MAX_FACETS = 12
# MMR trade-off: 1.0 is pure relevance, lower penalises near-duplicates harder.
MMR_LAMBDA = 0.75

_FACET_SPLIT = re.compile(r"[\n;]+|(?<=[.!?])\s+(?=[A-Z])")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s*")


def split_facets(text: str) -> list[str]:
    """Interests text -> distinct topics (lines, bullets, semicolons, sentences)."""
    facets, seen = [], set()
    for part in _FACET_SPLIT.split(text or ""):
        facet = _BULLET.sub("", part).strip(" \t,.")
        if len(facet) >= 2 and facet.lower() not in seen:
            seen.add(facet.lower())
            facets.append(facet)
    return facets[:MAX_FACETS]


_NEGATION = re.compile(r"^(?:not|no|without|except|exclude|excluding|nothing on|nothing about)\s+", re.IGNORECASE)


def split_exclusions(text: str) -> list[str]:
    """'not medical imaging, no NAS' -> ['medical imaging', 'NAS']."""
    parts = re.split(r"[\n;,]+", text or "")
    return [t for t in (_NEGATION.sub("", _BULLET.sub("", p).strip()).strip(" \t.") for p in parts) if len(t) >= 2][:MAX_FACETS]


@dataclass
class PaperSet:
    """The candidate papers of one run, loaded once and shared by every profile."""

    ids: np.ndarray  # (n,) int64 paper ids
    titles: list[str]
    texts: list[str]  # title + abstract
    vectors: np.ndarray  # (n, d) float32 unit rows
    upvotes: np.ndarray  # (n,) float32, 0 where unknown

    def __len__(self) -> int:
        return len(self.ids)


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


@dataclass(frozen=True)
class Pick:
    paper_id: int
    score: float
    why: str


def _rows(matrix: np.ndarray | None, dim: int) -> np.ndarray:
    return matrix if matrix is not None and len(matrix) else np.zeros((0, dim), dtype=np.float32)


def score_profile(papers: PaperSet, profile: Profile) -> tuple[np.ndarray, list[str]]:
    """Return (scores (n,), why per paper)."""
    dim = papers.vectors.shape[1]
    anchors = np.vstack([_rows(profile.facet_vectors, dim), _rows(profile.positive_vectors, dim)])
    labels = profile.facets + profile.positive_labels
    if not len(anchors) or not len(papers):
        return np.zeros(len(papers), dtype=np.float32), [""] * len(papers)
    sims = papers.vectors @ anchors.T  # (n, f+p)
    best = sims.argmax(axis=1)
    scores = sims[np.arange(len(papers)), best]
    exclusions = _rows(profile.exclusion_vectors, dim)
    if len(exclusions):
        scores = scores - np.clip((papers.vectors @ exclusions.T).max(axis=1) - 0.3, 0, None) * 2.0
    negatives = _rows(profile.negative_vectors, dim)
    if len(negatives):
        scores = scores - np.clip((papers.vectors @ negatives.T).max(axis=1) - 0.5, 0, None)
    return scores.astype(np.float32), [labels[i] for i in best]


def select(papers: PaperSet, profile: Profile, scores: np.ndarray, whys: list[str]) -> list[Pick]:
    """Threshold, never-sent-before, then MMR for diversity, up to the profile's size."""
    allowed = scores >= profile.threshold
    if profile.exclude_ids:
        allowed &= ~np.isin(papers.ids, np.fromiter(profile.exclude_ids, dtype=np.int64))
    candidates = np.flatnonzero(allowed)
    if not len(candidates):
        return []
    candidates = candidates[np.argsort(-scores[candidates])][: max(profile.size * 5, 20)]
    chosen: list[int] = []
    while candidates.size and len(chosen) < profile.size:
        if chosen:
            redundancy = (papers.vectors[candidates] @ papers.vectors[chosen].T).max(axis=1)
            mmr = MMR_LAMBDA * scores[candidates] - (1 - MMR_LAMBDA) * redundancy
        else:
            mmr = scores[candidates]
        best = int(np.argmax(mmr))
        chosen.append(int(candidates[best]))
        candidates = np.delete(candidates, best)
    return [Pick(int(papers.ids[i]), float(scores[i]), whys[i]) for i in chosen]


def rank(papers: PaperSet, profiles: list[Profile]) -> dict[int, list[Pick]]:
    picks = {}
    for profile in profiles:
        scores, whys = score_profile(papers, profile)
        picks[profile.key] = select(papers, profile, scores, whys)
    return picks
