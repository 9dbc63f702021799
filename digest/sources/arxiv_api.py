"""arXiv API responses (Atom 1.0 from export.arxiv.org/api/query).

The output format changed in November 2025 (namespaces moved, links lost and
regained their rel/type attributes, element order changed, titles stopped
wrapping), so everything is found by namespace and local name, never by
position or attribute layout, and the PDF link is recognised by its URL.
"""

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from digest.sources.records import (
    FetchError,
    PaperRecord,
    RecordError,
    clean_abstract,
    clean_text,
    collapse_whitespace,
    https,
    is_arxiv_category,
    iso_day,
    parse_arxiv_id,
    records_from,
    strip_unsafe,
)
from digest.sources.safe_xml import parse_xml, text_of

SOURCE = "arxiv_api"

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


@dataclass(frozen=True)
class ArxivApiPage:
    records: list[PaperRecord]
    errors: list[str]
    entries: int
    # opensearch:totalResults. Not to be trusted alone: the old API said 1 for
    # an id that does not exist and counted empty stubs for missing ids.
    total_results: int | None


def parse_arxiv_api(data: bytes | str) -> tuple[list[PaperRecord], list[str]]:
    page = parse_arxiv_api_page(data)
    return page.records, page.errors


def parse_arxiv_api_page(data: bytes | str) -> ArxivApiPage:
    root = parse_xml(data, what="arXiv API")
    if root.tag != f"{ATOM}feed":
        raise FetchError(f"arXiv API: expected an Atom feed, got <{root.tag}>")
    entries = root.findall(f"{ATOM}entry")
    api_errors = [entry for entry in entries if _is_api_error(entry)]
    if api_errors:
        # arXiv answers a bad query with HTTP 200 and an "Error" entry: the
        # request failed as a whole, it did not find zero papers.
        # Not clean_text: an error message is reported as sent, and must not fail on its own.
        message = collapse_whitespace(strip_unsafe(text_of(api_errors[0].find(f"{ATOM}summary"))))
        message = message or "unspecified error"
        raise FetchError(f"arXiv API error: {message}")
    records, errors = records_from(enumerate(entries, start=1), _record, what="entry")
    return ArxivApiPage(records=records, errors=errors, entries=len(entries), total_results=_total(root))


def _is_api_error(entry: Element) -> bool:
    return "/api/errors" in text_of(entry.find(f"{ATOM}id"))


def _total(root: Element) -> int | None:
    raw = text_of(root.find(f"{OPENSEARCH}totalResults")).strip()
    return int(raw) if raw.isdigit() else None


def _record(entry: Element) -> PaperRecord:
    raw_id = text_of(entry.find(f"{ATOM}id")).strip()
    if not raw_id:
        # The old API's stand-in for an id_list id that does not exist.
        raise RecordError("empty entry (an id that arXiv did not find)")
    if "/abs/" not in raw_id:
        raise RecordError(f"not an arXiv abstract id: {raw_id[:80]!r}")
    arxiv_id, version = parse_arxiv_id(raw_id)
    terms = [
        term for term in (clean_text(c.get("term", "")) for c in entry.findall(f"{ATOM}category")) if term
    ]
    categories = [term for term in terms if is_arxiv_category(term)]
    primary_element = entry.find(f"{ARXIV}primary_category")
    primary = clean_text(primary_element.get("term", "")) if primary_element is not None else ""
    primary = primary or (categories[0] if categories else "")
    if primary:
        categories = [primary, *(c for c in categories if c != primary)]
    url, pdf_url = _links(entry)
    published_on = iso_day(text_of(entry.find(f"{ATOM}published")))
    authors = [clean_text(text_of(a.find(f"{ATOM}name"))) for a in entry.findall(f"{ATOM}author")]
    return PaperRecord(
        source=SOURCE,
        title=clean_text(text_of(entry.find(f"{ATOM}title"))),
        abstract=clean_abstract(text_of(entry.find(f"{ATOM}summary"))),
        arxiv_id=arxiv_id,
        version=version,
        authors=tuple(a for a in authors if a),
        categories=tuple(categories),
        primary_category=primary,
        url=url or f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=pdf_url,
        published_on=published_on,
        # The API does not say when a paper was announced; its first
        # submission is the best lower bound, and the upsert keeps the earliest.
        announced_on=published_on,
        extra=_extra(entry, other_classes=[term for term in terms if not is_arxiv_category(term)]),
    )


def _links(entry: Element) -> tuple[str, str]:
    url = pdf_url = ""
    for link in entry.findall(f"{ATOM}link"):
        href = link.get("href", "").strip()
        if "/pdf/" in href:
            pdf_url = pdf_url or https(href)
        elif "/abs/" in href:
            url = url or https(href)
    return url, pdf_url


def _extra(entry: Element, *, other_classes: list[str]) -> dict:
    extra: dict = {"other_classes": other_classes} if other_classes else {}
    for key, tag in (("doi", "doi"), ("journal_ref", "journal_ref"), ("comment", "comment")):
        value = clean_text(text_of(entry.find(f"{ARXIV}{tag}")))
        if value:
            extra[key] = value
    affiliations = {
        clean_text(text_of(a.find(f"{ATOM}name"))): [
            clean_text(text_of(x)) for x in a.findall(f"{ARXIV}affiliation")
        ]
        for a in entry.findall(f"{ATOM}author")
        if a.find(f"{ARXIV}affiliation") is not None
    }
    if affiliations:
        extra["affiliations"] = affiliations
    return extra
