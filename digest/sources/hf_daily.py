"""Hugging Face Daily Papers API (GET /api/daily_papers?date=YYYY-MM-DD).

Two schemas are live in the wild: the current one (2025 onward) and the 2024
one a backfill of old dates returns. They differ in where the Daily Papers day
is (paper.submittedOnDailyAt, or the top-level publishedAt in 2024; in the
current schema the top-level publishedAt is the arXiv date minus 4 hours) and
in which optional fields exist. Popularity lives at two levels: paper.upvotes,
but top-level numComments.
"""

from datetime import date

from digest.sources.records import (
    FetchError,
    PaperRecord,
    RecordError,
    clean_abstract,
    clean_text,
    iso_day,
    load_json,
    parse_arxiv_id,
    records_from,
)

SOURCE = "hf_daily"


def parse_hf_daily(data: bytes | str, *, day: date | None = None) -> tuple[list[PaperRecord], list[str]]:
    """Return (records, errors); `day` is the edition asked for, used when an item has no date of its own."""
    items = load_json(data, what="Hugging Face Daily Papers")
    if not isinstance(items, list):
        detail = items.get("error") if isinstance(items, dict) else None
        got = detail or type(items).__name__
        raise FetchError(f"Hugging Face Daily Papers: expected a list of papers, got {got!r}")
    return records_from(enumerate(items, start=1), lambda item: _record(item, day=day), what="item")


def _record(item: object, *, day: date | None) -> PaperRecord:
    if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
        raise RecordError("item without a paper object")
    paper = item["paper"]
    raw_id = paper.get("id")
    if not isinstance(raw_id, str):
        # Numeric ids lose digits (2503.02130 -> 2503.0213): only a string is trusted.
        raise RecordError(f"paper id is not a string: {raw_id!r}")
    arxiv_id, version = parse_arxiv_id(raw_id)
    edition = _edition_day(item, paper, day=day)
    return PaperRecord(
        source=SOURCE,
        title=clean_text(_text(paper.get("title")) or _text(item.get("title"))),
        abstract=clean_abstract(_text(paper.get("summary")) or _text(item.get("summary"))),
        arxiv_id=arxiv_id,
        version=version,
        authors=tuple(_authors(paper.get("authors"))),
        url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
        published_on=iso_day(paper["publishedAt"]) if paper.get("publishedAt") else None,
        announced_on=edition,
        upvotes=_count(paper.get("upvotes"), "upvotes"),
        num_comments=_count(item.get("numComments"), "numComments"),
        # announced_on may later move to an earlier arXiv date; the edition is kept here.
        extra={
            "hf_edition_on": edition.isoformat(),
            "hf_url": f"https://huggingface.co/papers/{arxiv_id}",
            **_extra(item, paper),
        },
    )


def _edition_day(item: dict, paper: dict, *, day: date | None) -> date:
    if paper.get("submittedOnDailyAt"):
        return iso_day(paper["submittedOnDailyAt"])
    # 2024 schema: the top-level publishedAt is the moment it was posted to Daily Papers.
    if item.get("publishedAt"):
        return iso_day(item["publishedAt"])
    if day is None:
        raise RecordError("no Daily Papers date")
    return day


def _authors(authors: object) -> list[str]:
    if authors is None:
        return []
    if not isinstance(authors, list):
        raise RecordError("authors is not a list")
    names = [clean_text(_text(a.get("name"))) if isinstance(a, dict) else "" for a in authors]
    return [name for name in names if name]


def _extra(item: dict, paper: dict) -> dict:
    extra: dict = {}
    for key, value in (
        ("github_repo", paper.get("githubRepo")),
        ("project_page", paper.get("projectPage")),
        ("ai_summary", paper.get("ai_summary")),
        # The paper's social card image; the digest shows it small, beside the title.
        ("thumbnail", item.get("thumbnail")),
    ):
        if text := clean_text(_text(value)):
            extra[key] = text
    if paper.get("githubStars") is not None:
        extra["github_stars"] = _count(paper.get("githubStars"), "githubStars")
    keywords = paper.get("ai_keywords")
    if isinstance(keywords, list):
        extra["ai_keywords"] = [k for k in (clean_text(_text(k)) for k in keywords) if k]
    organization = paper.get("organization") or item.get("organization")
    if isinstance(organization, dict):
        if name := clean_text(_text(organization.get("fullname") or organization.get("name"))):
            extra["organization"] = name
    submitter = item.get("submittedBy")
    if isinstance(submitter, dict) and (name := clean_text(_text(submitter.get("name")))):
        extra["hf_submitted_by"] = name
    return extra


def _text(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"expected text, got {type(value).__name__}")
    return value


def _count(value: object, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RecordError(f"{name} is not a count: {str(value)[:40]!r}")
    return value
