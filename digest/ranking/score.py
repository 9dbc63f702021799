"""Hybrid similarity of every paper to every anchor of a block of profiles, penalised and calibrated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digest.ranking.papers import PaperSet
from digest.ranking.profile import Profile

# --- Hybrid similarity ---------------------------------------------------
# Weight of the embedding cosine against the lexical score in a facet's
# similarity. Tuned on the dev set's tune half with Snowball stemming: 0.5 is best;
# 0.4 and 0.6 lose about a point on both halves.
COSINE_WEIGHT = 0.5
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
# Calibration: score = 1 / (1 + exp(-(raw - CENTER) / SCALE)), fitted by
# logistic regression of the dev set's tune-half grades (>=1 = relevant) on raw.
# Changes to the hybrid weights above need a refit: see digest.ranking.evaluation.
CALIBRATION_CENTER = 0.412
CALIBRATION_SCALE = 0.045


def _rows(matrix: np.ndarray | None, dim: int) -> np.ndarray:
    if matrix is None or not len(matrix):
        return np.zeros((0, dim), dtype=np.float32)
    return np.asarray(matrix, dtype=np.float32).reshape(-1, dim)


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
    facet_counts, positive_counts, exclusion_counts = [], [], []
    for profile in profiles:
        facets = _rows(profile.facet_vectors, dim)
        positives = _rows(profile.positive_vectors, dim)
        exclusions = _rows(profile.exclusion_vectors, dim)
        labels.append(
            list(profile.facets[: len(facets)]) + [f"like: {label}" for label in profile.positive_labels]
        )
        facet_text.extend(profile.facets[: len(facets)])
        penalty_text.extend(profile.exclusions[: len(exclusions)])
        anchor_vec += [facets, positives]
        penalty_vec.append(exclusions)
        facet_counts.append(len(facets))
        positive_counts.append(len(positives))
        exclusion_counts.append(len(exclusions))
    facet_counts = np.asarray(facet_counts, dtype=np.int64)
    positive_counts = np.asarray(positive_counts, dtype=np.int64)
    exclusion_counts = np.asarray(exclusion_counts, dtype=np.int64)

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
    bias = np.concatenate(
        [
            np.asarray(p.facet_bias if p.facet_bias is not None else np.zeros(f), dtype=np.float32)[:f]
            for p, f in zip(profiles, facet_counts, strict=True)
        ]
        or [np.zeros(0, np.float32)]
    )
    if bias.any():
        sims[is_facet] += bias[:, None]

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

    # Exclusions: hybrid similarity like facets, past a margin. ("Less like
    # this" clicks are not penalties: they moved the profile's vectors, see
    # digest.ranking.profile.MORE_WEIGHT.)
    pen_rows = np.vstack(penalty_vec) if penalty_vec else np.zeros((0, dim), dtype=np.float32)
    if len(pen_rows):
        pen = pen_rows @ papers.vectors.T
        # An exclusion's words count only where they appear as the phrase.
        lexical = papers.lexical.scores(penalty_text) * papers.lexical.phrase_present(penalty_text)
        pen = EXCLUSION_WEIGHT * np.clip(
            COSINE_WEIGHT * pen + (1 - COSINE_WEIGHT) * lexical - EXCLUSION_MARGIN, 0, None
        )
        per_profile = exclusion_counts
        # Rows are contiguous per profile: one reduceat gives each profile's max.
        has = per_profile > 0
        starts = (np.cumsum(per_profile) - per_profile)[has]
        penalty = np.zeros((count, n), dtype=np.float32)
        penalty[has] = np.maximum.reduceat(pen, starts, axis=0)
        raw = raw - penalty

    calibrated = np.clip(calibrate(raw) + papers.popularity, 0.0, 1.0)
    return Scores(calibrated=calibrated, raw=raw, best_anchor=best_anchor, anchor_labels=labels)
