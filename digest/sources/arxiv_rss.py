"""arXiv RSS 2.0 feeds (rss.arxiv.org/rss/<cat>[+<cat>...]): one announcement per feed.

Parsed with defusedxml, not feedparser: feedparser treats the description as
HTML and sanitises it, silently dropping literal text such as "<swi>" from an
abstract, and it accepts broken XML where we want a clear error.

An empty channel is a normal answer (weekends, holidays): zero records, no error.
"""

import re
from datetime import date
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

from digest.sources.records import (
    FetchError,
    PaperRecord,
    RecordError,
    clean_abstract,
    clean_text,
    https,
    is_arxiv_category,
    parse_arxiv_id,
)
from digest.sources.safe_xml import parse_xml, text_of

SOURCE = "arxiv_rss"

ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"

ANNOUNCE_TYPES = {"new", "cross", "replace", "replace-cross"}
# "arXiv:2609.26811v1 Announce Type: new \nAbstract: ..."
_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?(?P<abstract>.*)\Z",
    re.DOTALL,
)
_NEW_STYLE_ID = re.compile(r"^(?P<yy>\d{2})(?P<mm>\d{2})\.")
_OLD_STYLE_ID = re.compile(r"/(?P<yy>\d{2})(?P<mm>\d{2})\d{3}$")


def parse_arxiv_rss(data: bytes | str, *, day: date | None = None) -> tuple[list[PaperRecord], list[str]]:
    """Return (records, errors). `day` is used only when the feed carries no date at all."""
    root = parse_xml(data, what="arXiv RSS")
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise FetchError(f"arXiv RSS: expected an RSS 2.0 channel, got <{root.tag}>")
    try:
        feed_day = _day(text_of(channel.find("pubDate"))) or day
    except RecordError:
        # The channel date is only a fallback for items without their own.
        feed_day = day
    records, errors = [], []
    for position, item in enumerate(channel.findall("item"), start=1):
        try:
            records.append(_record(item, feed_day=feed_day))
        except RecordError as exc:
            errors.append(f"item {position}: {exc}")
    return records, errors


def _record(item: Element, *, feed_day: date | None) -> PaperRecord:
    description = text_of(item.find("description"))
    match = _DESCRIPTION.match(description)
    guid = text_of(item.find("guid")).strip()
    # The guid and the description both carry the versioned id; the link does not.
    raw_id = match.group("id") if match else guid
    if not raw_id:
        raise RecordError("item without an arXiv id")
    arxiv_id, version = parse_arxiv_id(raw_id)
    announce_type = clean_text(text_of(item.find(f"{ARXIV}announce_type"))) or (
        match.group("type") if match else ""
    )
    if announce_type not in ANNOUNCE_TYPES:
        raise RecordError(f"{arxiv_id}: unknown announce type {announce_type[:40]!r}")
    listed_on = _day(text_of(item.find("pubDate"))) or feed_day
    if listed_on is None:
        raise RecordError(f"{arxiv_id}: no announcement date")
    # arXiv lists the primary category first; RSS has no element for it.
    categories = [
        c for c in (clean_text(text_of(c)) for c in item.findall("category")) if is_arxiv_category(c)
    ]
    extra: dict = {"announce_type": announce_type, "listed_on": listed_on.isoformat()}
    optional = (
        ("doi", f"{ARXIV}DOI"),
        ("journal_ref", f"{ARXIV}journal_reference"),
        ("license", f"{DC}rights"),
    )
    for key, element in optional:
        if value := clean_text(text_of(item.find(element))):
            extra[key] = value
    return PaperRecord(
        source=SOURCE,
        title=clean_text(text_of(item.find("title"))),
        abstract=clean_abstract(match.group("abstract")) if match else "",
        arxiv_id=arxiv_id,
        version=version,
        authors=tuple(_authors(text_of(item.find(f"{DC}creator")))),
        categories=tuple(categories),
        primary_category=categories[0] if categories else "",
        url=https(text_of(item.find("link"))) or f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}v{version}"
        if version
        else f"https://arxiv.org/pdf/{arxiv_id}",
        announced_on=_first_announced(arxiv_id, announce_type=announce_type, listed_on=listed_on),
        extra=extra,
    )


def _authors(creator: str) -> list[str]:
    # "A, B, and C" occurs in older feeds; names themselves hold no commas here.
    names = re.split(r",\s*(?:and\s+)?|\s+and\s+", clean_text(creator))
    return [name for name in (n.strip() for n in names) if name]


def _day(raw: str) -> date | None:
    """RFC 822 pubDate -> the calendar day it names (arXiv writes midnight US Eastern)."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw).date()
    except (TypeError, ValueError, IndexError, OverflowError):
        raise RecordError(f"not an RSS date: {raw[:40]!r}") from None


def _first_announced(arxiv_id: str, *, announce_type: str, listed_on: date) -> date:
    """A replacement lists an old paper again: it was first announced in the month its id names.

    Without this a 2020 paper replaced today would count as today's news. The
    upsert keeps the earliest day, so a row that already knows better keeps it.
    """
    if announce_type not in ("replace", "replace-cross"):
        return listed_on
    if match := _NEW_STYLE_ID.match(arxiv_id) or _OLD_STYLE_ID.search(arxiv_id):
        year, month = int(match.group("yy")), int(match.group("mm"))
        year += 1900 if year >= 91 else 2000
        if 1 <= month <= 12:
            return min(date(year, month, 1), listed_on)
    return listed_on
