"""What the management commands share: quiet by default, progress where a step takes long.

Workers and gunicorn log the `digest` and `subscriptions` loggers at INFO (LOGGING in
config/settings.py). On the command line those lines repeat what the command prints itself,
so below `-v 2` a command raises them to WARNING while it runs. Results go to stdout; steps
that take long say so on stderr, with a progress bar when stderr is a terminal.
"""

import logging
from argparse import ArgumentTypeError
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand
from tqdm import tqdm

from core.chunks import chunked

APP_LOGGERS = ("digest", "subscriptions")


class QuietCommand(BaseCommand):
    def execute(self, *args, **options):
        self.verbosity = options.get("verbosity", 1)
        if self.verbosity >= 2:
            return super().execute(*args, **options)
        loggers = [logging.getLogger(name) for name in APP_LOGGERS]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.setLevel(max(logging.WARNING, logger.getEffectiveLevel()))
        try:
            return super().execute(*args, **options)
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)

    def step(self, message: str) -> None:
        """A long step is starting (silent with -v 0)."""
        if self.verbosity >= 1:
            self.stderr.write(message)

    def embed_new_papers(self) -> int:
        """Embed what has no vector yet, with a bar: the longest step of a first run."""
        from digest.embedding import model_name, papers_embed
        from digest.models import Paper

        missing = Paper.objects.exclude(embeddings__model_name=model_name()).count()
        if not missing:
            return 0
        self.step(f"Embedding {missing} new papers with {model_name()}...")
        with self.progress_bar(total=missing, desc="Embedding", unit="paper") as bar:
            return papers_embed(progress=bar.update)

    def send_left_over(self) -> None:
        """Embedded mode has no sweep (no beat, no worker): digests left pending by a temporary
        failure, such as a refused connection, or abandoned mid-send, go out with the next command.
        A person running it is the retry, so the backoff wait is not honoured here."""
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            return  # beat's send_pending sweep does this
        from digest.delivery import digest_ids_to_send, digests_send
        from digest.models import Digest

        deferred = Digest.objects.filter(status=Digest.Status.PENDING).values_list("pk", flat=True)
        ids = sorted(set(digest_ids_to_send()) | set(deferred))
        if not ids:
            return
        self.step(f"Sending {len(ids)} digests left over from an earlier run...")
        sent = failed = retry = 0
        for chunk in chunked(ids, settings.DIGEST_SEND_CHUNK_SIZE):
            result = digests_send(digest_ids=chunk)
            sent, failed, retry = (
                sent + len(result.sent),
                failed + len(result.failed),
                retry + len(result.retry),
            )
        self.stdout.write(f"Left over from earlier: {sent} sent, {failed} failed, {retry} deferred again.")

    def progress_bar(self, *, total: int, desc: str, unit: str) -> tqdm:
        """A bar on a terminal, nothing in a log or a pipe (tqdm's disable=None)."""
        # The raw stream: Django's OutputWrapper ends every write with a newline, which
        # would print each redraw of the bar on its own line.
        stream = getattr(self.stderr, "_out", self.stderr)
        return tqdm(
            total=total, desc=desc, unit=unit, disable=None if self.verbosity >= 1 else True, file=stream
        )


def day_argument(value: str) -> date:
    """argparse type for dates: a clear message instead of "Invalid isoformat string"."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"not a date: {value!r}; give YYYY-MM-DD, e.g. 2026-06-12") from None
