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
# The whole profile read as one query, the way a search box reads it: its
# embedding cosine and its plain (unsaturated) BM25 against every paper, each
# standardised over the papers scored (z-scores, so the two scales add up),
# averaged, and added with this weight (raw scale, per standard deviation).
# The facets' max rewards a paper that squarely matches one part of a profile;
# this rewards one that covers several parts of a long text at once, which is
# where fusing whole-text BM25 and cosine (RRF) beat the facets on prose.
# It orders the papers (Scores.relevance) but is not calibrated: a z-score
# says how a paper compares with the day's others, which depends on the day,
# while the calibrated score must mean the same every day (Scores.raw).
WHOLE_QUERY_WEIGHT = 0.1
# "More like this" clicks as one more query: the cosine of each paper to the
# mean liked paper, standardised like the whole query, added with a weight that
# grows with the evidence, LIKED_WEIGHT * m / (m + LIKED_PRIOR) for m liked
# papers. (The clicks also move the profile's vectors: see
# digest.ranking.profile.MORE_WEIGHT.)
LIKED_WEIGHT = 0.05
LIKED_PRIOR = 3
# The liked papers read as words too, as the whole query is: the LIKED_TERMS
# words they share that few papers use (LexicalIndex.terms_bm25), their plain
# BM25 against every paper standardised, added with
# LIKED_TERMS_WEIGHT * m / (m + LIKED_TERMS_PRIOR): it starts small (about
# 0.02 after one digest's clicks) and grows as the clicks add up.
LIKED_TERMS = 100
LIKED_TERMS_WEIGHT = 0.1
LIKED_TERMS_PRIOR = 15
# Seed papers: paper-to-paper cosine runs higher than query-to-paper cosine
# (two related abstracts share a lot of vocabulary), so it is shifted and scaled
# onto the facet scale before it competes with the facets.
POSITIVE_SCALE = 0.8
POSITIVE_SHIFT = -0.22
# In the order of papers (Scores.relevance) the whole query lifts the facets by
# about this much where papers turn relevant (the logistic fitted on relevance
# instead of raw centres 0.2 higher), so seeds are lifted as much to keep
# competing; the whole query itself backs what the reader wrote, not the seeds.
POSITIVE_LIFT = 0.2
# Exclusions: hybrid similarity to an exclusion above the margin costs that
# much, times the weight: a paper squarely about an excluded topic sinks.
EXCLUSION_MARGIN = 0.25
EXCLUSION_WEIGHT = 1.5
# Calibration: score = 1 / (1 + exp(-(raw - CENTER) / SCALE)), fitted by
# logistic regression of the tune parts' grades (>=1 = relevant) on raw: the
# dev set's tune half and the odd readers of digest/data/heldout.json.
# Changes to the hybrid weights above need a refit: see digest.ranking.evaluation.
CALIBRATION_CENTER = 0.412
CALIBRATION_SCALE = 0.043


def vector_rows(matrix: np.ndarray | None, dim: int) -> np.ndarray:
    """A profile's optional vectors as (n, dim) float32 rows, (0, dim) when there are none."""
    if matrix is None or not len(matrix):
        return np.zeros((0, dim), dtype=np.float32)
    return np.asarray(matrix, dtype=np.float32).reshape(-1, dim)


# --- The method's building blocks ---------------------------------------------
# score_profiles (the reference, per block of profiles) and digest.ranking.batch
# (the daily run's fast path, per distinct text) both compose these, so a change
# to a formula lands in both. Each keeps the float32 evaluation order the
# reference has always had: the fast path's picks are tested equal to it.


def hybrid(cosine: np.ndarray, lexical: np.ndarray) -> np.ndarray:
    """A text's similarity to each paper: embedding cosine and lexical score, weighted."""
    return COSINE_WEIGHT * cosine + (1 - COSINE_WEIGHT) * lexical


