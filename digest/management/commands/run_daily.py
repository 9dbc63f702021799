from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from digest.models import DailyRun, Digest
from digest.pipeline import daily_run_start


class Command(BaseCommand):
    help = "Build and send every active subscriber's digest for a date (default: today). Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, default=None, help="Edition date, YYYY-MM-DD.")

    def handle(self, *args, date=None, **options):
        edition_date = date or timezone.now().date()
        run = daily_run_start(edition_date=edition_date)
        run.refresh_from_db()
        counts = {s: 0 for s in Digest.Status.values}
        for status in Digest.objects.filter(edition_date=edition_date).values_list("status", flat=True):
            counts[status] += 1
        state = "queued on workers" if run.status == DailyRun.Status.RUNNING else run.status
        self.stdout.write(
            f"Run {run.pk} for {edition_date}: {run.papers} candidate papers, {run.subscribers} subscribers, "
            f"{run.chunks_total} chunks ({state}). Digests for the date: "
            + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        )
