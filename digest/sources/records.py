"""The plain record every source adapter yields, and the one way text is normalised.

Adapters parse; `digest.ingest.records_upsert` stores. Keeping adapters free of
the ORM lets the parsers be tested (and fuzzed) without a database.
"""

import html
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

_WS = re.compile(r"\s+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n {2,}(?=\S)")
_ARXIV_NEW = re.compile(r"^(?P<id>\d{4}\.\d{4,5})(?:v(?P<v>\d+))?$")
_ARXIV_OLD = re.compile(r"^(?P<id>[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d+))?$")
_ARXIV_PREFIXES = re.compile(
    r"^(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|oai:arXiv\.org:|arxiv:)", re.IGNORECASE
)


@dataclass(frozen=True)
class PaperRecord:
    source: str
    title: str
    announced_on: date
    abstract: str = ""
    arxiv_id: str | None = None
    version: int | None = None
    # Source-specific id for papers without an arXiv id (else derived from the title).
    source_id: str | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # primary first
    primary_category: str = ""
    url: str = ""
    pdf_url: str = ""
    published_on: date | None = None
    upvotes: int | None = None
    num_comments: int | None = None
    extra: dict = field(default_factory=dict)


class RecordError(ValueError):
    """One record is unusable; the rest of the response goes on."""


class FetchError(RuntimeError):
    """A whole response is unusable (malformed, throttled, an error page)."""


def collapse_whitespace(text: str) -> str:
    return _WS.sub(" ", text or "").strip()


def clean_text(text: str) -> str:
    """Decode entities exactly once, normalise Unicode, collapse whitespace."""
    return collapse_whitespace(unicodedata.normalize("NFC", html.unescape(text or "")))


def clean_abstract(text: str) -> str:
    """Like clean_text, but keep paragraph breaks as a blank line."""
    text = unicodedata.normalize("NFC", html.unescape(text or "")).strip()
    paragraphs = _PARAGRAPH_BREAK.split(text)
    return "\n\n".join(p for p in (collapse_whitespace(p) for p in paragraphs) if p)


def title_key(title: str) -> str:
    """Case-, accent- and punctuation-free title, for matching one paper across sources."""
    decomposed = unicodedata.normalize("NFKD", clean_text(title).lower())
    return "".join(ch for ch in decomposed if ch.isalnum())[:300]


def parse_arxiv_id(raw: str) -> tuple[str, int | None]:
    """'http://arxiv.org/abs/2604.26951v1' -> ('2604.26951', 1); old ids keep their slash.

    Raises RecordError for anything that is not an arXiv id.
    """
    value = _ARXIV_PREFIXES.sub("", (raw or "").strip())
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        match = pattern.match(value)
        if match:
            version = match.group("v")
            return match.group("id"), int(version) if version else None
    raise RecordError(f"not an arXiv id: {raw!r}")
