"""A subscriber's words, seeds and feedback as a scorable Profile (the embedder is passed in)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from digest.ranking.text import Reading, read_interests, split_exclusions

# Seed papers kept per profile (the newest win).
MAX_POSITIVES = 20
# Liked papers whose words make the liked query's lexical half (the newest win):
# bounds the tokenising a reader costs each day.
MAX_LIKED_TEXTS = 30
# "More / less like this" clicks that shape a profile (the newest win).
MAX_CLICKS = 100


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
    # "Less like this" papers, as clicked: build_profile has already folded them
    # (and the "more" ones) into the facet and whole-profile vectors; kept so
    # operators can see what shaped a profile.
    negative_vectors: np.ndarray | None = None  # (q, d)
    size: int = 5
    threshold: float = 0.0
    exclude_ids: frozenset[int] = frozenset()
    # The whole interests text, embedded: context shared by every facet.
    summary: str = ""
    summary_vector: np.ndarray | None = None  # (d,)
    # Per facet, added to its similarity (raw scale): a hedged side interest
    # counts less, and so does a facet whose picks the reader marked "less like this".
    facet_bias: np.ndarray | None = None  # (f,)
    # How the interests text was read (for showing it to the reader).
    reading: Reading = field(default_factory=Reading)
    # The mean "more like this" paper (unit length) and how many it averages:
    # a query of its own, fused with a weight that grows with the clicks.
    liked_vector: np.ndarray | None = None  # (d,)
    liked_count: int = 0
    # The newest liked papers' texts (title and abstract): the same query read as words.
    liked_texts: tuple[str, ...] = ()


def _parts(
    interests: str, exclusions: str, reading: Reading | None = None
) -> tuple[Reading, list[str], list[str], str, list[str]]:
    reading = read_interests(interests) if reading is None else reading
    facets = list(reading.facets)
    # Exclusions typed into the interests text count like those of the exclusions field.
    excluded = list(dict.fromkeys([*split_exclusions(exclusions), *reading.exclusions]))
    # The whole profile, read as one query: its topics and the clauses that qualify them.
    summary = " ".join([*facets, *reading.context])
    whole = len(facets) > 1 or bool(reading.context)
    return reading, facets, excluded, summary, facets + excluded + ([summary] if facets and whole else [])


def reader_examples(
    seed_ids: Iterable[int], signals: dict[int, int]
) -> tuple[list[int], list[int], list[int]]:
    """Seed papers and "more/less like this" clicks -> (seeds, more, less) paper ids, oldest first.

    signals: paper id -> +1 (more) or -1 (less), in click order. A "less" on a
    seed paper withdraws it. The daily run (digest.profiles) and the feedback
    simulation (digest.ranking.evaluation) both go through here.
    """
    seeds = [pid for pid in dict.fromkeys(seed_ids) if signals.get(pid) != -1]
    more = [pid for pid, signal in signals.items() if signal == 1 and pid not in seeds]
    less = [pid for pid, signal in signals.items() if signal == -1]
    return seeds, more, less


# "More / less like this" (Rocchio): the profile's vectors move this far toward
# the mean of the papers marked "more" and away from the mean of those marked
# "less", then are renormalised. A click says "this kind of paper", not "this
# exact paper", so clicks shift the whole profile a little rather than adding
# anchors or penalties that a single look-alike can trigger.
MORE_WEIGHT = 0.3
LESS_WEIGHT = 0.1
# A hedged side interest ("X papers are fine too if ...") must match this much
# better (raw scale) than a core interest to rank alongside it.
SIDE_DISCOUNT = 0.05


def _facet_bias(count: int, side: tuple[bool, ...]) -> np.ndarray:
    return -SIDE_DISCOUNT * np.asarray((list(side) + [False] * count)[:count], dtype=np.float32)


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-6)).astype(np.float32)


def _rocchio(vectors: np.ndarray, more: list[np.ndarray], less: list[np.ndarray]) -> np.ndarray:
    """Rows moved toward the mean "more like this" paper and away from the mean "less" one, renormalised."""
    if not len(vectors) or not (more or less):
        return vectors
    shift = np.zeros(vectors.shape[-1], dtype=np.float32)
    if more:
        shift += MORE_WEIGHT * np.mean(more, axis=0)
    if less:
        shift -= LESS_WEIGHT * np.mean(less, axis=0)
    moved = vectors + shift
    return (moved / np.linalg.norm(moved, axis=-1, keepdims=True).clip(1e-6)).astype(np.float32)


def describe_interests(
    *, interests: str, exclusions: str = "", papers_like: Sequence[str] = ()
) -> dict[str, list[str] | str]:
    """How ranking reads what a reader typed, for showing it back before the first email.

    Topics (core, then side interests), the clauses read as context of the
    whole profile ("for language models"), what is left out (the exclusions field
    and exclusions typed in the text), seed papers by title, and the filler that
    was ignored; "text" is one line: "Topics: … · Leaving out: … · Papers like: …".
    """
    reading, facets, excluded, _, _ = _parts(interests, exclusions)
    topics = [f for f, side in zip(facets, reading.side, strict=True) if not side]
    side_topics = [f for f, side in zip(facets, reading.side, strict=True) if side]
    parts = []
    if topics:
        parts.append("Topics: " + "; ".join(topics))
    if side_topics:
        parts.append("Also, less often: " + "; ".join(side_topics))
    if reading.context:
        parts.append("In the context of: " + "; ".join(reading.context))
    if excluded:
        parts.append("Leaving out: " + "; ".join(excluded))
    if papers_like:
        parts.append("Papers like: " + "; ".join(papers_like))
    return {
        "topics": topics,
        "side_topics": side_topics,
        "context": list(reading.context),
        "leaving_out": excluded,
        "papers_like": list(papers_like),
        "ignored": list(reading.ignored),
        "text": " · ".join(parts),
    }


def profile_texts(*, interests: str, exclusions: str = "") -> list[str]:
    """The texts build_profile embeds, in the order it asks for them: facets, exclusions, the whole."""
    return _parts(interests, exclusions)[4]


def build_profile(
    *,
    key: int,
    interests: str,
    exclusions: str = "",
    positives: Iterable[tuple[str, np.ndarray]] = (),
    negatives: Iterable[np.ndarray] = (),
    more: Iterable[np.ndarray] = (),
    more_texts: Iterable[str] = (),
    size: int = 5,
    threshold: float = 0.0,
    exclude_ids: Iterable[int] = frozenset(),
    embed: Callable[[list[str]], np.ndarray],
    reading: Reading | None = None,
) -> Profile:
    """One path from what a subscriber wrote (and clicked) to a scorable Profile.

    positives: (label, unit vector) for seed papers, oldest first: anchors of
    their own. more / negatives: vectors of the papers marked "more" / "less
    like this", which move the facets and the whole-profile vector (Rocchio); more_texts: the
    "more" papers' texts (ranking.paper_text), their words a query of their own. embed: texts ->
    unit rows (digest.embedding.embed_texts, a cache of it, or a test's fake).
    reading: read_interests(interests), when the caller stored it (digest.profiles
    keeps it with the cached vectors, so the daily run does not parse every text).
    """
    reading, facets, excluded, summary, texts = _parts(interests, exclusions, reading)
    vectors = np.asarray(embed(texts), dtype=np.float32) if texts else None
    dim = vectors.shape[1] if vectors is not None and vectors.ndim == 2 else None
    positives = list(positives)[-MAX_POSITIVES:]
    negatives = [np.asarray(v, dtype=np.float32) for v in negatives][-MAX_CLICKS:]
    more = [np.asarray(v, dtype=np.float32) for v in more][-MAX_CLICKS:]
    if vectors is not None:
        vectors = np.vstack(
            [
                _rocchio(vectors[: len(facets)], more, negatives),
                vectors[len(facets) : len(facets) + len(excluded)],
                _rocchio(vectors[len(facets) + len(excluded) :], more, negatives),
            ]
        )
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
        summary_vector=(vectors[-1] if len(facets) > 1 or reading.context else vectors[0])
        if facets
        else None,
        facet_bias=_facet_bias(len(facets), reading.side),
        reading=reading,
        liked_vector=_unit(np.mean(more, axis=0)) if more else None,
        liked_count=len(more),
        liked_texts=tuple(more_texts)[-MAX_LIKED_TEXTS:] if more else (),
    )