def in_context(facet: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """A facet's similarity read in the context of the whole profile's (both hybrid)."""
    return (1 - SUMMARY_WEIGHT) * facet + SUMMARY_WEIGHT * whole


def facet_similarity(facet: np.ndarray, whole: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Facet rows (hybrid) in the context of their profile's whole rows, plus each facet's bias (Profile.facet_bias)."""
    return in_context(facet, whole) + bias[:, None]


def positive_similarity(cosine: np.ndarray) -> np.ndarray:
    """A seed paper's paper-to-paper cosine, mapped onto the facet scale."""
    return POSITIVE_SCALE * cosine + POSITIVE_SHIFT


def exclusion_penalty(cosine: np.ndarray, lexical: np.ndarray, phrase: np.ndarray) -> np.ndarray:
    """What an exclusion costs each paper (raw scale): its hybrid similarity past the margin.

    An exclusion's words count only where they appear as the phrase (phrase: bool rows).
    """
    return EXCLUSION_WEIGHT * np.clip(hybrid(cosine, lexical * phrase) - EXCLUSION_MARGIN, 0, None)


def standardised(rows: np.ndarray) -> np.ndarray:
    """Each row as z-scores over its papers (a constant row is all zeros)."""
    return (rows - rows.mean(axis=1, keepdims=True)) / rows.std(axis=1, keepdims=True).clip(1e-6)


def whole_query(cosine: np.ndarray, bm25: np.ndarray) -> np.ndarray:
    """The whole profile read as one query, for the order of papers: its cosine and plain BM25 rows, z-scored."""
    return WHOLE_QUERY_WEIGHT * (standardised(cosine) + standardised(bm25)) / 2


def liked_query(cosine: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Rows of cosine to each reader's mean liked paper, z-scored, weighted by how many papers it averages."""
    return (LIKED_WEIGHT * counts / (counts + LIKED_PRIOR))[:, None] * standardised(cosine)


def liked_evidence(papers: PaperSet, profiles: Sequence[Profile]) -> np.ndarray:
    """Rows for readers with "more like this" clicks: their liked papers as a query, by vector and by words.

    Every profile must have a liked_vector and liked_count > 0.
    """
    counts = np.asarray([p.liked_count for p in profiles], dtype=np.float32)
    vectors = np.vstack([np.asarray(p.liked_vector, dtype=np.float32) for p in profiles])
    rows = liked_query(vectors @ papers.vectors.T, counts)
    words = [r for r, p in enumerate(profiles) if p.liked_texts]
    if words:
        bm25 = papers.lexical.terms_bm25([profiles[r].liked_texts for r in words], top=LIKED_TERMS)
        rows[words] += (LIKED_TERMS_WEIGHT * counts[words] / (counts[words] + LIKED_TERMS_PRIOR))[
            :, None
        ] * standardised(bm25)
    return rows


def calibrate(raw: np.ndarray) -> np.ndarray:
    """Raw relevance -> 0..1, a fixed logistic (see CALIBRATION_*)."""
    return (1.0 / (1.0 + np.exp(-(raw - CALIBRATION_CENTER) / CALIBRATION_SCALE))).astype(np.float32)


def calibrated_scores(raw: np.ndarray, popularity: np.ndarray) -> np.ndarray:
    """The 0..1 score a reader's threshold and Pick.score use: calibrated relevance plus the upvote tie-breaker."""
    return np.clip(calibrate(raw) + popularity, 0.0, 1.0)


@dataclass
class Scores:
    """Scores of a block of profiles against one PaperSet."""

    calibrated: np.ndarray  # (profiles, papers) 0..1, popularity included
    raw: np.ndarray  # (profiles, papers) before calibration, for refitting it
    # (profiles, papers) the order of papers: raw plus the whole-query and
    # liked-papers evidence, relative to the day's papers (raw scale)
    relevance: np.ndarray
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
        facets = vector_rows(profile.facet_vectors, dim)
        positives = vector_rows(profile.positive_vectors, dim)
        exclusions = vector_rows(profile.exclusion_vectors, dim)
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
    sims[~is_facet] = positive_similarity(sims[~is_facet])
    bias = np.concatenate(
        [
            np.asarray(p.facet_bias if p.facet_bias is not None else np.zeros(f), dtype=np.float32)[:f]
            for p, f in zip(profiles, facet_counts, strict=True)
        ]
        or [np.zeros(0, np.float32)]
    )
    has = np.asarray([p.summary_vector is not None and len(p.facets) > 0 for p in profiles], dtype=bool)
    # Per profile, what orders its papers beyond the calibrated evidence: the
    # whole query and the liked query (see WHOLE_QUERY_WEIGHT, LIKED_WEIGHT).
    boost = np.zeros((count, n), dtype=np.float32)
    if is_facet.any():
        # Each facet is read in the context of the whole profile.
        whole_vec = np.vstack([p.summary_vector for p, h in zip(profiles, has, strict=True) if h]).astype(
            np.float32
        )
        whole_text = [p.summary for p, h in zip(profiles, has, strict=True) if h]
        whole_cosine = whole_vec @ papers.vectors.T
        whole = hybrid(whole_cosine, papers.lexical.scores(whole_text))
        boost[has] = whole_query(whole_cosine, papers.lexical.bm25(whole_text))
        row_of = np.cumsum(has) - 1
        facet_owner = np.repeat(np.arange(count), facet_counts)
        facet_rows = hybrid(sims[is_facet], papers.lexical.scores(facet_text))
        sims[is_facet] = facet_similarity(facet_rows, whole[row_of[facet_owner]], bias)
    liked = np.asarray(
        [p.liked_vector is not None and p.liked_count > 0 and h for p, h in zip(profiles, has, strict=True)],
        dtype=bool,
    )
    if liked.any():
        boost[liked] += liked_evidence(papers, [p for p, ok in zip(profiles, liked, strict=True) if ok])

    # Pad to (profiles, max anchors, papers) so max/argmax run in one call.
    per_profile = facet_counts + positive_counts
    width = max(int(per_profile.max(initial=0)), 1)
    padded = np.full((count, width, n), -np.inf, dtype=np.float32)
    owner = np.repeat(np.arange(count), per_profile)
    slot = np.arange(len(owner)) - np.repeat(np.cumsum(per_profile) - per_profile, per_profile)
    padded[owner, slot] = sims
    raw = padded.max(axis=1)
    raw[per_profile == 0] = -1.0
    # The order of papers: the whole query backs every facet, seeds are lifted
    # alike (POSITIVE_LIFT); the winning anchor there is the pick's "why".
    padded[owner[is_facet], slot[is_facet]] += boost[owner[is_facet]]
    padded[owner[~is_facet], slot[~is_facet]] += POSITIVE_LIFT
    best_anchor = padded.argmax(axis=1)
    relevance = padded.max(axis=1)
    relevance[per_profile == 0] = -1.0

    # Exclusions: hybrid similarity like facets, past a margin. ("Less like
    # this" clicks are not penalties: they moved the profile's vectors, see
    # digest.ranking.profile.MORE_WEIGHT.)
    pen_rows = np.vstack(penalty_vec) if penalty_vec else np.zeros((0, dim), dtype=np.float32)
    if len(pen_rows):
        pen = exclusion_penalty(
            pen_rows @ papers.vectors.T,
            papers.lexical.scores(penalty_text),
            papers.lexical.phrase_present(penalty_text),
        )
        per_profile = exclusion_counts
        # Rows are contiguous per profile: one reduceat gives each profile's max.
        has = per_profile > 0
        starts = (np.cumsum(per_profile) - per_profile)[has]
        penalty = np.zeros((count, n), dtype=np.float32)
        penalty[has] = np.maximum.reduceat(pen, starts, axis=0)
        raw = raw - penalty
        relevance = relevance - penalty

    calibrated = calibrated_scores(raw, papers.popularity)
    return Scores(
        calibrated=calibrated, raw=raw, relevance=relevance, best_anchor=best_anchor, anchor_labels=labels
    )
