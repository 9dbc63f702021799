"""Retention: what is deleted after how long, and what is never deleted.

Deleted each night (`tasks.purge_expired_records`, beat):
- daily and ingest runs older than RETENTION_RUNS_DAYS (the dashboard looks back 90 days at most);
- recorded schedule slots older than RETENTION_SLOTS_DAYS, always keeping the latest, which is
  where catching up after an outage starts;
- digests (with their items) whose edition date is older than RETENTION_DIGESTS_DAYS.

Never deleted, because "never send twice" rests on them:
- papers: a paper's announcement date only ever moves earlier, so an old paper row can never be
  a candidate again; deleted, the same paper ingested anew would be a new row and could be sent
  to a reader who already had it;
- digests young enough to be run again: the setting cannot go below the candidate window plus
  the catch-up window (config/settings.py refuses it), and `run_daily --date` refuses dates
  older than it, so no run can meet a date whose digests were purged;
- feedback and subscribers' status history, which shape ranking and the dashboard.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, models, transaction

from digest.models import DailyRun, Digest, DigestItem, IngestRun, Paper, PaperEmbedding, ScheduleSlot

logger = logging.getLogger(__name__)

# Below this many rows (by the statistics) a table is counted exactly.
EXACT_COUNT_BELOW = 1_000_000
# Deleted per statement, so a first purge of years of rows never holds one huge transaction.
PURGE_BATCH = 5000


@dataclass
class Purged:
    daily_runs: int = 0
    ingest_runs: int = 0
    schedule_slots: int = 0
    digests: int = 0


def oldest_kept_edition(today: date) -> date:
    return today - timedelta(days=settings.RETENTION_DIGESTS_DAYS)


def records_purge(*, today: date) -> Purged:
    runs_before = today - timedelta(days=settings.RETENTION_RUNS_DAYS)
    latest_slot = ScheduleSlot.objects.order_by("-at").values_list("pk", flat=True).first()
    purged = Purged(
        daily_runs=_delete_in_batches(DailyRun.objects.filter(started_at__date__lt=runs_before)),
        ingest_runs=_delete_in_batches(IngestRun.objects.filter(started_at__date__lt=runs_before)),
        schedule_slots=_delete_in_batches(
            ScheduleSlot.objects.filter(
                at__date__lt=today - timedelta(days=settings.RETENTION_SLOTS_DAYS)
            ).exclude(pk=latest_slot)
        ),
        digests=_delete_in_batches(Digest.objects.filter(edition_date__lt=oldest_kept_edition(today))),
    )
    logger.info("retention: purged %s", purged)
    return purged


def _delete_in_batches(query: models.QuerySet) -> int:
    deleted = 0
    while ids := list(query.values_list("pk", flat=True)[:PURGE_BATCH]):
        with transaction.atomic():
            # A digest's items go with it (CASCADE).
            query.model.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
    return deleted


@dataclass
class TableSize:
    name: str
    rows: int
    bytes: int | None  # None where the database cannot tell (SQLite)


SIZED_MODELS = (Paper, PaperEmbedding, Digest, DigestItem, DailyRun, IngestRun, ScheduleSlot)


def table_sizes() -> list[TableSize]:
    """Rows and disk size of the tables that grow, for the dashboard.

    On PostgreSQL a big table's rows are the statistics' estimate (pg_class.reltuples, kept
    fresh by autovacuum): an exact count of millions of rows would make the page slow.
    """
    tables = [model._meta.db_table for model in SIZED_MODELS]
    if connection.vendor != "postgresql":
        return [TableSize(model._meta.db_table, model.objects.count(), None) for model in SIZED_MODELS]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, GREATEST(reltuples, 0)::bigint, pg_total_relation_size(oid) "
            "FROM pg_class WHERE relkind = 'r' AND relname = ANY(%s)",
            [tables],
        )
        found = {name: (rows, size) for name, rows, size in cursor.fetchall()}
    sizes = []
    for model in SIZED_MODELS:
        estimate, size = found.get(model._meta.db_table, (0, 0))
        rows = estimate if estimate >= EXACT_COUNT_BELOW else model.objects.count()
        sizes.append(TableSize(model._meta.db_table, rows, size))
    return sizes
