"""The digest inspector: what one subscriber got on one date, or what they would get.

The "would get" previews come from the digest code, the same path as the daily run.
"""

import calendar
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db.models import Prefetch

from digest.build import picks_for_interests, picks_for_subscriber
from digest.models import Digest, DigestItem, Paper
from subscriptions.models import Subscriber

MAX_SEARCH_RESULTS = 20


@dataclass(frozen=True)
class PickRow:
    """One line of the inspector's picks table."""

    rank: int
    title: str
    link: str
    score: float
    why: str


def subscribers_search(query: str, *, limit: int = MAX_SEARCH_RESULTS) -> list[Subscriber]:
    query = query.strip()
    if not query:
        return []
    return list(Subscriber.objects.filter(email__icontains=query).order_by("email")[:limit])


def digest_for(subscriber: Subscriber, edition_date: date) -> Digest | None:
    items = DigestItem.objects.select_related("paper").order_by("rank")
    return (
        Digest.objects.filter(subscriber=subscriber, edition_date=edition_date)
        .prefetch_related(Prefetch("items", queryset=items))
        .first()
    )


def digest_picks(digest: Digest) -> list[PickRow]:
    return [PickRow(i.rank, i.paper.title, i.paper.link, i.score, i.why) for i in digest.items.all()]


def _rows(picks: list[tuple[Paper, float, str]]) -> list[PickRow]:
    return [
        PickRow(rank, paper.title, paper.link, score, why)
        for rank, (paper, score, why) in enumerate(picks, 1)
    ]


def subscriber_picks_now(subscriber: Subscriber, edition_date: date) -> list[PickRow]:
    """What the daily run would pick for this subscriber on this date (nothing is stored)."""
    return _rows(picks_for_subscriber(subscriber, edition_date))


def interests_picks_now(*, interests: str, exclusions: str = "", size: int = 5) -> list[PickRow]:
    """Today's digest for a free-form interests text, as the sign-up preview computes it."""
    picks = picks_for_interests(interests=interests, exclusions=exclusions, size=size)
    return _rows(picks)


@dataclass(frozen=True)
class NoDigest:
    """Why a reader has no digest for a date, and whether "what they would get" makes sense."""

    reason: str
    previewable: bool


def reader_schedule(subscriber: Subscriber) -> str:
    """When the reader is due, in their own words: "Weekly, Fridays at 07:00 Europe/Berlin"."""
    when = f"at {subscriber.send_hour:02d}:00 {subscriber.timezone}"
    if subscriber.frequency == Subscriber.Frequency.WEEKLY:
        return f"Weekly, {calendar.day_name[subscriber.weekly_day]}s {when}"
    return f"Daily {when}"


def why_no_digest(subscriber: Subscriber, edition_date: date, now: datetime) -> NoDigest:
    """The reason no digest was built for this reader and date (none is stored for these cases)."""
    if subscriber.status != Subscriber.Status.ACTIVE:
        return NoDigest(f"{subscriber.get_status_display()}: no digest is built for this reader.", False)
    if (
        subscriber.frequency == Subscriber.Frequency.WEEKLY
        and edition_date.weekday() != subscriber.weekly_day
    ):
        return NoDigest(
            f"Not due: a weekly reader, on {calendar.day_name[subscriber.weekly_day]}s only "
            f"({edition_date:%A} {edition_date}).",
            False,
        )
    try:
        tz = zoneinfo.ZoneInfo(subscriber.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return NoDigest(f"Never due: unknown time zone {subscriber.timezone!r}.", False)
    slot = datetime.combine(edition_date, time(subscriber.send_hour), tzinfo=tz)
    at = f"{slot:%Y-%m-%d %H:%M} {subscriber.timezone} ({slot.astimezone(UTC):%H:%M} UTC)"
    if slot > now:
        return NoDigest(f"Not due yet: their slot is {at}. Below, what they would get if it ran now.", True)
    if subscriber.confirmed_at and subscriber.confirmed_at > slot:
        return NoDigest(f"Confirmed after that day's slot ({at}).", False)
    return NoDigest(
        f"Due at {at}, but no digest was built: that slot did not run (see Runs). "
        "Below, what they would get now.",
        True,
    )
