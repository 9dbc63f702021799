"""Celery tasks: thin wrappers that take ids, call one service, and retry transient errors."""

import logging
from datetime import date

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from digest import build, delivery, pipeline

logger = logging.getLogger(__name__)

MAX_SEND_RETRIES = 5
# Seconds before a chunk cut short by a lost database connection runs again.
DB_RETRY_SECONDS = 5


@shared_task(bind=True, max_retries=3)
def build_digest_chunk(self, run_id: int, subscriber_ids: list[int], edition_date: str) -> None:
    try:
        pending, skipped = build.digests_build(
            subscriber_ids=subscriber_ids, edition_date=date.fromisoformat(edition_date)
        )
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            pipeline.daily_run_fail(run_id, f"chunk of {len(subscriber_ids)} subscribers failed: {exc!r}")
            raise
        raise self.retry(exc=exc, countdown=30 * (self.request.retries + 1)) from exc
    pipeline.daily_run_chunk_done(run_id, built=len(pending), skipped=skipped)
    delivery.enqueue_sending(pending)


@shared_task(bind=True, max_retries=MAX_SEND_RETRIES)
def send_digest_chunk(self, digest_ids: list[int]) -> dict:
    try:
        result = delivery.digests_send(digest_ids=digest_ids)
    except (OperationalError, InterfaceError) as exc:
        # The database went away mid-chunk. Run the chunk again soon rather than
        # leaving the rest of it to the sweep; claims make the rerun skip what went out.
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        raise self.retry(exc=exc, countdown=DB_RETRY_SECONDS) from exc
    if result.retry:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            # In-process runs cannot wait; `send_digests` (or the next run) sends them once the wait is over.
            logger.warning("%d digests deferred by temporary errors", len(result.retry))
        elif self.request.retries < self.max_retries:
            # Only the deferred digests go again; self.retry counts the tries, so the wait doubles.
            raise self.retry(args=(result.retry,), countdown=delivery.retry_delay(self.request.retries))
        else:
            # Left pending: the send_pending sweep tries them until DIGEST_MAX_ATTEMPTS fails them.
            logger.warning("%d digests still deferred after %d retries", len(result.retry), self.max_retries)
    return {"sent": len(result.sent), "failed": len(result.failed), "retry": len(result.retry)}


@shared_task
def send_pending() -> int:
    """Sweep: re-enqueue pending digests and ones abandoned mid-send by a dead worker."""
    ids = delivery.digest_ids_to_send()
    with transaction.atomic():
        delivery.enqueue_sending(ids)
    return len(ids)


@shared_task
def ingest_daily() -> int:
    from digest.ingest import ingest_daily as ingest

    return len(ingest(timezone.now().date()))


@shared_task
def run_due_slot() -> list[int]:
    """Hourly: start a run for the subscribers whose local send hour it is, and for missed hours."""
    return [run.pk for run in pipeline.scheduled_runs_start(timezone.now())]


@shared_task
def purge_expired_records() -> dict:
    """Nightly: delete what the retention settings let go (digest/retention.py)."""
    from dataclasses import asdict

    from digest.retention import records_purge

    return asdict(records_purge(today=timezone.now().date()))
