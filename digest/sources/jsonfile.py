"""JSON and JSONL files of papers: the shipped sample corpus, or an operator's export.

Each object: title (required), abstract, arxiv_id or id, authors (list or
comma-separated string), categories, published_on, announced_on, url,
pdf_url, upvotes, num_comments. A JSON file may hold one array or {"papers": [...]}.
"""

import json
from datetime import date

from digest.sources.records import (
    FetchError,
    PaperRecord,
    RecordError,
    clean_abstract,
    clean_text,
    decode_utf8,
    load_json,
    parse_arxiv_id,
    records_from,
)

SOURCE = "file"


def parse_json_papers(
    data: bytes | str, *, announced_on: date, source: str = SOURCE
) -> tuple[list[PaperRecord], list[str]]:
    """Parse JSON or JSONL; raise FetchError when the file as a whole is unreadable."""
    objects = _load_objects(decode_utf8(data, what="JSON file"))
    return records_from(
        objects,
        lambda obj: record_from_object(obj, announced_on=announced_on, source=source),
        what="record",
    )


def _load_objects(text: str) -> list[tuple[int, object]]:
    stripped = text.lstrip()
    if not stripped:
        return []
    if stripped[0] in "[{" and not _looks_like_jsonl(stripped):
        loaded = load_json(stripped, what="JSON file")
        if isinstance(loaded, dict):
            # {"papers": [...]}, or a JSON-lines file of one paper.
            loaded = loaded["papers"] if "papers" in loaded else [loaded]
        if not isinstance(loaded, list):
            raise FetchError("expected a JSON array of papers or an object with a 'papers' array")
        return list(enumerate(loaded, start=1))
    objects = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            objects.append((number, json.loads(line)))
        except (ValueError, RecursionError) as exc:
            # One bad line is one bad record, not a bad file.
            objects.append((number, RecordError(f"malformed JSON line: {str(exc)[:100]}")))
    return objects


def _looks_like_jsonl(text: str) -> bool:
    first_line = text.split("\n", 1)[0].strip()
    if not first_line.startswith("{") or "\n" not in text.strip():
        return False
    try:
        json.loads(first_line)
    except (ValueError, RecursionError):
        return False
    return True


def record_from_object(obj: object, *, announced_on: date, source: str) -> PaperRecord:
    if isinstance(obj, RecordError):
        raise obj
    if not isinstance(obj, dict):
        raise RecordError("not a JSON object")
    title = clean_text(_str(obj.get("title")))
    if not title:
        raise RecordError("missing title")
    arxiv_id, version = None, None
    raw_id = obj.get("arxiv_id")
    if raw_id is not None and not isinstance(raw_id, str):
        # A number has already lost digits (2503.02130 -> 2503.0213).
        raise RecordError(f"arxiv_id must be a string, got {raw_id!r}")
    if raw_id:
        arxiv_id, version = parse_arxiv_id(raw_id)
    authors = obj.get("authors") or []
    if isinstance(authors, str):
        authors = authors.split(",")
    if not isinstance(authors, list):
        raise RecordError("authors must be a list or a string")
    categories = obj.get("categories") or []
    if not isinstance(categories, list):
        raise RecordError("categories must be a list")
    return PaperRecord(
        source=source,
        title=title,
        abstract=clean_abstract(_str(obj.get("abstract"))),
        arxiv_id=arxiv_id,
        version=version,
        source_id=_str(obj.get("id")) or None,
        authors=tuple(a for a in (clean_text(_str(a)) for a in authors) if a),
        categories=tuple(clean_text(_str(c)) for c in categories if _str(c).strip()),
        primary_category=clean_text(_str(obj.get("primary_category")))
        or (clean_text(_str(categories[0])) if categories else ""),
        url=_str(obj.get("url")).strip(),
        pdf_url=_str(obj.get("pdf_url")).strip(),
        published_on=_date(obj.get("published_on")),
        announced_on=_date(obj.get("announced_on")) or announced_on,
        upvotes=_count(obj.get("upvotes")),
        num_comments=_count(obj.get("num_comments")),
    )


def _str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise RecordError(f"expected text, got {type(value).__name__}")
    return str(value)


def _date(value: object) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise RecordError(f"not a date: {value!r}") from None


def _count(value: object) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise RecordError(f"not a count: {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise RecordError(f"not a count: {value!r}") from None
    if number < 0:
        raise RecordError(f"negative count: {value!r}")
    return number
