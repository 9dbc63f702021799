"""One path from parsed records to Paper rows: match, merge, count.

The same paper reaches us from several sources and on several days; it is one
row, enriched by each. Identity: the bare arXiv id, else the source's own id,
else the normalised title (which also merges a title-only page capture with the
same paper met later with its arXiv id).
"""

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from core.weblinks import safe_url
from digest import alerts
from digest.models import IngestRun, Paper
from digest.sources.collect import collect
from digest.sources.records import FetchError, PaperRecord, title_key
from digest.sources.registry import SOURCES

logger = logging.getLogger(__name__)

# Fields a later record may fill in when the stored value is empty.
_FILLABLE = ("abstract", "primary_category", "url", "pdf_url", "published_on")
# Records matched and written per query batch: one lookup query per batch, and
# a progress tick that moves.
_UPSERT_BATCH = 200

Progress = Callable[[int, int], None]


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add_error(self, message: str) -> None:
        self.failed += 1
        # Keep the run record readable: the first errors tell the story.
        if len(self.errors) < 100:
            self.errors.append(message[:500])


def external_id_for(record: PaperRecord) -> str:
    if record.arxiv_id:
        return record.arxiv_id
    if record.source_id:
        return f"{record.source}:{record.source_id}"[:200]
    return f"{record.source}:t-{hashlib.sha1(title_key(record.title).encode()).hexdigest()[:16]}"


def records_upsert(
    records: Iterable[PaperRecord], *, counts: UpsertCounts | None = None, progress: Progress | None = None
) -> UpsertCounts:
    """Store records: one row per paper, enriched; a failing record is counted and skipped."""
    counts = counts or UpsertCounts()
    records = list(records)
    for start in range(0, len(records), _UPSERT_BATCH):
        batch = records[start : start + _UPSERT_BATCH]
        existing = _existing_papers(batch)
        with transaction.atomic():
            for record in batch:
                try:
                    # A savepoint per record: one bad row does not undo its batch.
                    with transaction.atomic():
                        _upsert_one(_with_safe_urls(record), existing, counts)
                except (DatabaseError, ValidationError, ValueError) as exc:
                    logger.warning("ingest: %s: %s", record.title[:80], exc)
                    counts.add_error(f"{record.title[:80]}: {exc}")
                    # The savepoint rolled back, but a matched row may have been
                    # changed in memory: read the batch's rows again.
                    existing = _existing_papers(batch)
        if progress:
            progress(start + len(batch), len(records))
    return counts


def _with_safe_urls(record: PaperRecord) -> PaperRecord:
    """The one place a feed's URLs enter a Paper: only http(s) survive (a javascript: URL would be a live link)."""
    url, pdf_url = safe_url(record.url), safe_url(record.pdf_url)
    if (url, pdf_url) == (record.url, record.pdf_url):
        return record
    return dataclasses.replace(record, url=url, pdf_url=pdf_url)


def _existing_papers(records: list[PaperRecord]) -> dict[str, Paper]:
    """Index the rows these records may match, in one query."""
    arxiv_ids = {r.arxiv_id for r in records if r.arxiv_id}
    external_ids = {external_id_for(r) for r in records}
    keys = {title_key(r.title) for r in records}
    index: dict[str, Paper] = {}
    query = Q(arxiv_id__in=arxiv_ids) | Q(external_id__in=external_ids) | Q(title_key__in=keys)
    for paper in Paper.objects.filter(query):
        _index(index, paper)
    return index


def _index(index: dict[str, Paper], paper: Paper) -> None:
    if paper.arxiv_id:
        index[f"a:{paper.arxiv_id}"] = paper
    index[f"e:{paper.external_id}"] = paper
    index.setdefault(f"t:{paper.title_key}", paper)


