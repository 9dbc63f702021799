"""Run digests by hand: the readers due now (the default), a past day's, or everyone at once.

manage.py run_daily                     # as beat's hourly run: this hour's slot and any missed ones
manage.py run_daily --date 2026-11-23   # that day's readers whose hour has come, who got nothing yet
manage.py run_daily --all-now [--date]  # every active reader, now, whatever their hour or weekday
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from digest.management.cli import QuietCommand, day_argument
from digest.models import DailyRun, Digest
from digest.pipeline import daily_run_start, scheduled_runs_start
from digest.retention import oldest_kept_edition
from digest.schedule import due_on


class Command(QuietCommand):
    help = (
        "Build and send digests for the readers who are due: by default those whose local send hour "
        "(and, for weekly readers, weekday) is now, plus slots missed in the last DIGEST_CATCH_UP_HOURS, "
        "as beat's hourly run does; with --date, that day's readers whose hour has come and who have no "
        "digest for it yet (after an outage). --all-now sends every active reader one now, whatever "
        "their hour or weekday (demos, tests, benchmarks). Never sends anyone two digests for a date."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=day_argument,
            default=None,
            help="Edition date (the readers' local day), YYYY-MM-DD.",
        )
        parser.add_argument(
            "--all-now",
            action="store_true",
            help="Every active reader, now, ignoring send hours and weekdays (dated today unless --date).",
        )

    def handle(self, *args, date=None, all_now=False, **options):
        now = timezone.now()
        today = now.date()
        # Local days run at most one day ahead of UTC (UTC+14); a later date is a typo.
        if date and date > today + timedelta(days=1):
            raise CommandError(f"--date {date} is in the future (today is {today} UTC)")
        # Its digests may have been purged: a run could send papers again (digest/retention.py).
        if date and date < oldest_kept_edition(today):
            raise CommandError(
                f"--date {date} is older than RETENTION_DIGESTS_DAYS ({settings.RETENTION_DIGESTS_DAYS})"
            )
        self.embed_new_papers()
        self.send_left_over()
        if settings.CELERY_TASK_ALWAYS_EAGER:
            self.step("Scoring and sending in this process...")
        if all_now:
            runs = [daily_run_start(edition_date=date or today)]
        elif date:
            runs = [daily_run_start(edition_date=date, subscriber_ids=due_on(date, now), slot="manual")]
        else:
            runs = scheduled_runs_start(now)
        if not runs:
            self.stdout.write("Nobody is due now.")
        for run in runs:
            self._report(run)

    def _report(self, run: DailyRun) -> None:
        run.refresh_from_db()
        counts = {s: 0 for s in Digest.Status.values}
        for status in Digest.objects.filter(edition_date=run.edition_date).values_list("status", flat=True):
            counts[status] += 1
        state = "queued on workers" if run.status == DailyRun.Status.RUNNING else run.status
        late = " (late)" if run.late else ""
        self.stdout.write(
            f"Run {run.pk} for {run.edition_date}, slot {run.slot}{late}: {run.papers} candidate papers, "
            f"{run.subscribers} subscribers, {run.chunks_total} chunks ({state}). Digests for the date: "
            + (", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none")
        )
