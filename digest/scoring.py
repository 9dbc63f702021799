"""Build each subscriber's digest for an edition date: load, rank, write rows.

Per chunk of subscribers: a constant number of queries (papers, profiles,
feedback, already-sent papers), one vectorised ranking call, one bulk insert.
"""

import hashlib
import logging
from collections import defaultdict
from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import ngettext

from digest import ranking
from digest.embedding import embed_texts, model_name, papers_embed, vectors_for_papers
from digest.models import Digest, DigestItem, Paper
from digest.schedule import papers_day
from digest.trending import trending_picks
from subscriptions.models import Feedback, Subscriber, TopicProfile

logger = logging.getLogger(__name__)

# Statuses whose papers count as "sent" for the never-twice rule: a pending or
# sending digest will go out, so its papers are taken too.
_TAKEN = (Digest.Status.PENDING, Digest.Status.SENDING, Digest.Status.SENT)


def candidate_window(edition_date: date, subscriber: Subscriber | None = None) -> tuple[date, date]:
    """The announcement days [start, end] an edition draws from (for one subscriber, in UTC days)."""
    days = settings.DIGEST_LOOKBACK_DAYS
    end = edition_date
    if subscriber is not None:
        if subscriber.frequency == Subscriber.Frequency.WEEKLY:
            days = max(days, 7)
        end = papers_day(edition_date, subscriber, now=timezone.now())
    return end - timedelta(days=days - 1), end


# The last PaperSet built in this process, by a digest of its contents: every
# chunk task of a day scores the same papers, and the BM25 index of 2,000 papers
# costs about as much as ranking a chunk of 1,000 profiles against it.
_paper_sets: dict[bytes, ranking.PaperSet] = {}


def paper_set(start: date, end: date) -> ranking.PaperSet:
    """The candidate papers announced in [start, end], embedded (reused while they are unchanged)."""
    rows = list(
        Paper.objects.filter(announced_on__gte=start, announced_on__lte=end)
        .order_by("id")
        .values_list("id", "title", "abstract", "upvotes")
    )
    ids = [row[0] for row in rows]
    vectors = vectors_for_papers(ids)
    missing = [pid for pid in ids if pid not in vectors]
    if missing:
        papers_embed(paper_ids=missing)
        vectors.update(vectors_for_papers(missing))
    key = hashlib.blake2b(repr((model_name(), rows)).encode(), digest_size=16)
    for pid in ids:
        key.update(vectors[pid].tobytes())
    cached = _paper_sets.get(key.digest())
    if cached is not None:
        return cached
    dim = next(iter(vectors.values())).shape[0] if vectors else 0
    papers = ranking.PaperSet(
        ids=np.asarray(ids, dtype=np.int64),
        titles=[row[1] for row in rows],
        texts=[f"{row[1]}. {row[2]}" for row in rows],
        vectors=np.vstack([vectors[pid] for pid in ids]) if ids else np.zeros((0, dim), dtype=np.float32),
        upvotes=np.asarray([row[3] or 0 for row in rows], dtype=np.float32),
    )
    _paper_sets.clear()  # one day's papers at a time
    _paper_sets[key.digest()] = papers
    return papers


def _vectors_key(profile: TopicProfile) -> str:
    text = "\x1f".join((model_name(), profile.interests, profile.exclusions))
    return hashlib.sha256(text.encode()).hexdigest()


def _texts_to_embed(profile: TopicProfile) -> list[str]:
    """The texts ranking.build_profile asks to embed for this profile (its one definition of them)."""
    asked: list[str] = []

    def record(texts: list[str]) -> np.ndarray:
        asked.extend(texts)
        return np.zeros((len(texts), 1), dtype=np.float32)

    ranking.build_profile(
        key=profile.subscriber_id, interests=profile.interests, exclusions=profile.exclusions, embed=record
    )
    return asked


def profile_vectors_refresh(profiles: list[TopicProfile]) -> None:
    """Embed the texts of profiles whose words (or the model) changed, all in one batch."""
    stale = [p for p in profiles if p.vectors_key != _vectors_key(p) or p.vectors is None]
    if not stale:
        return
    texts = [_texts_to_embed(p) for p in stale]
    matrix = embed_texts([t for group in texts for t in group])
    offset = 0
    for profile, group in zip(stale, texts, strict=True):
        profile.vectors = matrix[offset : offset + len(group)].astype("<f4").tobytes()
        profile.vectors_layout = {"texts": group, "dim": int(matrix.shape[1])}
        profile.vectors_key = _vectors_key(profile)
        offset += len(group)
    TopicProfile.objects.bulk_update(stale, ["vectors", "vectors_layout", "vectors_key"])


