"""Who is due now: each subscriber's chosen local hour in their own time zone."""

import zoneinfo
from collections import defaultdict
from datetime import date, datetime

from django.db.models import Q

from subscriptions.models import Subscriber


def due_subscribers(now: datetime) -> dict[date, list[int]]:
    """Active subscribers whose local send hour is now, grouped by their local edition date."""
    due: dict[date, list[int]] = defaultdict(list)
    timezones = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE).values_list("timezone", flat=True).distinct()
    for name in timezones:
        try:
            local = now.astimezone(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        ids = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE, timezone=name, send_hour=local.hour).filter(
            Q(frequency=Subscriber.Frequency.DAILY) | Q(frequency=Subscriber.Frequency.WEEKLY, weekly_day=local.weekday())
        )
        due[local.date()].extend(ids.order_by("pk").values_list("pk", flat=True))
    return {day: ids for day, ids in due.items() if ids}
