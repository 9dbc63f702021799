"""ops.selectors.status_banner: the worst current state, not only the latest run."""

import datetime as dt

import pytest
import time_machine

from digest.models import DailyRun, Digest, IngestRun, ScheduleSlot
from ops import selectors
from tests.factories import DailyRunFactory, DigestFactory, IngestRunFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 14, 20, tzinfo=dt.UTC)


def at(hour: int, minute: int = 0, day: int = 23) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC)


def made(factory, when: dt.datetime, **fields):
    with time_machine.travel(when, tick=False):
        return factory(**fields)


def banner() -> selectors.Banner:
    with time_machine.travel(NOW, tick=False):
        return selectors.status_banner(NOW)


@pytest.fixture
def good_day(settings):
    settings.SOURCES_DAILY = ["hf_daily"]
    made(IngestRunFactory, at(12, 15), source="hf_daily")
    made(DailyRunFactory, at(6), edition_date=NOW.date(), papers=40, digests_built=3)
    for hour in range(0, 15):
        ScheduleSlot.objects.create(at=at(hour))


def test_all_clear_says_how_todays_run_went(good_day):
    assert (banner().level, banner().title, banner().problems) == ("ok", "Run succeeded", ())


def test_a_failed_ingest_is_red_even_after_a_good_run(good_day):
    made(
        IngestRunFactory, at(13, 15), source="arxiv_rss", status=IngestRun.Status.FAILED, errors=["HTTP 503"]
    )

    shown = banner()

    assert (shown.level, shown.title) == ("error", "Ingest of arxiv_rss failed")
    assert "HTTP 503" in shown.detail


def test_a_daily_source_without_a_recent_ingest_is_stale(good_day):
    IngestRun.objects.update(started_at=at(1, day=22))
    assert (banner().level, banner().title) == ("warning", "No new ingest of hf_daily")


def test_digests_stuck_in_flight_are_red_and_retrying_ones_amber(good_day):
    made(
        DigestFactory, at(11), status=Digest.Status.PENDING, last_error="ConnectionRefusedError: [Errno 111]"
    )
    assert (banner().level, banner().title) == ("error", "Digests stuck in flight")
    assert "Connection" in banner().detail

    Digest.objects.update(created_at=at(14, 5))
    assert (banner().level, banner().title) == ("warning", "Digests retrying")


def test_a_missed_slot_and_a_late_slot_are_amber(good_day):
    ScheduleSlot.objects.filter(at__gte=at(12)).delete()
    assert (banner().level, banner().title) == ("warning", "Send slots missed")

    ScheduleSlot.objects.create(at=at(14))
    late = made(DailyRunFactory, at(14, 1), edition_date=NOW.date(), scheduled_for=at(12), papers=40)
    assert late.late
    shown = banner()
    assert (shown.level, shown.title) == ("warning", "Sent late")
    assert "12:00" in shown.detail


def test_the_worst_problem_leads_and_every_problem_is_listed(good_day):
    ScheduleSlot.objects.filter(at__gte=at(12)).delete()
    made(DailyRunFactory, at(13), status=DailyRun.Status.FAILED, error="OperationalError: gone")

    shown = banner()

    assert (shown.level, shown.title) == ("error", "The run failed")
    assert [p.title for p in shown.problems] == ["The run failed", "Send slots missed"]


def test_a_laptop_without_beat_is_not_stale():
    made(DailyRunFactory, at(6), edition_date=NOW.date(), papers=40)
    assert banner().level == "ok"


def test_old_failures_are_history_not_status(good_day):
    made(DailyRunFactory, at(6, day=21), status=DailyRun.Status.FAILED)
    made(IngestRunFactory, at(6, day=21), source="arxiv_rss", status=IngestRun.Status.FAILED)
    made(IngestRunFactory, at(9), source="arxiv_rss")
    assert banner().level == "ok"