def _cached_embedder(profile: TopicProfile):
    layout = profile.vectors_layout
    matrix = np.frombuffer(bytes(profile.vectors), dtype="<f4").reshape(-1, layout["dim"])

    def embed(texts: list[str]) -> np.ndarray:
        if texts != layout["texts"]:  # the facet rules changed since the cache was written
            return embed_texts(texts)
        return matrix

    return embed


def _seed_papers(profiles: list[TopicProfile]) -> dict[int, list[int]]:
    """Seed lines (arXiv ids or titles) resolved to paper ids, per subscriber."""
    from digest.sources.records import RecordError, parse_arxiv_id, title_key

    wanted: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for profile in profiles:
        for line in (profile.seed_papers or "").splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                wanted[profile.subscriber_id].append(("a", parse_arxiv_id(line)[0]))
            except RecordError:
                wanted[profile.subscriber_id].append(("t", title_key(line)))
    if not wanted:
        return {}
    ids = {v for pairs in wanted.values() for k, v in pairs if k == "a"}
    keys = {v for pairs in wanted.values() for k, v in pairs if k == "t"}
    found = {}
    for pid, arxiv_id, key in Paper.objects.filter(Q(arxiv_id__in=ids) | Q(title_key__in=keys)).values_list(
        "id", "arxiv_id", "title_key"
    ):
        if arxiv_id:
            found[("a", arxiv_id)] = pid
        found[("t", key)] = pid
    return {sid: [found[pair] for pair in pairs if pair in found] for sid, pairs in wanted.items()}


def profiles_for(subscribers: list[Subscriber], *, edition_date: date) -> list[ranking.Profile]:
    """ranking.Profile for each subscriber that has a topic profile, with a fixed number of queries."""
    by_id = {s.pk: s for s in subscribers}
    topic_profiles = list(TopicProfile.objects.filter(subscriber_id__in=by_id))
    profile_vectors_refresh(topic_profiles)
    seeds = _seed_papers(topic_profiles)
    feedback: dict[int, dict[int, int]] = defaultdict(dict)
    for sid, pid, signal in Feedback.objects.filter(subscriber_id__in=by_id).values_list(
        "subscriber_id", "paper_id", "signal"
    ):
        feedback[sid][pid] = signal
    taken: dict[int, set[int]] = defaultdict(set)
    for sid, pid in (
        DigestItem.objects.filter(digest__subscriber_id__in=by_id, digest__status__in=_TAKEN)
        .exclude(digest__edition_date=edition_date)
        .values_list("digest__subscriber_id", "paper_id")
    ):
        taken[sid].add(pid)
    example_ids = {pid for ids in seeds.values() for pid in ids} | {
        pid for f in feedback.values() for pid in f
    }
    example_vectors = vectors_for_papers(list(example_ids))
    missing = [pid for pid in example_ids if pid not in example_vectors]
    if missing:
        papers_embed(paper_ids=missing)
        example_vectors.update(vectors_for_papers(missing))
    titles = dict(Paper.objects.filter(id__in=example_ids).values_list("id", "title"))

    profiles = []
    for topic in topic_profiles:
        subscriber = by_id[topic.subscriber_id]
        liked = [pid for pid in seeds.get(subscriber.pk, []) if feedback[subscriber.pk].get(pid) != -1]
        liked += [pid for pid, signal in feedback[subscriber.pk].items() if signal == 1 and pid not in liked]
        disliked = [pid for pid, signal in feedback[subscriber.pk].items() if signal == -1]
        profiles.append(
            ranking.build_profile(
                key=subscriber.pk,
                interests=topic.interests,
                exclusions=topic.exclusions,
                positives=[
                    (f"like: {titles[pid][:120]}", example_vectors[pid])
                    for pid in liked
                    if pid in example_vectors
                ],
                negatives=[example_vectors[pid] for pid in disliked if pid in example_vectors],
                size=subscriber.digest_size,
                threshold=subscriber.effective_threshold,
                # Papers already picked, and papers the subscriber liked or disliked, are not news.
                exclude_ids=frozenset(
                    taken[subscriber.pk] | set(feedback[subscriber.pk]) | set(seeds.get(subscriber.pk, []))
                ),
                embed=_cached_embedder(topic),
            )
        )
    return profiles


