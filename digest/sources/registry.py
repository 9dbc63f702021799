"""Every source, in one place: its name, the label readers see, how it is fetched and parsed.

A new source is one parser module beside this one and one entry in `SOURCES`; `collect`, the
`ingest` command's choices, the merge rules and the digest's labels all read from here.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import requests
from django.conf import settings
from django.utils import timezone

from digest.sources import arxiv_api, arxiv_oai, arxiv_rss, hf_daily, hf_page, jsonfile
from digest.sources.http import fetch_arxiv_api, fetch_arxiv_rss, fetch_hf_daily
from digest.sources.records import Parsed, decode_utf8


@dataclass(frozen=True)
class FetchRequest:
    """What a caller may ask a fetching source for; each source reads the fields it understands."""

    day: date | None = None
    query: str = ""
    ids: Sequence[str] = ()
    categories: Sequence[str] = ()
    session: requests.Session | None = None


@dataclass(frozen=True)
class Source:
    name: str
    # Shown beside each paper in the digest.
    label: str
    # Saved response (or fixture) bytes to records; `day` is the edition the file stands for.
    parse: Callable[[bytes, date | None], Parsed]
    # Live fetch, one parsed response per page; None for sources that can only be read from a file.
    fetch: Callable[[FetchRequest], Iterator[Parsed]] | None = None
    # The source states the primary category (arXiv's own metadata), so its categories win on merge;
    # the others only list categories, or guess them.
    states_primary_category: bool = False


def _fetch_hf_daily(request: FetchRequest) -> Iterator[Parsed]:
    if request.day is None:
        raise ValueError("hf_daily needs a date")
    yield hf_daily.parse_hf_daily(fetch_hf_daily(request.day, session=request.session), day=request.day)


def _fetch_arxiv_rss(request: FetchRequest) -> Iterator[Parsed]:
    body = fetch_arxiv_rss(request.categories or settings.SOURCES_ARXIV_CATEGORIES, session=request.session)
    yield arxiv_rss.parse_arxiv_rss(body, day=request.day)


def _fetch_arxiv_api(request: FetchRequest) -> Iterator[Parsed]:
    page_size = max(1, settings.SOURCES_ARXIV_PAGE_SIZE)
    if request.ids:
        # With id_list the answer is bounded by the list; ask for it in pages.
        for start in range(0, len(request.ids), page_size):
            chunk = list(request.ids[start : start + page_size])
            page = arxiv_api.parse_arxiv_api_page(
                fetch_arxiv_api(ids=chunk, max_results=len(chunk), session=request.session)
            )
            yield page.records, page.errors
        return
    query = request.query or _day_query(request.day, request.categories)
    limit = settings.SOURCES_ARXIV_MAX_RESULTS
    start = 0
    while start < limit:
        size = min(page_size, limit - start)
        page = arxiv_api.parse_arxiv_api_page(
            fetch_arxiv_api(query=query, start=start, max_results=size, session=request.session)
        )
        yield page.records, page.errors
        start += size
        # An empty page ends the listing whatever totalResults says (the old API
        # reported 1 result for an id it did not have).
        if page.entries == 0 or (page.total_results is not None and start >= page.total_results):
            break


def _day_query(day: date | None, categories: Sequence[str]) -> str:
    """Without a query, the API is asked for one day's submissions in the followed categories."""
    if day is None:
        raise ValueError("arxiv_api needs a query, ids or a date")
    cats = " OR ".join(f"cat:{c}" for c in categories or settings.SOURCES_ARXIV_CATEGORIES)
    stamp = day.strftime("%Y%m%d")
    return f"submittedDate:[{stamp}0000 TO {stamp}2359] AND ({cats})"


# Page captures and files carry no edition date of their own: they stand for `day`, else today.
def _parse_hf_page(data: bytes, day: date | None) -> Parsed:
    return hf_page.parse_page_text(
        decode_utf8(data, what="page text"), announced_on=day or timezone.localdate()
    )


def _parse_json_file(data: bytes, day: date | None) -> Parsed:
    return jsonfile.parse_json_papers(data, announced_on=day or timezone.localdate())


SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source(
            name="hf_daily",
            label="Hugging Face Daily Papers",
            parse=lambda data, day: hf_daily.parse_hf_daily(data, day=day),
            fetch=_fetch_hf_daily,
        ),
        Source(
            name="arxiv_api",
            label="arXiv",
            parse=lambda data, day: arxiv_api.parse_arxiv_api(data),
            fetch=_fetch_arxiv_api,
            states_primary_category=True,
        ),
        Source(
            name="arxiv_rss",
            label="arXiv",
            parse=lambda data, day: arxiv_rss.parse_arxiv_rss(data, day=day),
            fetch=_fetch_arxiv_rss,
        ),
        # OAI-PMH harvests are made by hand (resumption tokens, hours of paging): file only.
        Source(
            name="arxiv_oai",
            label="arXiv",
            parse=lambda data, day: arxiv_oai.parse_arxiv_oai(data),
            states_primary_category=True,
        ),
        # The page's HTML is not fetched (no stable markup): its saved text is read from a file.
        Source(name="hf_page", label="Hugging Face Daily Papers", parse=_parse_hf_page),
        Source(name="file", label="Sample corpus", parse=_parse_json_file),
    )
}

# Sources with no fetcher: they are read from a saved response only.
FILE_ONLY_SOURCES = tuple(name for name, source in SOURCES.items() if source.fetch is None)


def source_label(name: str) -> str:
    """The label readers see; an unknown name (a source since removed) shows as itself."""
    source = SOURCES.get(name)
    return source.label if source else name
