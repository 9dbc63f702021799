"""arXiv RSS feeds: one announcement per feed.

Two formats: RSS 2.0 (rss.arxiv.org/rss/<cat>[+<cat>...], since 2024) and the
RSS 1.0 / RDF feeds (export.arxiv.org/rss/<cat>) that archives hold from before.

Parsed with defusedxml, not feedparser: feedparser treats the description as
HTML and sanitises it, silently dropping literal text such as "<swi>" from an
abstract, it accepts broken XML where we want a clear error, and its XML
reading is not defusedxml's refuse-any-DTD rule. Both formats are a few
elements each; the only HTML (the RDF feeds' description and creator) is
reduced to its text by the standard library's parser.

An empty channel is a normal answer (weekends, holidays): zero records, no error.
"""

import re
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
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
    records_from,
)
from digest.sources.safe_xml import parse_xml, text_of

SOURCE = "arxiv_rss"

ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS1 = "{http://purl.org/rss/1.0/}"

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
    if root.tag == f"{RDF}RDF":
        return _parse_rss1(root, day=day)
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise FetchError(f"arXiv RSS: expected an RSS 2.0 channel or an RSS 1.0 (RDF) feed, got <{root.tag}>")
    try:
        feed_day = _day(text_of(channel.find("pubDate"))) or day
    except RecordError:
        # The channel date is only a fallback for items without their own.
        feed_day = day
    return records_from(
        enumerate(channel.findall("item"), start=1),
        lambda item: _record(item, feed_day=feed_day),
        what="item",
    )


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


# --- RSS 1.0 (RDF), arXiv's feed format until 2024 --------------------------------
# The title carries what RSS 2.0 has elements for:
# "Title. (arXiv:1805.09166v1 [hep-ex] CROSS LISTED)"; no suffix means new, UPDATED a replacement.
_RSS1_TITLE = re.compile(
    r"^(?P<title>.*?)\.?\s*\(arXiv:(?P<id>\S+?)\s*\[(?P<category>[^\]]+)\]\s*(?P<kind>CROSS LISTED|UPDATED)?\)\s*\Z",
    re.DOTALL,
)
_RSS1_ANNOUNCE_TYPES = {None: "new", "CROSS LISTED": "cross", "UPDATED": "replace"}
# arXiv mails a listing at 20:00 US Eastern and dates it the next day; the channel's
# dc:date is the mailing time ("2018-05-23T20:30:00-05:00" is the listing of the 24th),
# and RSS 2.0's pubDate already names that next day.
_RSS1_MAILING_TO_LISTING = timedelta(hours=4)


def _parse_rss1(root: Element, *, day: date | None) -> tuple[list[PaperRecord], list[str]]:
    channel = root.find(f"{RSS1}channel")
    try:
        feed_day = _listing_day(text_of(channel.find(f"{DC}date")) if channel is not None else "") or day
    except RecordError:
        feed_day = day
    return records_from(
        enumerate(root.findall(f"{RSS1}item"), start=1),
        lambda item: _rss1_record(item, feed_day=feed_day),
        what="item",
    )


def _rss1_record(item: Element, *, feed_day: date | None) -> PaperRecord:
    raw_title = text_of(item.find(f"{RSS1}title"))
    match = _RSS1_TITLE.match(raw_title.strip())
    if not match:
        raise RecordError(f"title without an arXiv id: {clean_text(raw_title)[:80]!r}")
    arxiv_id, version = parse_arxiv_id(match.group("id"))
    if feed_day is None:
        raise RecordError(f"{arxiv_id}: no announcement date")
    announce_type = _RSS1_ANNOUNCE_TYPES[match.group("kind")]
    category = clean_text(match.group("category"))
    categories = (category,) if is_arxiv_category(category) else ()
    return PaperRecord(
        source=SOURCE,
        title=clean_text(match.group("title")),
        abstract=clean_abstract(_html_text(text_of(item.find(f"{RSS1}description")))),
        arxiv_id=arxiv_id,
        version=version,
        authors=tuple(_rss1_authors(text_of(item.find(f"{DC}creator")))),
        categories=categories,
        # The bracket names the paper's primary category, also for a cross-list.
        primary_category=categories[0] if categories else "",
        url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}v{version}"
        if version
        else f"https://arxiv.org/pdf/{arxiv_id}",
        announced_on=_first_announced(arxiv_id, announce_type=announce_type, listed_on=feed_day),
        extra={"announce_type": announce_type, "listed_on": feed_day.isoformat()},
    )


def _listing_day(raw: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        mailed = datetime.fromisoformat(raw)
    except ValueError:
        raise RecordError(f"not an RSS 1.0 date: {raw[:40]!r}") from None
    return (mailed + _RSS1_MAILING_TO_LISTING).date()


class _HtmlText(HTMLParser):
    """Text of an HTML fragment, entities decoded once; the text of each <a> kept apart."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._link: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "a":
            self._link = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            self.links.append("".join(self._link))
            self._link = None

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        if self._link is not None:
            self._link.append(data)


def _html(fragment: str) -> _HtmlText:
    parser = _HtmlText()
    parser.feed(fragment)
    parser.close()
    return parser


def _html_text(fragment: str) -> str:
    """'<p>Abstract with $2.6&lt;\\eta$</p>' -> 'Abstract with $2.6<\\eta$'."""
    return "".join(_html(fragment).parts)


def _rss1_authors(creator: str) -> list[str]:
    # Each author is a link to an arXiv search; the text around them is
    # "(STAR Collaboration)" or "et al. (909 additional authors not shown)".
    parsed = _html(creator)
    if parsed.links:
        return [name for name in (clean_text(link) for link in parsed.links) if name]
    return _authors("".join(parsed.parts))
