"""Build each subscriber's digest for an edition date: load, rank, write rows.

Per chunk of subscribers: a constant number of queries (papers, profiles,
feedback, already-sent papers), one vectorised ranking call, one bulk insert.
The previews (picks_for_subscriber, picks_for_interests) rank the same way and
write nothing.
"""

import logging
from collections import defaultdict
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from digest import ranking
from digest.candidates import candidate_window, latest_edition_date, paper_set
from digest.models import Digest, DigestItem, Paper
from digest.profiles import profile_for_new_reader, profiles_for
from digest.skip_reasons import empty_digest_reasons
from subscriptions.models import Subscriber

logger = logging.getLogger(__name__)


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
    empty: dict[int, tuple[str, str]] = {}
    for (start, end), group in by_window.items():
        papers = paper_set(start, end)
        profiles = profiles_for(group, edition_date=edition_date)
        picked = ranking.rank(papers, profiles)
        picks.update(picked)
        empty.update(empty_digest_reasons(papers, profiles, [s.pk for s in group if not picked.get(s.pk)]))
    try:
        return _write_digests(subscribers, picks, edition_date, empty)
    except IntegrityError:
        # A concurrent builder wrote some of these rows first; build only the rest.
        logger.info("digests_build: concurrent build for %s, retrying the remainder", edition_date)
        return digests_build(subscriber_ids=subscriber_ids, edition_date=edition_date)


@transaction.atomic
def _write_digests(
    subscribers: list[Subscriber],
    picks: dict[int, list[ranking.Pick]],
    edition_date: date,
    empty: dict[int, tuple[str, str]],
) -> tuple[list[int], int]:
    digests = []
    for subscriber in subscribers:
        chosen = picks.get(subscriber.pk, [])
        status = Digest.Status.PENDING if chosen or subscriber.send_empty_note else Digest.Status.SKIPPED
        reason, detail = empty.get(subscriber.pk, ("", ""))
        digests.append(
            Digest(
                subscriber=subscriber,
                edition_date=edition_date,
                status=status,
                empty_reason=reason,
                empty_detail=detail[:300],
            )
        )
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
            DigestItem(digest=digest, paper_id=pick.paper_id, rank=rank, score=pick.score, why=pick.why[:300])
            for digest in digests
            for rank, pick in enumerate(picks.get(digest.subscriber_id, []), start=1)
        ]
    )
    pending = [d.pk for d in digests if d.status == Digest.Status.PENDING]
    return pending, len(digests) - len(pending)


def _with_papers(picks: list[ranking.Pick]) -> list[tuple[Paper, float, str]]:
    papers = Paper.objects.in_bulk([p.paper_id for p in picks])
    return [(papers[p.paper_id], p.score, p.why) for p in picks]


def picks_for_subscriber(subscriber: Subscriber, edition_date: date) -> list[tuple[Paper, float, str]]:
    """What this subscriber would get for the date, without writing anything (operators' inspector)."""
    profiles = profiles_for([subscriber], edition_date=edition_date)
    if not profiles:
        return []
    papers = paper_set(*candidate_window(edition_date, subscriber))
    return _with_papers(ranking.rank(papers, profiles)[subscriber.pk])


def picks_for_interests(
    *, interests: str, exclusions: str = "", size: int = 5, today: date | None = None
) -> list[tuple[Paper, float, str]]:
    """What a reader signing up now with these words would get (the sign-up preview).

    The daily run's candidates, threshold and profile path: the newest edition
    with papers (today's on a weekday), scored for a new subscriber's defaults.
    """
    if not (interests or "").strip():
        return []
    edition_date = latest_edition_date(today or timezone.localdate())
    papers = paper_set(*candidate_window(edition_date))
    if not len(papers):
        return []
    profile = profile_for_new_reader(interests=interests, exclusions=exclusions, size=size)
    return _with_papers(ranking.rank(papers, [profile])[profile.key])
