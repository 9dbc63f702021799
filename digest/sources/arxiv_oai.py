"""arXiv OAI-PMH ListRecords pages, metadataPrefix=arXiv: for backfill from a saved file.

Harvesting is by last-modification datestamp, not by announcement, so this is
not a daily source; `created` (the v1 date) stands in for the announcement day.
"""

from xml.etree.ElementTree import Element

from digest.sources.records import (
    FetchError,
    PaperRecord,
    RecordError,
    clean_abstract,
    clean_text,
    collapse_whitespace,
    is_arxiv_category,
    iso_day,
    parse_arxiv_id,
    records_from,
    strip_unsafe,
)
from digest.sources.safe_xml import parse_xml, text_of

SOURCE = "arxiv_oai"

OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"


def parse_arxiv_oai(data: bytes | str) -> tuple[list[PaperRecord], list[str]]:
    root = parse_xml(data, what="arXiv OAI-PMH")
    if root.tag != f"{OAI}OAI-PMH":
        raise FetchError(f"arXiv OAI-PMH: expected <OAI-PMH>, got <{root.tag}>")
    for error in root.findall(f"{OAI}error"):
        # "No records for this day" is an answer; any other error is a failed request.
        if error.get("code") != "noRecordsMatch":
            message = collapse_whitespace(strip_unsafe(text_of(error)))
            raise FetchError(f"arXiv OAI-PMH error {error.get('code')}: {message}")
    return records_from(enumerate(root.iter(f"{OAI}record"), start=1), _record, what="record")


def _record(record: Element) -> PaperRecord:
    header = record.find(f"{OAI}header")
    if header is not None and header.get("status") == "deleted":
        raise RecordError(f"deleted record {clean_text(text_of(header.find(f'{OAI}identifier')))}")
    meta = record.find(f"{OAI}metadata/{ARXIV}arXiv")
    if meta is None:
        raise RecordError("record without arXiv metadata")
    arxiv_id, version = parse_arxiv_id(text_of(meta.find(f"{ARXIV}id")))
    categories = [
        c for c in clean_text(text_of(meta.find(f"{ARXIV}categories"))).split() if is_arxiv_category(c)
    ]
    created = iso_day(text_of(meta.find(f"{ARXIV}created")))
    extra = {}
    # The day of the latest version; absent until a paper is replaced.
    if updated := text_of(meta.find(f"{ARXIV}updated")).strip():
        extra["updated_on"] = iso_day(updated).isoformat()
    for key, tag in (
        ("comment", "comments"),
        ("journal_ref", "journal-ref"),
        ("doi", "doi"),
        ("license", "license"),
    ):
        if value := clean_text(text_of(meta.find(f"{ARXIV}{tag}"))):
            extra[key] = value
    return PaperRecord(
        source=SOURCE,
        title=clean_text(text_of(meta.find(f"{ARXIV}title"))),
        abstract=clean_abstract(text_of(meta.find(f"{ARXIV}abstract"))),
        arxiv_id=arxiv_id,
        version=version,
        authors=tuple(_authors(meta)),
        categories=tuple(categories),
        primary_category=categories[0] if categories else "",
        url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
        published_on=created,
        announced_on=created,
        extra=extra,
    )


def _authors(meta: Element) -> list[str]:
    names = []
    for author in meta.findall(f"{ARXIV}authors/{ARXIV}author"):
        parts = (text_of(author.find(f"{ARXIV}{tag}")) for tag in ("forenames", "keyname", "suffix"))
        if name := clean_text(" ".join(parts)):
            names.append(name)
    return names
