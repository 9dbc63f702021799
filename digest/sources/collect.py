"""From a source name and its arguments to parsed records: fetch (or read a file), then parse.

Every source can also be read from a saved response (`path`), which is how
fixtures are replayed and old data backfilled. Nothing here touches the database.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import requests
from django.conf import settings
from django.utils import timezone

from digest.sources import arxiv_api, arxiv_oai, arxiv_rss, hf_daily, hf_page, jsonfile
from digest.sources.http import fetch_arxiv_api, fetch_arxiv_rss, fetch_hf_daily
from digest.sources.records import MAX_JSON_BYTES, FetchError, PaperRecord, decode_utf8

SOURCES = ("hf_daily", "arxiv_api", "arxiv_rss", "arxiv_oai", "hf_page", "file")
# Sources that can only be read from a file: no fetcher for the page HTML or for OAI-PMH harvesting.
FILE_ONLY_SOURCES = ("arxiv_oai", "hf_page", "file")


@dataclass
class Collected:
    records: list[PaperRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Entries seen in the responses, good or bad.
    fetched: int = 0

    def add(self, records: list[PaperRecord], errors: list[str]) -> None:
        self.records.extend(records)
        self.errors.extend(errors)
        self.fetched += len(records) + len(errors)


def collect(
    source: str,
    *,
    day: date | None = None,
    path: str | Path | None = None,
    query: str = "",
    ids: Sequence[str] = (),
    categories: Sequence[str] = (),
    session: requests.Session | None = None,
) -> Collected:
    """Return the records of one fetch or file; raise FetchError if the response as a whole is bad.

    ValueError means the arguments do not make a request (unknown source, missing date).
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose from {', '.join(SOURCES)}")
    collected = Collected()
    if path is not None:
        collected.add(*_parse_file(source, _read(path), day=day))
        return collected
    if source in FILE_ONLY_SOURCES:
        raise ValueError(f"source {source!r} reads a file: give a path")
    if source == "hf_daily":
        if day is None:
            raise ValueError("hf_daily needs a date")
        collected.add(*hf_daily.parse_hf_daily(fetch_hf_daily(day, session=session), day=day))
    elif source == "arxiv_rss":
        body = fetch_arxiv_rss(categories or settings.SOURCES_ARXIV_CATEGORIES, session=session)
        collected.add(*arxiv_rss.parse_arxiv_rss(body, day=day))
    else:
        _collect_arxiv_api(collected, query=query or _day_query(day, categories), ids=ids, session=session)
    return collected


def _read(path: str | Path) -> bytes:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise FetchError(f"{path}: larger than {MAX_JSON_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from None


def _parse_file(source: str, data: bytes, *, day: date | None) -> tuple[list[PaperRecord], list[str]]:
    parsers: dict[str, Callable[[], tuple[list[PaperRecord], list[str]]]] = {
        "hf_daily": lambda: hf_daily.parse_hf_daily(data, day=day),
        "arxiv_api": lambda: arxiv_api.parse_arxiv_api(data),
        "arxiv_rss": lambda: arxiv_rss.parse_arxiv_rss(data, day=day),
        "arxiv_oai": lambda: arxiv_oai.parse_arxiv_oai(data),
        # Page captures and files carry no edition date of their own.
        "hf_page": lambda: hf_page.parse_page_text(
            decode_utf8(data, what="page text"), announced_on=day or timezone.localdate()
        ),
        "file": lambda: jsonfile.parse_json_papers(data, announced_on=day or timezone.localdate()),
    }
    return parsers[source]()


def _day_query(day: date | None, categories: Sequence[str]) -> str:
    """Without a query, the API is asked for one day's submissions in the followed categories."""
    if day is None:
        raise ValueError("arxiv_api needs a query, ids or a date")
    cats = " OR ".join(f"cat:{c}" for c in categories or settings.SOURCES_ARXIV_CATEGORIES)
    stamp = day.strftime("%Y%m%d")
    return f"submittedDate:[{stamp}0000 TO {stamp}2359] AND ({cats})"


def _collect_arxiv_api(
    collected: Collected, *, query: str, ids: Sequence[str], session: requests.Session | None
) -> None:
    page_size = max(1, settings.SOURCES_ARXIV_PAGE_SIZE)
    if ids:
        # With id_list the answer is bounded by the list; ask for it in pages.
        for start in range(0, len(ids), page_size):
            chunk = list(ids[start : start + page_size])
            page = arxiv_api.parse_arxiv_api_page(
                fetch_arxiv_api(ids=chunk, max_results=len(chunk), session=session)
            )
            collected.add(page.records, page.errors)
        return
    limit = settings.SOURCES_ARXIV_MAX_RESULTS
    start = 0
    while start < limit:
        size = min(page_size, limit - start)
        page = arxiv_api.parse_arxiv_api_page(
            fetch_arxiv_api(query=query, start=start, max_results=size, session=session)
        )
        collected.add(page.records, page.errors)
        start += size
        # An empty page ends the listing whatever totalResults says (the old API
        # reported 1 result for an id it did not have).
        if page.entries == 0 or (page.total_results is not None and start >= page.total_results):
            break
