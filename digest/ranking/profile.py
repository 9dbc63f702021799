"""A subscriber's words, seeds and feedback as a scorable Profile (the embedder is passed in)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from digest.ranking.text import Reading, read_interests, split_exclusions

# Seed papers and "more like this" clicks kept per profile (the newest win).
MAX_POSITIVES = 20


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
    # Per facet: a hedged side interest ("X is fine too if ..."), which counts less.
    side: tuple[bool, ...] = ()
    # How the interests text was read (for showing it to the reader).
    reading: Reading = field(default_factory=Reading)


def _parts(interests: str, exclusions: str) -> tuple[Reading, list[str], list[str], str, list[str]]:
    reading = read_interests(interests)
    facets = list(reading.facets)
    # Exclusions typed into the interests text count like those of the exclusions field.
    excluded = list(dict.fromkeys([*split_exclusions(exclusions), *reading.exclusions]))
    summary = " ".join(facets)
    return reading, facets, excluded, summary, facets + excluded + ([summary] if len(facets) > 1 else [])


def profile_texts(*, interests: str, exclusions: str = "") -> list[str]:
    """The texts build_profile embeds, in the order it asks for them: facets, exclusions, the whole."""
    return _parts(interests, exclusions)[4]


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
    embed: Callable[[list[str]], np.ndarray],
) -> Profile:
    """One path from what a subscriber wrote (and clicked) to a scorable Profile.

    positives: (label, unit vector) for seed papers and "more like this" clicks,
    oldest first; negatives: vectors of "less like this" papers. embed: texts ->
    unit rows (digest.embedding.embed_texts, a cache of it, or a test's fake).
    """
    reading, facets, excluded, summary, texts = _parts(interests, exclusions)
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
        side=reading.side,
        reading=reading,
    )