def _match(record: PaperRecord, index: dict[str, Paper]) -> Paper | None:
    if record.arxiv_id and (paper := index.get(f"a:{record.arxiv_id}")):
        return paper
    if paper := index.get(f"e:{external_id_for(record)}"):
        return paper
    paper = index.get(f"t:{title_key(record.title)}")
    # A title match merges only when at most one side has an arXiv id;
    # two different arXiv ids with one title are two papers.
    if paper and (not record.arxiv_id or not paper.arxiv_id):
        return paper
    return None


def _upsert_one(record: PaperRecord, index: dict[str, Paper], counts: UpsertCounts) -> None:
    paper = _match(record, index)
    if paper is None:
        paper = Paper(
            external_id=external_id_for(record),
            arxiv_id=record.arxiv_id,
            title_key=title_key(record.title),
            title=record.title,
            abstract=record.abstract,
            authors=list(record.authors),
            categories=list(record.categories),
            primary_category=record.primary_category,
            url=record.url,
            pdf_url=record.pdf_url,
            version=record.version,
            published_on=record.published_on,
            announced_on=record.announced_on,
            source=record.source,
            sources=[record.source],
            upvotes=record.upvotes,
            num_comments=record.num_comments,
            extra=dict(record.extra),
        )
        paper.full_clean(exclude=["url", "pdf_url"])
        paper.save()
        counts.created += 1
        _index(index, paper)
        return
    if _merge(paper, record):
        paper.save()
        counts.updated += 1
        _index(index, paper)
    else:
        counts.unchanged += 1


def _merge(paper: Paper, record: PaperRecord) -> bool:
    """Enrich `paper` with what `record` adds; return whether anything changed."""
    before = _snapshot(paper)
    newer_version = record.version is not None and (paper.version is None or record.version > paper.version)
    if record.arxiv_id and not paper.arxiv_id:
        paper.arxiv_id = record.arxiv_id
        paper.external_id = record.arxiv_id
    if newer_version:
        # A new version may retitle or rewrite the abstract.
        paper.version = record.version
        paper.title = record.title
        paper.title_key = title_key(record.title)
        paper.abstract = record.abstract or paper.abstract
        if record.authors:
            paper.authors = list(record.authors)
        if record.url:
            paper.url = record.url
        if record.pdf_url:
            paper.pdf_url = record.pdf_url
    for name in _FILLABLE:
        if not getattr(paper, name) and getattr(record, name):
            setattr(paper, name, getattr(record, name))
    if not paper.authors and record.authors:
        paper.authors = list(record.authors)
    if record.categories and (not paper.categories or _states_primary_category(record.source)):
        paper.categories = list(record.categories)
        if record.primary_category:
            paper.primary_category = record.primary_category
    # Popularity moves; the latest report is the truth.
    if record.upvotes is not None:
        paper.upvotes = record.upvotes
    if record.num_comments is not None:
        paper.num_comments = record.num_comments
    # "New" means first announced: a replacement or a second feature keeps the first day.
    if record.announced_on < paper.announced_on:
        paper.announced_on = record.announced_on
    if record.source not in paper.sources:
        paper.sources = [*paper.sources, record.source]
    if record.extra:
        paper.extra = {**paper.extra, **record.extra}
    return _snapshot(paper) != before


def _states_primary_category(source: str) -> bool:
    entry = SOURCES.get(source)
    return entry is not None and entry.states_primary_category


def _snapshot(paper: Paper) -> tuple:
    return tuple(
        getattr(paper, name)
        for name in (
            "arxiv_id",
            "title",
            "abstract",
            "authors",
            "categories",
            "primary_category",
            "url",
            "pdf_url",
            "version",
            "published_on",
            "announced_on",
            "sources",
            "upvotes",
            "num_comments",
            "extra",
        )
    )


def ingest_run_start(*, source: str, params: dict) -> IngestRun:
    return IngestRun.objects.create(source=source, params=params)


