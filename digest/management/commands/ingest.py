"""Ingest papers from one source: a day, a range of days, or saved files. Safe to re-run.

python manage.py ingest --source hf_daily --date 2026-06-12
python manage.py ingest --source arxiv_rss --categories cs.LG,cs.AI
python manage.py ingest --source arxiv_api --ids 2604.26951,hep-ph/9411242
python manage.py ingest --source hf_daily --from 2026-06-01 --to 2026-06-07
python manage.py ingest --source arxiv_api --file saved_response.xml
python manage.py ingest --file papers.jsonl          # no --source: the generic JSON/JSONL file reader
python manage.py ingest --sample
"""

from datetime import date, timedelta

from django.core.management.base import CommandError, CommandParser
from tqdm import tqdm

from digest.data import SAMPLE_CORPUS
from digest.ingest import ingest_source
from digest.management.cli import QuietCommand, day_argument
from digest.models import IngestRun
from digest.sources.registry import FILE_ONLY_SOURCES, SOURCES

# A backfill longer than this is more likely a typo than a plan.
MAX_RANGE_DAYS = 366


class Command(QuietCommand):
    help = (
        "Fetch or read papers from a source and store them (new / updated / unchanged / failed). "
        "hf_daily needs --date (or --from/--to); arxiv_api needs --query, --ids or a date; arxiv_rss "
        f"needs nothing; {', '.join(FILE_ONLY_SOURCES)} read saved files (--file). "
        "--file without --source reads the generic JSON/JSONL format (source 'file')."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            choices=list(SOURCES),
            help="Where the papers come from (default with --file: 'file').",
        )
        parser.add_argument(
            "--date", type=day_argument, help="The day to ingest (YYYY-MM-DD); hf_daily needs one."
        )
        parser.add_argument(
            "--from", dest="date_from", type=day_argument, help="First day of a range (YYYY-MM-DD)."
        )
        parser.add_argument("--to", dest="date_to", type=day_argument, help="Last day of a range, inclusive.")
        parser.add_argument(
            "--file", dest="files", action="append", default=[], help="Saved response to read (repeatable)."
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
            files = [*files, str(SAMPLE_CORPUS)]
        if not source and not files:
            raise CommandError("give --source (or --file, or --sample)")
        source = source or "file"
        days = _days(options["date"], options["date_from"], options["date_to"])
        # Refused here, before a run is recorded: a typo is not a failed ingest.
        _check_source_arguments(source, files=files, days=days, query=options["query"], ids=options["ids"])
        # Files carry their own dates where they have them; --date only fills the gaps.
        jobs = [{"path": path, "day": days[0] if days else None} for path in files]
        jobs = jobs or [{"path": None, "day": day} for day in days or [None]]
        runs = []
        for job in jobs:
            label = job["path"] or (job["day"].isoformat() if job["day"] else source)
            with tqdm(
                desc=f"{source} {label}",
                unit="paper",
                disable=True if options["no_progress"] or self.verbosity == 0 else None,
                file=getattr(self.stderr, "_out", self.stderr),
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


def _check_source_arguments(
    source: str, *, files: list[str], days: list[date], query: str, ids: list[str]
) -> None:
    """The rules of digest.sources.collect.collect, checked before anything is fetched or recorded."""
    if files:
        return
    if source in FILE_ONLY_SOURCES:
        raise CommandError(f"--source {source} reads a saved response: give --file PATH")
    if source == "hf_daily" and not days:
        raise CommandError("--source hf_daily needs --date YYYY-MM-DD (or --from/--to)")
    if source == "arxiv_api" and not (query or ids or days):
        raise CommandError("--source arxiv_api needs --query, --ids or --date")


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
