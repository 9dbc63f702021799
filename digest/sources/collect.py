"""From a source name and its arguments to parsed records: fetch (or read a file), then parse.

Every source can also be read from a saved response (`path`), which is how
fixtures are replayed and old data backfilled. Which sources exist, and how each
is fetched and parsed, is `digest.sources.registry`. Nothing here touches the database.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import requests

from digest.sources.records import MAX_JSON_BYTES, FetchError, PaperRecord
from digest.sources.registry import SOURCES, FetchRequest


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
    entry = SOURCES.get(source)
    if entry is None:
        raise ValueError(f"unknown source {source!r}; choose from {', '.join(SOURCES)}")
    collected = Collected()
    if path is not None:
        collected.add(*entry.parse(_read(path), day))
        return collected
    if entry.fetch is None:
        raise ValueError(f"source {source!r} reads a file: give a path")
    request = FetchRequest(day=day, query=query, ids=ids, categories=categories, session=session)
    for records, errors in entry.fetch(request):
        collected.add(records, errors)
    return collected


def _read(path: str | Path) -> bytes:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise FetchError(f"{path}: larger than {MAX_JSON_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from None
