"""Build each subscriber's digest for an edition date: load, rank, write rows.

Per chunk of subscribers: a constant number of queries (papers, profiles,
feedback, already-sent papers), one ranking call (ranking.rank_batch: the
day's rows per distinct facet text, kept per process), one bulk insert.
The previews (picks_for_subscriber, picks_for_interests) rank one profile with
the reference ranking.rank, which picks the same, and write nothing.
"""

import logging
import statistics
from collections import defaultdict
from datetime import date, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import ngettext

from digest import ranking
from digest.candidates import candidate_window, latest_edition_date, paper_set, paper_set_with_days
from digest.models import Digest, DigestItem, Paper
from digest.profiles import profile_for_new_reader, profiles_for
from digest.skip_reasons import empty_digest_reasons
from digest.trending import trending_picks
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
    trending: dict[int, list[ranking.Pick]] = {}
    empty: dict[int, tuple[str, str]] = {}
    for (start, end), group in by_window.items():
        papers = paper_set(start, end)
        profiles = profiles_for(group, edition_date=edition_date)
        personal = ranking.rank_batch(papers, profiles)
        picks.update(personal)
        sizes = {s.pk: s.trending_size for s in group}
        trending.update(trending_picks(papers, profiles, personal=personal, sizes=sizes))
        empty.update(empty_digest_reasons(papers, profiles, [s.pk for s in group if not personal.get(s.pk)]))
    try:
        return _write_digests(subscribers, picks, trending, edition_date, empty)
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
) -> list[tuple[ranking.Pick, bool]]:
    """The digest's (pick, is trending) in reading order: the personal picks, then "Trending today".

    On a day with nothing personal, trending papers go out only if the reader asked for that.
    """
    if not personal and not subscriber.trending_on_quiet_days:
        trending = []
    return [(pick, False) for pick in personal] + [(pick, True) for pick in trending]


def _trending_note(subscriber: Subscriber, sent: int, found: int) -> str:
    if sent:
        return "; " + ngettext("sent %(num)d trending paper", "sent %(num)d trending papers", sent) % {
            "num": sent
        }
    if found and subscriber.trending_size:
        return "; trending papers held back (the reader wants them only with personal picks)"
    return ""


@transaction.atomic
def _write_digests(
    subscribers: list[Subscriber],
    picks: dict[int, list[ranking.Pick]],
    trending: dict[int, list[ranking.Pick]],
    edition_date: date,
    empty: dict[int, tuple[str, str]],
) -> tuple[list[int], int]:
    digests = []
    items: dict[int, list[tuple[ranking.Pick, bool]]] = {}
    for subscriber in subscribers:
        items[subscriber.pk] = _items_for(
            subscriber, picks.get(subscriber.pk, []), trending.get(subscriber.pk, [])
        )
        worth_sending = items[subscriber.pk] or subscriber.send_empty_note
        status = Digest.Status.PENDING if worth_sending else Digest.Status.SKIPPED
        reason, detail = empty.get(subscriber.pk, ("", ""))
        if reason:
            # Nothing personal: say whether the trending papers went out instead.
            detail += _trending_note(
                subscriber, len(items[subscriber.pk]), len(trending.get(subscriber.pk, []))
            )
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
    _insert_items(
        [
            (
                digest.pk,
                pick.paper_id,
                rank,
                # A trending pick's score is its upvotes, told in its why; it has no relevance score.
                0.0 if is_trending else pick.score,
                (trending_why(pick.score) if is_trending else pick.why)[:300],
                is_trending,
            )
            for digest in digests
            for rank, (pick, is_trending) in enumerate(items[digest.subscriber_id], start=1)
        ]
    )
    pending = [d.pk for d in digests if d.status == Digest.Status.PENDING]
    return pending, len(digests) - len(pending)


_ITEM_FIELDS = ("digest", "paper", "rank", "score", "why", "trending")


def _insert_items(rows: list[tuple[int, int, int, float, str, bool]]) -> None:
    """DigestItem rows (digest id, paper id, rank, score, why, trending) in one statement.

    On PostgreSQL the columns travel as arrays through unnest: building a chunk's
    ~8,000 model instances and their SQL for bulk_create was about a third of the
    build phase (docs/PERFORMANCE.md). Other databases take bulk_create.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        DigestItem.objects.bulk_create(
            [
                DigestItem(digest_id=d, paper_id=p, rank=r, score=score, why=why, trending=t)
                for d, p, r, score, why, t in rows
            ]
        )
        return
    meta = DigestItem._meta
    columns = ", ".join(connection.ops.quote_name(meta.get_field(name).column) for name in _ITEM_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::integer[], %s::float8[], %s::text[], %s::boolean[])",
            [list(column) for column in zip(*rows, strict=True)],
        )


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
    *,
    interests: str,
    exclusions: str = "",
    size: int = 5,
    threshold_mode: str = Subscriber.ThresholdMode.RECOMMENDED,
    today: date | None = None,
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
    profile = profile_for_new_reader(
        interests=interests, exclusions=exclusions, size=size, threshold_mode=threshold_mode
    )
    return _with_papers(ranking.rank(papers, [profile])[profile.key])


# A "typical day" for the preview: the median of the last week's days with papers.
TYPICAL_DAYS = 7


def papers_per_day(
    *,
    interests: str,
    exclusions: str = "",
    size: int,
    threshold_mode: str = Subscriber.ThresholdMode.RECOMMENDED,
    today: date | None = None,
) -> int:
    """How many papers a typical day would bring these interests (for the sign-up and preferences preview).

    Over the last TYPICAL_DAYS announcement days up to the newest edition, each
    day counts the papers reaching the threshold of `threshold_mode` (a new
    reader's effective_threshold), at most `size` of them, as the daily run
    would pick; the answer is the median day. Days without papers (weekends)
    send nothing and are not counted.
    """
    if not (interests or "").strip():
        return 0
    end = latest_edition_date(today or timezone.localdate())
    papers, day_of = paper_set_with_days(end - timedelta(days=TYPICAL_DAYS - 1), end)
    if not len(papers):
        return 0
    profile = profile_for_new_reader(
        interests=interests, exclusions=exclusions, size=size, threshold_mode=threshold_mode
    )
    scores = ranking.score_profiles(papers, [profile]).calibrated[0]
    per_day: dict[date, int] = defaultdict(int)
    for paper_id, score in zip(papers.ids.tolist(), scores, strict=True):
        per_day[day_of[paper_id]] += bool(score >= profile.threshold)
    return int(statistics.median_low(min(count, size) for count in per_day.values()))
