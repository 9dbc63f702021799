"""Reads for a subscriber's own pages: the archive of past digests and the Atom feed of picks."""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from digest.models import Digest, DigestItem
from digest.schedule import HOUR, local_slots
from subscriptions.models import Feedback, Subscriber

# The archive lists this many digests (a year of daily ones); older ones stay in the export.
ARCHIVE_DIGESTS = 365
# Feed readers poll often: the newest picks only.
FEED_ITEMS = 50


@dataclass(frozen=True)
class Archive:
    digests: list[Digest]
    liked: list[Feedback]


def _sent_digests(subscriber: Subscriber) -> QuerySet[Digest]:
    return subscriber.digests.filter(status=Digest.Status.SENT).order_by("-edition_date")


def subscriber_archive(*, subscriber: Subscriber) -> Archive:
    """Every digest the subscriber was sent, newest first with its papers, and the papers they liked."""
    digests = _sent_digests(subscriber).prefetch_related(
        Prefetch("items", queryset=DigestItem.objects.select_related("paper").order_by("rank"))
    )[:ARCHIVE_DIGESTS]
    liked = (
        subscriber.feedback.filter(signal=Feedback.Signal.MORE)
        .select_related("paper")
        .order_by("-created_at")
    )
    return Archive(digests=list(digests), liked=list(liked))


def subscriber_feed_items(*, subscriber: Subscriber) -> list[DigestItem]:
    """The newest papers picked for the subscriber (sent digests only), newest digest first."""
    return list(
        DigestItem.objects.filter(digest__subscriber=subscriber, digest__status=Digest.Status.SENT)
        .select_related("paper", "digest")
        .order_by("-digest__edition_date", "rank")[:FEED_ITEMS]
    )


# Beat runs a slot on the hour; look a little over a week ahead for a weekly reader.
_NEXT_SEND_HORIZON_HOURS = 8 * 24


def subscriber_next_send(*, subscriber: Subscriber, now: datetime) -> datetime | None:
    """When the subscriber's next digest goes out, in their own time zone; None when none is due.

    Walks the coming hourly slots with the scheduler's own rule (digest.schedule.local_slots),
    so a send hour skipped by a clock change shows the slot it really goes out in.
    """
    if subscriber.status != Subscriber.Status.ACTIVE:
        return None
    try:
        tz = zoneinfo.ZoneInfo(subscriber.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    slot = now.replace(minute=0, second=0, microsecond=0) + HOUR
    for _ in range(_NEXT_SEND_HORIZON_HOURS):
        for day, hours in local_slots(slot, tz).items():
            weekly = subscriber.frequency == Subscriber.Frequency.WEEKLY
            if subscriber.send_hour in hours and (not weekly or day.weekday() == subscriber.weekly_day):
                return slot.astimezone(tz)
        slot += HOUR
    return None


def next_send_label(when: datetime) -> str:
    """ "Thu 07:00 Berlin": the weekday and time where the reader lives, and the place."""
    place = str(when.tzinfo).rsplit("/", 1)[-1].replace("_", " ")
    return f"{when:%a %H:%M} {place}"
