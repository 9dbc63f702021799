"""Who is due now: each subscriber's chosen local hour in their own time zone.

Beat calls this once an hour (`tasks.run_due_slot`); each slot that ran is recorded, so
after an outage the hours missed (up to DIGEST_CATCH_UP_HOURS) are run late, once each. A UTC hour usually stands
for one local hour in each zone; on the spring daylight-saving change a local
hour is skipped (02:00 in Europe/Berlin never happens), and subscribers who
chose it are due in the slot right after the gap instead of missing the day.
On the autumn change a local hour happens twice; both slots find the same
subscribers, and the one-digest-per-day constraint sends them one email.

Editions are dated by the subscriber's local day, but sources announce papers
by UTC day: `papers_day` maps one to the other, so a reader in UTC+14 whose
07:00 falls on the previous UTC afternoon gets that UTC day's papers rather
than an empty window of papers not yet announced.
"""

import zoneinfo
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q

from digest.models import Digest, ScheduleSlot
from subscriptions.models import Subscriber

HOUR = timedelta(hours=1)


def local_slots(now: datetime, tz: zoneinfo.ZoneInfo) -> dict[date, set[int]]:
    """The local (date, hour) wall-clock slots that the UTC hour containing `now` stands for in `tz`."""
    current = now.astimezone(tz).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    previous = (now - HOUR).astimezone(tz).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    slots: dict[date, set[int]] = defaultdict(set)
    slots[current.date()].add(current.hour)
    hour = previous + HOUR
    while hour < current:  # only after a skipped (spring-forward) hour
        slots[hour.date()].add(hour.hour)
        hour += HOUR
    return slots


def due_subscribers(now: datetime) -> dict[date, list[int]]:
    """Active subscribers whose local send hour is now, grouped by their local edition date."""
    due: dict[date, list[int]] = defaultdict(list)
    active = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE)
    for name in active.values_list("timezone", flat=True).distinct():
        try:
            tz = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        for day, hours in local_slots(now, tz).items():
            ids = active.filter(timezone=name, send_hour__in=hours).filter(
                Q(frequency=Subscriber.Frequency.DAILY)
                | Q(frequency=Subscriber.Frequency.WEEKLY, weekly_day=day.weekday())
            )
            due[day].extend(ids.order_by("pk").values_list("pk", flat=True))
    return {day: sorted(ids) for day, ids in due.items() if ids}


def papers_day(edition_date: date, subscriber: Subscriber, *, now: datetime) -> date:
    """The newest UTC announcement day out at the subscriber's send hour on their local edition date.

    Never later than the UTC day of `now`: an edition built before its slot (`run_daily`
    for everyone at once) takes what has been announced so far.
    """
    try:
        tz = zoneinfo.ZoneInfo(subscriber.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    slot = datetime.combine(edition_date, time(subscriber.send_hour), tzinfo=tz)
    return min(slot.astimezone(UTC).date(), now.astimezone(UTC).date())


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def slots_to_run(now: datetime) -> list[datetime]:
    """The UTC hours whose send slots are due: this hour, and the ones missed since the last slot ran.

    After beat or every worker was down, each missed hour is run once, late, going back at
    most DIGEST_CATCH_UP_HOURS. Before any slot has ever run there is nothing to catch up.
    """
    current = _hour(now)
    last = ScheduleSlot.objects.aggregate(last=Max("at"))["last"]
    if last is None:
        return [current]
    first = min(current, max(_hour(last) + HOUR, current - timedelta(hours=settings.DIGEST_CATCH_UP_HOURS)))
    return [first + HOUR * n for n in range(int((current - first) / HOUR) + 1)]


def slot_ran(at: datetime) -> None:
    ScheduleSlot.objects.get_or_create(at=_hour(at))


def due_without_digest(slot: datetime) -> dict[date, list[int]]:
    """The subscribers due in this slot who have no digest for its date yet (a caught-up slot may
    find some already served by a manual run)."""
    due = {}
    for day, ids in due_subscribers(slot).items():
        served = set(
            Digest.objects.filter(edition_date=day, subscriber_id__in=ids).values_list(
                "subscriber_id", flat=True
            )
        )
        if remaining := [pk for pk in ids if pk not in served]:
            due[day] = remaining
    return due


def due_on(day: date, now: datetime) -> list[int]:
    """Active subscribers due on their local `day` whose send hour has come by `now` and who have
    no digest for it yet: what `run_daily --date` sends after an outage, early to nobody."""
    active = (
        Subscriber.objects.filter(status=Subscriber.Status.ACTIVE)
        .filter(
            Q(frequency=Subscriber.Frequency.DAILY)
            | Q(frequency=Subscriber.Frequency.WEEKLY, weekly_day=day.weekday())
        )
        .exclude(Exists(Digest.objects.filter(subscriber=OuterRef("pk"), edition_date=day)))
    )
    ids = []
    for name in active.values_list("timezone", flat=True).distinct():
        try:
            tz = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        come = [hour for hour in range(24) if datetime.combine(day, time(hour), tzinfo=tz) <= now]
        ids += active.filter(timezone=name, send_hour__in=come).values_list("pk", flat=True)
    return sorted(ids)
