"""Subscribers' topic profiles, seeds, feedback and sent papers as ranking.Profile: the profile stage.

One path for everyone: the daily run (profiles_for), the operators' inspector
and the sign-up preview (profile_for_new_reader) assemble profiles in _profiles.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import NamedTuple

import numpy as np
from django.db.models import Q

from digest import ranking
from digest.embedding import embed_texts, model_name, paper_vectors
from digest.models import Digest, DigestItem, Paper
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


def _stale(profile: TopicProfile | _Topic) -> bool:
    """No vectors, other words or model, or vectors of texts the reading rules no longer make.

    The last case re-embeds a profile once, in a batch, after the rules change
    how its text is read; without it, its vectors were embedded anew each day.
    """
    return (
        profile.vectors is None
        or profile.vectors_key != vectors_key(profile)
        or profile.vectors_layout.get("texts")
        != ranking.profile_texts(interests=profile.interests, exclusions=profile.exclusions)
    )


def profile_vectors_refresh(profiles: list[TopicProfile]) -> None:
    """Embed the texts of profiles whose words (or the model) changed, all in one batch."""
    stale = [p for p in profiles if _stale(p)]
    if not stale:
        return
    texts = [ranking.profile_texts(interests=p.interests, exclusions=p.exclusions) for p in stale]
    matrix = embed_texts([t for group in texts for t in group])
    offset = 0
    for profile, group in zip(stale, texts, strict=True):
        profile.vectors = matrix[offset : offset + len(group)].astype("<f4").tobytes()
        profile.vectors_layout = {"texts": group, "dim": int(matrix.shape[1])}
        profile.vectors_key = vectors_key(profile)
        offset += len(group)
    TopicProfile.objects.bulk_update(stale, ["vectors", "vectors_layout", "vectors_key"])


def _cached_embedder(profile: TopicProfile | _Topic) -> Callable[[list[str]], np.ndarray]:
    layout = profile.vectors_layout
    matrix = np.frombuffer(bytes(profile.vectors), dtype="<f4").reshape(-1, layout["dim"])

    def embed(texts: list[str]) -> np.ndarray:
        # profiles_for refreshed every profile whose texts the rules read otherwise (_stale).
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
        [(by_id[topic.subscriber_id], topic, _cached_embedder(topic)) for topic in topics],
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
    return _profiles([(subscriber, topic, embed_texts)], edition_date=None)[0]


def _profiles(
    readers: list[tuple[Subscriber, TopicProfile | _Topic, Callable[[list[str]], np.ndarray]]],
    *,
    edition_date: date | None,
) -> list[ranking.Profile]:
    """Seeds, feedback and papers already sent, then one ranking.build_profile per reader."""
    saved = [subscriber.pk for subscriber, _, _ in readers if subscriber.pk is not None]
    seeds = _seed_papers([topic for _, topic, _ in readers])
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
    for (subscriber, topic, embed), seed_ids in zip(readers, seeds, strict=True):
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
            )
        )
    return profiles
