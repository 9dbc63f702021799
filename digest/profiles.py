"""Subscribers' topic profiles, seeds, feedback and sent papers as ranking.Profile: the profile stage.

One path for everyone: the daily run (profiles_for), the operators' inspector
and the sign-up preview (profile_for_new_reader) assemble profiles in _profiles.
"""

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import NamedTuple

import numpy as np
from django.db.models import Q

from digest import ranking
from digest.embedding import embed_texts, model_name, paper_vectors
from digest.models import Digest, DigestItem, Paper
from digest.ranking import profile as ranking_profile
from digest.ranking import text as ranking_text
from digest.sources.records import RecordError, parse_arxiv_id, title_key
from subscriptions.models import Feedback, Subscriber, TopicProfile

# Statuses whose papers count as "sent" for the never-twice rule: a pending or
# sending digest will go out, so its papers are taken too.
_TAKEN = (Digest.Status.PENDING, Digest.Status.SENDING, Digest.Status.SENT)


class _Topic(NamedTuple):
    """The TopicProfile columns the daily run reads, as a row: no model instance per reader."""

    subscriber_id: int
    interests: str
    exclusions: str
    seed_papers: str
    vectors: bytes | memoryview | None
    vectors_layout: dict
    vectors_key: str


def vectors_key(profile: TopicProfile | _Topic) -> str:
    """What the cached vectors of a profile depend on: the model and the words."""
    text = "\x1f".join((model_name(), profile.interests, profile.exclusions))
    return hashlib.sha256(text.encode()).hexdigest()


def _reading_rules() -> str:
    """A fingerprint of the reading rules: the source of the modules that read an interests text.

    Those are read_interests and split_exclusions (digest.ranking.text) and the
    texts build_profile embeds (digest.ranking.profile). A profile's reading is
    stored with its vectors and valid only under the rules that made it: any
    change to those modules (a rule, a constant, even a comment) makes every
    stored reading stale, so each profile is read again once, on its next run,
    and re-embedded only if the texts it embeds changed. A version number would
    rely on whoever changes a rule to bump it; the source cannot forget.
    """
    sources = b"".join(Path(module.__file__ or "").read_bytes() for module in (ranking_text, ranking_profile))
    return hashlib.sha256(sources).hexdigest()[:16]


# Taken when the modules are imported, so it is the fingerprint of the code this process runs.
READING_RULES = _reading_rules()


def _layout(reading: ranking.Reading, texts: list[str], dim: int) -> dict:
    """vectors_layout: the texts the vectors are of, and the reading that made them, under these rules."""
    return {
        "texts": texts,
        "dim": dim,
        "rules": READING_RULES,
        "reading": {name: list(value) for name, value in dataclasses.asdict(reading).items()},
    }


def vectors_layout(*, interests: str, exclusions: str, dim: int) -> dict:
    """The vectors_layout of a profile with these words: what profile_vectors_refresh stores (and the bench writes)."""
    reading = ranking.read_interests(interests)
    return _layout(reading, ranking.profile_texts(interests=interests, exclusions=exclusions), dim)


def _stored_reading(profile: TopicProfile | _Topic) -> ranking.Reading:
    return ranking.Reading(
        **{name: tuple(value) for name, value in profile.vectors_layout["reading"].items()}
    )


def _stale(profile: TopicProfile | _Topic) -> bool:
    """No vectors, other words or model, or a reading made under other reading rules.

    Checking the rules' fingerprint, not the texts, is what spares the daily run
    parsing every reader's text; a stale reading is read again, and re-embedded
    only if its texts changed (profile_vectors_refresh).
    """
    return (
        profile.vectors is None
        or profile.vectors_key != vectors_key(profile)
        or profile.vectors_layout.get("rules") != READING_RULES
    )


def profile_vectors_refresh(profiles: list[TopicProfile]) -> None:
    """Read stale profiles again and embed those whose texts (or model) changed, all in one batch.

    A profile whose words are the same but whose reading was made under other
    rules keeps its vectors when the rules still make the same texts of it.
    """
    stale = [p for p in profiles if _stale(p)]
    if not stale:
        return
    layouts = [
        vectors_layout(interests=p.interests, exclusions=p.exclusions, dim=p.vectors_layout.get("dim", 0))
        for p in stale
    ]
    embed = [
        (p, layout)
        for p, layout in zip(stale, layouts, strict=True)
        if p.vectors is None
        or p.vectors_key != vectors_key(p)
        or p.vectors_layout.get("texts") != layout["texts"]
    ]
    if embed:
        matrix = embed_texts([t for _, layout in embed for t in layout["texts"]])
        offset = 0
        for profile, layout in embed:
            count = len(layout["texts"])
            profile.vectors = matrix[offset : offset + count].astype("<f4").tobytes()
            layout["dim"] = int(matrix.shape[1])
            offset += count
    for profile, layout in zip(stale, layouts, strict=True):
        profile.vectors_layout = layout
        profile.vectors_key = vectors_key(profile)
    TopicProfile.objects.bulk_update(stale, ["vectors", "vectors_layout", "vectors_key"])


def _cached_embedder(profile: TopicProfile | _Topic) -> Callable[[list[str]], np.ndarray]:
    layout = profile.vectors_layout
    matrix = np.frombuffer(bytes(profile.vectors), dtype="<f4").reshape(-1, layout["dim"])

    def embed(texts: list[str]) -> np.ndarray:
        # profiles_for refreshed every profile whose stored reading or vectors were stale (_stale).
        if texts != layout["texts"]:
            raise RuntimeError(f"profile {profile.subscriber_id}: cached vectors are not of these texts")
        return matrix

    return embed


