"""The Hugging Face Daily Papers page as text (what ../shared/seeds holds).

The text has no ids: each paper is a title line followed by its abstract line,
sometimes followed by "• N authors", "·" and a date. The page chrome and the
blank-line layout vary between captures, so lines are classified, not counted.
"""

import re
from dataclasses import replace
from datetime import date, datetime

from digest.sources.records import PaperRecord, RecordError, clean_abstract, clean_text

SOURCE = "hf_page"

_CHROME = {
    "new",
    "get trending papers in your email inbox!",
    "get trending papers in your email inbox once a day!",
    "subscribe",
    "daily papers",
    "byak and the research community",
    "·",
}
_AUTHORS = re.compile(r"^•\s*(\d+)\s+authors?$")
# "Nov 27, 2022" (arXiv date), or "Jun 4 2": this year's date, then the upvote count.
_PAPER_DATE = re.compile(r"^(?P<date>[A-Z][a-z]{2} \d{1,2})(?:, (?P<year>\d{4}))?(?: (?P<upvotes>\d+))?$")
_PAGE_DATE = re.compile(r"^[A-Z][a-z]{2} \d{1,2}$")
# Abstracts here are 250+ characters and titles at most ~200; a sentence-ending
# period on a long line settles the rest.
_MIN_ABSTRACT_CHARS = 200


def _is_abstract(line: str) -> bool:
    return len(line) >= _MIN_ABSTRACT_CHARS or (len(line) > 120 and line.rstrip().endswith("."))


def parse_page_text(text: str, *, announced_on: date) -> tuple[list[PaperRecord], list[str]]:
    """Return (records, errors). A title without an abstract is an error, not a stop."""
    records: list[PaperRecord] = []
    errors: list[str] = []
    title: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.lower().startswith("subscribe") and len(line) > len("subscribe"):
            # One capture glues the button label to the first title.
            line = line[len("subscribe") :].strip()
        if not line or line.lower() in _CHROME or _PAGE_DATE.match(line):
            continue
        if match := _AUTHORS.match(line):
            if records and title is None:
                records[-1].extra["author_count"] = int(match.group(1))
            continue
        if (match := _PAPER_DATE.match(line)) and (match.group("year") or match.group("upvotes")):
            if records and title is None:
                try:
                    records[-1] = _with_paper_date(records[-1], match)
                except RecordError as exc:
                    errors.append(str(exc))
            continue
        if _is_abstract(line):
            if title is None:
                errors.append(f"abstract without a title: {line[:60]!r}")
                continue
            try:
                records.append(_record(title, line, announced_on))
            except RecordError as exc:
                errors.append(str(exc))
            title = None
        else:
            if title is not None:
                errors.append(f"title without an abstract: {title[:80]!r}")
            title = line
    if title is not None:
        errors.append(f"title without an abstract: {title[:80]!r}")
    return records, errors


def _record(title: str, abstract: str, announced_on: date) -> PaperRecord:
    title = clean_text(title)
    if not title:
        raise RecordError("empty title")
    return PaperRecord(
        source=SOURCE, title=title, abstract=clean_abstract(abstract), announced_on=announced_on, extra={}
    )


def _with_paper_date(record: PaperRecord, match: re.Match) -> PaperRecord:
    changes = {}
    if match.group("year"):
        try:
            changes["published_on"] = datetime.strptime(
                f"{match.group('date')} {match.group('year')}", "%b %d %Y"
            ).date()
        except ValueError:
            raise RecordError(f"not a date: {match.group(0)!r}") from None
    if match.group("upvotes"):
        changes["upvotes"] = int(match.group("upvotes"))
    return replace(record, **changes)