def ingest_run_finish(
    run: IngestRun, *, fetched: int, counts: UpsertCounts, error: str | None = None
) -> IngestRun:
    run.fetched = fetched
    run.created = counts.created
    run.updated = counts.updated
    run.unchanged = counts.unchanged
    run.failed = counts.failed
    run.errors = ([error] if error else []) + counts.errors
    run.status = IngestRun.Status.FAILED if error else IngestRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    if error:
        alerts.admins_alert(
            subject=f"Ingest of {run.source} failed",
            body=f"Ingest run {run.pk} ({run.params or 'no parameters'}) failed:\n\n{error}",
        )
    return run


def ingest_source(
    source: str,
    *,
    day: date | None = None,
    path: str | Path | None = None,
    query: str = "",
    ids: Sequence[str] = (),
    categories: Sequence[str] = (),
    progress: Progress | None = None,
    session: requests.Session | None = None,
) -> IngestRun:
    """Fetch (or read `path`), parse and store one source; the returned run says how it went.

    A response that is bad as a whole leaves the papers untouched and the run
    FAILED with the reason; bad records are counted and skipped. Raises
    ValueError only for arguments that make no request (see `collect`).
    """
    params = {
        key: value
        for key, value in {
            "day": day.isoformat() if day else None,
            "path": str(path) if path is not None else None,
            "query": query,
            "ids": list(ids),
            "categories": list(categories),
        }.items()
        if value
    }
    run = ingest_run_start(source=source, params=params)
    counts = UpsertCounts()
    try:
        collected = collect(
            source, day=day, path=path, query=query, ids=ids, categories=categories, session=session
        )
    except FetchError as exc:
        logger.warning("ingest %s failed: %s", source, exc)
        return ingest_run_finish(run, fetched=0, counts=counts, error=str(exc))
    except ValueError as exc:
        ingest_run_finish(run, fetched=0, counts=counts, error=str(exc))
        raise
    for error in collected.errors:
        logger.warning("ingest %s: %s", source, error)
        counts.add_error(error)
    try:
        records_upsert(collected.records, counts=counts, progress=progress)
    except Exception as exc:
        # Never leave a run "running": record why it stopped, then let it surface.
        ingest_run_finish(run, fetched=collected.fetched, counts=counts, error=f"{type(exc).__name__}: {exc}")
        raise
    run = ingest_run_finish(run, fetched=collected.fetched, counts=counts)
    logger.info(
        "ingest %s: %d fetched, %d new, %d updated, %d unchanged, %d failed",
        source,
        run.fetched,
        run.created,
        run.updated,
        run.unchanged,
        run.failed,
    )
    return run


class RerunRefused(ValueError):
    """A run whose recorded parameters this deployment will not repeat."""


def ingest_rerun(run: IngestRun) -> IngestRun:
    """Repeat an earlier run (the admin's action): its own source and recorded parameters, nothing else.

    Runs are written by ingest_source only; the admin can neither add nor edit
    them. A file is re-read only from settings.INGEST_RERUN_DIRS: a row naming
    any other path, however it got there, must not make the server read it
    (its lines would land in the run's errors, shown to every staff user).
    """
    params = run.params if isinstance(run.params, dict) else {}
    day = params.get("day")
    path = params.get("path")
    return ingest_source(
        run.source,
        day=date.fromisoformat(day) if isinstance(day, str) else None,
        path=_rerun_path(path) if path is not None else None,
        query=str(params.get("query") or ""),
        ids=[str(value) for value in params.get("ids") or []],
        categories=[str(value) for value in params.get("categories") or []],
    )


def _rerun_path(recorded: object) -> Path:
    path = Path(str(recorded)).resolve()
    allowed = [Path(folder).resolve() for folder in settings.INGEST_RERUN_DIRS]
    if not any(path.is_relative_to(folder) for folder in allowed):
        raise RerunRefused(
            f"{recorded} is outside the folders re-runs may read (INGEST_RERUN_DIRS); "
            "run `manage.py ingest --file` instead"
        )
    return path


def ingest_daily(day: date) -> list[IngestRun]:
    """Ingest each configured daily source (settings.SOURCES_DAILY) for `day`; one failing does not stop the rest."""
    return [ingest_source(source, day=day) for source in settings.SOURCES_DAILY]
