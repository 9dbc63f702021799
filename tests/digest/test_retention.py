"""digest/retention.py: what the nightly purge deletes, and what it never does."""

import datetime as dt
import subprocess
import sys
from io import StringIO

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from digest.models import DailyRun, Digest, DigestItem, IngestRun, Paper, ScheduleSlot
from digest.retention import records_purge, table_sizes
from digest.tasks import purge_expired_records
from tests.factories import (
    DailyRunFactory,
    DigestFactory,
    DigestItemFactory,
    IngestRunFactory,
    PaperFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
TODAY = dt.date(2026, 11, 23)


def days_ago(n: int) -> dt.datetime:
    return dt.datetime.combine(TODAY - dt.timedelta(days=n), dt.time(6), tzinfo=UTC)


def test_it_deletes_old_runs_slots_and_digests_and_keeps_the_rest(settings):
    settings.RETENTION_RUNS_DAYS, settings.RETENTION_SLOTS_DAYS, settings.RETENTION_DIGESTS_DAYS = 180, 7, 730
    for age in (181, 179):
        with time_machine.travel(days_ago(age), tick=False):
            DailyRunFactory()
            IngestRunFactory()
    for age in (30, 20):  # the newest slot is kept whatever its age: catching up starts there
        ScheduleSlot.objects.create(at=days_ago(age))
    old_paper = PaperFactory(announced_on=TODAY - dt.timedelta(days=800))
    old = DigestFactory(edition_date=TODAY - dt.timedelta(days=731))
    DigestItemFactory(digest=old, paper=old_paper)
    kept = DigestFactory(edition_date=TODAY - dt.timedelta(days=730))

    purged = records_purge(today=TODAY)

    assert (purged.daily_runs, purged.ingest_runs, purged.schedule_slots, purged.digests) == (1, 1, 1, 1)
    assert DailyRun.objects.count() == IngestRun.objects.count() == 1
    assert list(ScheduleSlot.objects.values_list("at", flat=True)) == [days_ago(20)]
    assert list(Digest.objects.all()) == [kept] and not DigestItem.objects.exists()
    # Papers are never deleted: a re-ingested one would be new, and could be sent twice.
    assert Paper.objects.filter(pk=old_paper.pk).exists()


def test_it_runs_nightly_from_beat():
    from config.celery import app

    entry = app.conf.beat_schedule["purge-expired-records"]
    assert entry["task"] == "digest.tasks.purge_expired_records"
    with time_machine.travel(days_ago(0), tick=False):
        assert purge_expired_records() == {
            "daily_runs": 0,
            "ingest_runs": 0,
            "schedule_slots": 0,
            "digests": 0,
        }


def test_a_run_cannot_meet_a_date_whose_digests_may_be_purged(settings):
    settings.RETENTION_DIGESTS_DAYS = 30
    with (
        time_machine.travel(days_ago(0), tick=False),
        pytest.raises(CommandError, match="RETENTION_DIGESTS_DAYS"),
    ):
        call_command(
            "run_daily", "--date", str(TODAY - dt.timedelta(days=31)), stdout=StringIO(), stderr=StringIO()
        )


def test_settings_refuse_a_digest_retention_shorter_than_a_run_can_reach():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "RETENTION_DIGESTS_DAYS": "2",
            "PATH": "/usr/bin:/bin",
        },
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "RETENTION_DIGESTS_DAYS must be at least 4" in result.stderr


def test_table_sizes_count_the_rows_of_the_tables_that_grow():
    digest = DigestFactory()
    DigestItemFactory.create_batch(3, digest=digest)

    sizes = {size.name: size for size in table_sizes()}

    assert sizes[DigestItem._meta.db_table].rows == 3 and sizes[Digest._meta.db_table].rows == 1
    assert sizes[Paper._meta.db_table].rows == Paper.objects.count()
    if sizes[Paper._meta.db_table].bytes is not None:  # PostgreSQL
        assert sizes[Paper._meta.db_table].bytes > 0
