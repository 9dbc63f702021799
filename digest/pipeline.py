"""The daily run: embed what is new, fan subscribers out in chunks, build, send.

Chunks carry ids only and every step is idempotent, so the same run can be
repeated, a chunk can be delivered twice, and more workers on more machines
simply finish sooner.
"""

import logging
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.chunks import chunked
from digest import alerts
from digest.candidates import candidate_window
from digest.embedding import papers_embed
from digest.models import DailyRun, Paper
from subscriptions.models import Subscriber

logger = logging.getLogger(__name__)


def daily_run_start(
    *,
    edition_date: date,
    subscriber_ids: list[int] | None = None,
    slot: str = "all",
    scheduled_for: datetime | None = None,
) -> DailyRun:
    """Record the run and enqueue one build task per chunk of subscribers (after commit)."""
    from digest import tasks

    papers_embed()
    if subscriber_ids is None:
        subscriber_ids = list(
            Subscriber.objects.filter(status=Subscriber.Status.ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    chunks = chunked(subscriber_ids, settings.DIGEST_SCORE_CHUNK_SIZE)
    start, end = candidate_window(edition_date)
    with transaction.atomic():
        run = DailyRun.objects.create(
            edition_date=edition_date,
            slot=slot,
            papers=Paper.objects.filter(announced_on__gte=start, announced_on__lte=end).count(),
            subscribers=len(subscriber_ids),
            chunks_total=len(chunks),
            scheduled_for=scheduled_for,
        )
        if not chunks:
            daily_run_finish(run.pk)
        for chunk in chunks:
            transaction.on_commit(
                lambda chunk=chunk: tasks.build_digest_chunk.delay(run.pk, chunk, edition_date.isoformat())
            )
    run.refresh_from_db()
    return run


def scheduled_runs_start(now: datetime) -> list[DailyRun]:
    """Run this hour's send slot and any missed since the last one ran (digest.schedule)."""
    from digest import schedule

    runs = []
    for slot in schedule.slots_to_run(now):
        for day, ids in sorted(schedule.due_without_digest(slot).items()):
            runs.append(
                daily_run_start(
                    edition_date=day, subscriber_ids=ids, slot=f"{slot:%H}:00 UTC", scheduled_for=slot
                )
            )
        # Recorded once its runs are queued: a crash before this repeats the slot next hour,
        # which the one-digest-per-day constraint makes harmless.
        schedule.slot_ran(slot)
    return runs


def daily_run_chunk_done(run_id: int, *, built: int, skipped: int) -> None:
    DailyRun.objects.filter(pk=run_id).update(
        digests_built=F("digests_built") + built,
        digests_skipped=F("digests_skipped") + skipped,
        chunks_done=F("chunks_done") + 1,
    )
    # Whoever finishes the last chunk closes the run; the filter makes it happen once.
    DailyRun.objects.filter(pk=run_id, chunks_done__gte=F("chunks_total"), finished_at__isnull=True).update(
        finished_at=timezone.now(), status=DailyRun.Status.SUCCEEDED
    )


def daily_run_finish(run_id: int) -> None:
    DailyRun.objects.filter(pk=run_id, finished_at__isnull=True).update(
        finished_at=timezone.now(), status=DailyRun.Status.SUCCEEDED
    )


def daily_run_fail(run_id: int, error: str) -> None:
    DailyRun.objects.filter(pk=run_id).update(
        status=DailyRun.Status.FAILED, error=error[:5000], finished_at=timezone.now()
    )
    run = DailyRun.objects.get(pk=run_id)
    alerts.admins_alert(
        subject=f"Daily run {run.pk} for {run.edition_date} ({run.slot}) failed",
        body=f"{run.chunks_done} of {run.chunks_total} chunks done.\n\n{error}",
    )
