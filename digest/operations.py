"""What the admin's operator actions do: resend, re-embed, re-run an ingest.

Each takes ids or a row and returns a count or the new run, so the admin only
turns the outcome into a message. Functions that other branches still ship are
looked up when called (optional_function), so the rest works before they land.
"""

import importlib
from datetime import date

from django.db import transaction

from digest import embedding, tasks
from digest.models import Digest, IngestRun, PaperEmbedding


class OperationUnavailable(Exception):
    """The pipeline function an action calls is not installed in this deployment."""


def digests_resend_failed(*, digest_ids: list[int]) -> list[int]:
    """Put failed digests back in the outbox and queue them; return the ids requeued.

    Only FAILED rows move (a conditional UPDATE), so a digest sent or being sent
    meanwhile is never sent twice. Attempts restart at zero: an operator's resend
    gets the full retry budget, or one more temporary error would fail it at once.
    """
    with transaction.atomic():
        failed = list(
            Digest.objects.select_for_update()
            .filter(pk__in=digest_ids, status=Digest.Status.FAILED)
            .values_list("pk", flat=True)
        )
        Digest.objects.filter(pk__in=failed, status=Digest.Status.FAILED).update(
            status=Digest.Status.PENDING, last_error="", attempts=0, claimed_at=None, retry_after=None
        )
        # enqueue_sending queues on commit, so workers only ever see the PENDING rows.
        tasks.enqueue_sending(failed)
    return failed


def papers_reembed(*, paper_ids: list[int]) -> int:
    """Replace these papers' vectors for the current model; return how many were embedded."""
    # One transaction: if the model fails to load or encode, the old vectors stay.
    with transaction.atomic():
        PaperEmbedding.objects.filter(paper_id__in=paper_ids, model_name=embedding.model_name()).delete()
        return embedding.papers_embed(paper_ids=paper_ids)


def ingest_rerun(run: IngestRun) -> IngestRun:
    """Run the same source again with the day and file of an earlier run."""
    ingest_source = optional_function("digest.ingest", "ingest_source")
    day = run.params.get("day")
    return ingest_source(
        run.source,
        day=date.fromisoformat(day) if isinstance(day, str) else None,
        path=run.params.get("path"),
    )


def optional_function(module: str, name: str):
    """Import module.name when asked for: the pipeline pieces ship on their own schedule."""
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        # Only the module itself being absent means "not deployed"; a missing
        # dependency inside it is a real error and should surface.
        if exc.name != module:
            raise
        found = None
    function = getattr(found, name, None)
    if function is None:
        raise OperationUnavailable(f"{module}.{name} is not available in this deployment.")
    return function