def digests_build(*, subscriber_ids: list[int], edition_date: date) -> tuple[list[int], int]:
    """Create the day's Digest rows for these subscribers; return (pending digest ids, skipped count).

    Subscribers who already have a digest for the date are left alone, so a
    re-run or a duplicated task builds nothing twice.
    """
    subscribers = list(
        Subscriber.objects.filter(pk__in=subscriber_ids, status=Subscriber.Status.ACTIVE)
        .exclude(digests__edition_date=edition_date)
        .order_by("pk")
    )
    if not subscribers:
        return [], 0
    by_window: dict[tuple[date, date], list[Subscriber]] = defaultdict(list)
    for subscriber in subscribers:
        by_window[candidate_window(edition_date, subscriber)].append(subscriber)
    picks: dict[int, list[ranking.Pick]] = {}
    trending: dict[int, list[ranking.Pick]] = {}
    for (start, end), group in by_window.items():
        papers = paper_set(start, end)
        profiles = profiles_for(group, edition_date=edition_date)
        personal = ranking.rank(papers, profiles)
        picks.update(personal)
        sizes = {s.pk: s.trending_size for s in group}
        trending.update(trending_picks(papers, profiles, personal=personal, sizes=sizes))
    try:
        return _write_digests(subscribers, picks, trending, edition_date)
    except IntegrityError:
        # A concurrent builder wrote some of these rows first; build only the rest.
        logger.info("digests_build: concurrent build for %s, retrying the remainder", edition_date)
        return digests_build(subscriber_ids=subscriber_ids, edition_date=edition_date)


def trending_why(upvotes: float) -> str:
    """The "why" of a trending paper: "trending: 212 upvotes"."""
    count = int(upvotes)
    return "trending: " + ngettext("%(num)d upvote", "%(num)d upvotes", count) % {"num": count}


def _items_for(
    subscriber: Subscriber, personal: list[ranking.Pick], trending: list[ranking.Pick]
) -> list[dict]:
    """The digest's rows in reading order: the personal picks, then "Trending today".

    On a day with nothing personal, trending papers go out only if the reader asked for that.
    """
    if not personal and not subscriber.trending_on_quiet_days:
        trending = []
    return [{"pick": pick, "trending": False} for pick in personal] + [
        {"pick": pick, "trending": True} for pick in trending
    ]


@transaction.atomic
def _write_digests(subscribers, picks, trending, edition_date) -> tuple[list[int], int]:
    digests = []
    items: dict[int, list[dict]] = {}
    for subscriber in subscribers:
        items[subscriber.pk] = _items_for(
            subscriber, picks.get(subscriber.pk, []), trending.get(subscriber.pk, [])
        )
        worth_sending = items[subscriber.pk] or subscriber.send_empty_note
        status = Digest.Status.PENDING if worth_sending else Digest.Status.SKIPPED
        digests.append(Digest(subscriber=subscriber, edition_date=edition_date, status=status))
    Digest.objects.bulk_create(digests)
    if any(d.pk is None for d in digests):  # backends without RETURNING
        saved = dict(
            Digest.objects.filter(subscriber__in=subscribers, edition_date=edition_date).values_list(
                "subscriber_id", "id"
            )
        )
        for digest in digests:
            digest.pk = saved[digest.subscriber_id]
    DigestItem.objects.bulk_create(
        [
            DigestItem(
                digest=digest,
                paper_id=item["pick"].paper_id,
                rank=rank,
                # A trending paper's score is its upvotes, told in its why; it has no relevance score.
                score=0.0 if item["trending"] else item["pick"].score,
                why=(trending_why(item["pick"].score) if item["trending"] else item["pick"].why)[:300],
                trending=item["trending"],
            )
            for digest in digests
            for rank, item in enumerate(items[digest.subscriber_id], start=1)
        ]
    )
    pending = [d.pk for d in digests if d.status == Digest.Status.PENDING]
    return pending, len(digests) - len(pending)


def digest_picks_preview(subscriber: Subscriber, edition_date: date) -> list[tuple[Paper, float, str]]:
    """What this subscriber would get for the date, without writing anything (operators' inspector)."""
    start, end = candidate_window(edition_date, subscriber)
    profiles = profiles_for([subscriber], edition_date=edition_date)
    if not profiles:
        return []
    chosen = ranking.rank(paper_set(start, end), profiles).get(subscriber.pk, [])
    papers = Paper.objects.in_bulk([p.paper_id for p in chosen])
    return [(papers[p.paper_id], p.score, p.why) for p in chosen]
