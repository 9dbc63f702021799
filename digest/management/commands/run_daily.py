from datetime import timedelta

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from digest.management.cli import QuietCommand, day_argument
from digest.models import DailyRun, Digest
from digest.pipeline import daily_run_start


class Command(QuietCommand):
    help = "Build and send every active subscriber's digest for a date (default: today). Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=day_argument, default=None, help="Edition date, YYYY-MM-DD.")

    def handle(self, *args, date=None, **options):
        today = timezone.now().date()
        edition_date = date or today
        # Local days run at most one day ahead of UTC (UTC+14); a later date is a typo.
        if edition_date > today + timedelta(days=1):
            raise CommandError(f"--date {edition_date} is in the future (today is {today} UTC)")
        self.embed_new_papers()
        if settings.CELERY_TASK_ALWAYS_EAGER:
            self.step(f"Scoring and sending the digests for {edition_date} in this process...")
        run = daily_run_start(edition_date=edition_date)
        run.refresh_from_db()
        counts = {s: 0 for s in Digest.Status.values}
        for status in Digest.objects.filter(edition_date=edition_date).values_list("status", flat=True):
            counts[status] += 1
        state = "queued on workers" if run.status == DailyRun.Status.RUNNING else run.status
        self.stdout.write(
            f"Run {run.pk} for {edition_date}: {run.papers} candidate papers, {run.subscribers} subscribers, "
            f"{run.chunks_total} chunks ({state}). Digests for the date: "
            + (", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none")
        )
