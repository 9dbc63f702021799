"""Ingest papers from one source: a day, a range of days, or saved files. Safe to re-run.

python manage.py ingest --source hf_daily --date 2026-06-12
python manage.py ingest --source arxiv_rss --categories cs.LG,cs.AI
python manage.py ingest --source arxiv_api --ids 2604.26951,hep-ph/9411242
python manage.py ingest --source hf_daily --from 2026-06-01 --to 2026-06-07
python manage.py ingest --source arxiv_api --file saved_response.xml
python manage.py ingest --sample
"""

from argparse import ArgumentTypeError
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from digest.data import SAMPLE_CORPUS
from digest.ingest import ingest_source
from digest.models import IngestRun
from digest.sources.collect import SOURCES

# A backfill longer than this is more likely a typo than a plan.
MAX_RANGE_DAYS = 366


class Command(BaseCommand):
    help = "Fetch or read papers from a source and store them (new / updated / unchanged / failed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", choices=SOURCES, help="Where the papers come from.")
        parser.add_argument("--date", type=_day, help="The day to ingest (YYYY-MM-DD).")
        parser.add_argument("--from", dest="date_from", type=_day, help="First day of a range (YYYY-MM-DD).")
        parser.add_argument("--to", dest="date_to", type=_day, help="Last day of a range, inclusive.")
        parser.add_argument(
            "--file", dest="files", action="append", default=[], help="Saved response to read."
        )
        parser.add_argument(
            "--query", default="", help="arXiv API search_query, e.g. 'cat:cs.LG AND all:transformer'."
        )
        parser.add_argument("--ids", type=_list, default=[], help="arXiv ids for the API, comma separated.")
        parser.add_argument("--categories", type=_list, default=[], help="arXiv categories, comma separated.")
        parser.add_argument("--sample", action="store_true", help="Load the shipped sample corpus.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options) -> None:
        source = options["source"]
        files = options["files"]
        if options["sample"]:
            source = source or "file"
            files = [*files, str(SAMPLE_CORPUS)]
        if not source:
            raise CommandError("give --source (or --sample)")
        days = _days(options["date"], options["date_from"], options["date_to"])
        # Files carry their own dates where they have them; --date only fills the gaps.
        jobs = [{"path": path, "day": days[0] if days else None} for path in files]
        jobs = jobs or [{"path": None, "day": day} for day in days or [None]]
        runs = []
        for job in jobs:
            label = job["path"] or (job["day"].isoformat() if job["day"] else source)
            with tqdm(
                desc=f"{source} {label}", unit="paper", disable=options["no_progress"], file=self.stderr
            ) as bar:
                try:
                    run = ingest_source(
                        source,
                        query=options["query"],
                        ids=options["ids"],
                        categories=options["categories"],
                        progress=_progress(bar),
                        **job,
                    )
                except ValueError as exc:
                    raise CommandError(str(exc)) from None
            runs.append(run)
            self._report(run, label)
        failed = [run for run in runs if run.status == IngestRun.Status.FAILED]
        if len(runs) > 1:
            self.stdout.write(_summary("total", runs))
        if failed:
            raise CommandError(f"{len(failed)} of {len(runs)} fetches failed")

    def _report(self, run: IngestRun, label: str) -> None:
        line = _summary(label, [run])
        if run.status == IngestRun.Status.FAILED:
            self.stderr.write(
                self.style.ERROR(f"{line}: FAILED: {run.errors[0] if run.errors else 'unknown error'}")
            )
            return
        self.stdout.write(self.style.SUCCESS(line) if not run.failed else self.style.WARNING(line))
        for error in run.errors[:5]:
            self.stdout.write(f"  skipped: {error}")


def _summary(label: str, runs: list[IngestRun]) -> str:
    total = {
        name: sum(getattr(run, name) for run in runs)
        for name in ("created", "updated", "unchanged", "failed")
    }
    return (
        f"{label}: {total['created']} new, {total['updated']} updated, "
        f"{total['unchanged']} unchanged, {total['failed']} failed"
    )


def _progress(bar: tqdm):
    def update(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    return update


def _days(single: date | None, first: date | None, last: date | None) -> list[date]:
    if single and (first or last):
        raise CommandError("give --date or --from/--to, not both")
    if single:
        return [single]
    if not first and not last:
        return []
    first, last = first or last, last or first
    if last < first:
        raise CommandError("--to is before --from")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise CommandError(f"a range of at most {MAX_RANGE_DAYS} days")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
