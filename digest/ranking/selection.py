"""From scores to a digest: never-sent-before, threshold, then MMR with a facet-repeat charge."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digest.ranking.papers import PaperSet
from digest.ranking.profile import Profile
from digest.ranking.score import CALIBRATION_SCALE, score_profiles

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


def candidate_limit(size: int, papers: int) -> int:
    """How many of the best-scored papers MMR looks at for a digest of `size`."""
    return min(papers, max(size * CANDIDATES_PER_PICK, MIN_CANDIDATES))


def mmr_relevance(relevance: np.ndarray, popularity: np.ndarray) -> np.ndarray:
    """What MMR trades off: relevance (Scores.relevance, raw scale: the logistic flattens the top) plus the upvote tie-breaker."""
    return relevance + popularity * CALIBRATION_SCALE


def mmr_value(relevance: np.ndarray, redundancy: np.ndarray, served: np.ndarray) -> np.ndarray:
    """A candidate's worth once something is picked: relevance, less redundancy and the facet-repeat charge."""
    return MMR_LAMBDA * relevance - (1 - MMR_LAMBDA) * redundancy - FACET_REPEAT_PENALTY * served


def redundancy_after(redundancy: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """Each candidate's redundancy once a paper with these cosines to it is picked."""
    return np.maximum(redundancy, np.clip(similarity - DUPLICATE_MARGIN, 0, None))


@dataclass(frozen=True)
class Pick:
    paper_id: int
    score: float
    why: str


def select(
    papers: PaperSet,
    profile: Profile,
    scores: np.ndarray,
    best_anchor: np.ndarray,
    labels: list[str],
    relevance: np.ndarray | None = None,
) -> list[Pick]:
    """Never-sent-before, threshold, then MMR with a facet-repeat charge, up to the profile's size.

    scores are calibrated (threshold, Pick.score); the candidates and the MMR
    trade-off follow relevance (Scores.relevance, raw scale: the logistic has
    not flattened the top of the list, and the whole query orders the papers).
    """
    if not labels:  # nothing to match: no facets, no seeds
        return []
    order = (scores if relevance is None else relevance).copy()
    for paper_id in profile.exclude_ids:
        column = papers.column(paper_id)
        if column is not None:
            order[column] = -np.inf
    order[scores < profile.threshold] = -np.inf
    size = max(0, int(profile.size))
    if not size or not len(order):
        return []
    limit = candidate_limit(size, len(order))
    candidates = np.argpartition(-order, limit - 1)[:limit]
    candidates = candidates[np.isfinite(order[candidates])]
    candidates = candidates[np.argsort(-order[candidates], kind="stable")]
    if not len(candidates):
        return []
    vectors = papers.vectors[candidates]
    similarity = vectors @ vectors.T
    relevance = mmr_relevance(order[candidates], papers.popularity[candidates])
    anchors = best_anchor[candidates]
    redundancy = np.zeros(len(candidates), dtype=np.float32)
    served = np.zeros(max(int(anchors.max()) + 1, 1), dtype=np.float32)
    open_ = np.ones(len(candidates), dtype=bool)
    chosen: list[int] = []
    while len(chosen) < size and open_.any():
        if chosen:
            mmr = mmr_value(relevance, redundancy, served[anchors])
        else:
            mmr = relevance.copy()
        mmr[~open_] = -np.inf
        best = int(np.argmax(mmr))
        chosen.append(best)
        open_[best] = False
        redundancy = redundancy_after(redundancy, similarity[best])
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
    """Digest picks for each profile, keyed by Profile.key; scored SCORE_BLOCK profiles at a time.

    The reference implementation of the method, per profile and plainly written.
    The daily run uses digest.ranking.batch.rank_batch, tested to pick the same.
    """
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
                scores.relevance[row],
            )
    return picks