def _seed_papers(profiles: list[TopicProfile | _Topic]) -> list[list[int]]:
    """Seed lines (arXiv ids or titles) resolved to paper ids, one list per profile."""
    wanted: list[list[tuple[str, str]]] = []
    for profile in profiles:
        pairs = []
        for line in (profile.seed_papers or "").splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                pairs.append(("a", parse_arxiv_id(line)[0]))
            except RecordError:
                pairs.append(("t", title_key(line)))
        wanted.append(pairs)
    ids = {v for pairs in wanted for k, v in pairs if k == "a"}
    keys = {v for pairs in wanted for k, v in pairs if k == "t"}
    if not ids and not keys:
        return [[] for _ in profiles]
    found = {}
    for pid, arxiv_id, key in Paper.objects.filter(Q(arxiv_id__in=ids) | Q(title_key__in=keys)).values_list(
        "id", "arxiv_id", "title_key"
    ):
        if arxiv_id:
            found[("a", arxiv_id)] = pid
        found[("t", key)] = pid
    return [[found[pair] for pair in pairs if pair in found] for pairs in wanted]


def profiles_for(subscribers: list[Subscriber], *, edition_date: date) -> list[ranking.Profile]:
    """ranking.Profile for each subscriber that has a topic profile, with a fixed number of queries.

    Topic profiles are read as rows, not model instances: at 1,000 readers a
    chunk, the instances were a fifth of loading them (docs/PERFORMANCE.md).
    """
    by_id = {s.pk: s for s in subscribers}
    rows = TopicProfile.objects.filter(subscriber_id__in=by_id).values_list(*_Topic._fields)
    topics = [_Topic(*row) for row in rows]
    stale = [t.subscriber_id for t in topics if _stale(t)]
    if stale:  # rare: words changed since the last run (the model or the reading rules, on a change)
        profile_vectors_refresh(list(TopicProfile.objects.filter(subscriber_id__in=stale)))
        topics = [_Topic(*row) for row in rows.all()]
    return _profiles(
        [
            _Reader(by_id[topic.subscriber_id], topic, _cached_embedder(topic), _stored_reading(topic))
            for topic in topics
        ],
        edition_date=edition_date,
    )


def profile_for_new_reader(
    *,
    interests: str,
    exclusions: str = "",
    seed_papers: str = "",
    size: int,
    threshold_mode: str = Subscriber.ThresholdMode.RECOMMENDED,
) -> ranking.Profile:
    """The profile a reader signing up now would get: the defaults of a new subscriber, no feedback yet."""
    subscriber = Subscriber(digest_size=size, threshold_mode=threshold_mode)
    topic = TopicProfile(
        subscriber=subscriber, interests=interests, exclusions=exclusions, seed_papers=seed_papers
    )
    return _profiles([_Reader(subscriber, topic, embed_texts, None)], edition_date=None)[0]


class _Reader(NamedTuple):
    subscriber: Subscriber
    topic: TopicProfile | _Topic
    embed: Callable[[list[str]], np.ndarray]
    reading: ranking.Reading | None  # stored with the cached vectors; None: read the text now


def _profiles(readers: list[_Reader], *, edition_date: date | None) -> list[ranking.Profile]:
    """Seeds, feedback and papers already sent, then one ranking.build_profile per reader."""
    saved = [reader.subscriber.pk for reader in readers if reader.subscriber.pk is not None]
    seeds = _seed_papers([reader.topic for reader in readers])
    feedback: dict[int, dict[int, int]] = defaultdict(dict)
    taken: dict[int, set[int]] = defaultdict(set)
    if saved:
        for sid, pid, signal in (
            Feedback.objects.filter(subscriber_id__in=saved)
            .order_by("created_at", "id")
            .values_list("subscriber_id", "paper_id", "signal")
        ):
            feedback[sid][pid] = signal
        for sid, pid in (
            DigestItem.objects.filter(digest__subscriber_id__in=saved, digest__status__in=_TAKEN)
            .exclude(digest__edition_date=edition_date)
            .values_list("digest__subscriber_id", "paper_id")
        ):
            taken[sid].add(pid)
    example_ids = {pid for ids in seeds for pid in ids} | {pid for f in feedback.values() for pid in f}
    example_vectors = paper_vectors(list(example_ids))
    titles, texts = {}, {}
    for pid, title, abstract in Paper.objects.filter(id__in=example_ids).values_list(
        "id", "title", "abstract"
    ):
        titles[pid], texts[pid] = title, ranking.paper_text(title, abstract)

    profiles = []
    for (subscriber, topic, embed, reading), seed_ids in zip(readers, seeds, strict=True):
        signals = feedback[subscriber.pk] if subscriber.pk is not None else {}
        kept, more, less = ranking.reader_examples(seed_ids, signals)
        profiles.append(
            ranking.build_profile(
                key=subscriber.pk or 0,
                interests=topic.interests,
                exclusions=topic.exclusions,
                positives=[
                    (titles[pid][:120], example_vectors[pid]) for pid in kept if pid in example_vectors
                ],
                more=[example_vectors[pid] for pid in more if pid in example_vectors],
                more_texts=[texts[pid] for pid in more if pid in example_vectors],
                negatives=[example_vectors[pid] for pid in less if pid in example_vectors],
                size=subscriber.digest_size,
                threshold=subscriber.effective_threshold,
                # Papers already picked, and papers the subscriber liked or disliked, are not news.
                exclude_ids=frozenset(taken[subscriber.pk] | set(signals) | set(seed_ids)),
                embed=embed,
                reading=reading,
            )
        )
    return profiles
