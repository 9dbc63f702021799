"""A digest as the reader sees it: the template context, the email message, the browser page.

Shared by sending (digest.delivery), the "view in browser" page and the
previews (manage.py preview_digest), so all three show the same digest.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch

from core.emails import email_build
from digest.build import picks_for_subscriber
from digest.candidates import candidate_window
from digest.models import Digest, DigestItem, Paper
from digest.paper_links import paper_links, paper_thumbnail
from digest.sources.registry import source_label
from subscriptions import links
from subscriptions.models import Subscriber

TRENDING_LABEL = "Trending today"


def _authors(authors: list[str]) -> str:
    if len(authors) > 3:
        return ", ".join(authors[:3]) + " et al."
    return ", ".join(authors)


@dataclass
class SharedRender:
    """What the digests of one send chunk have in common, computed once for all of them.

    Readers of a day share the day's papers: a paper's links, authors and
    source label are the same in every digest that has it. Only the reader's
    parts (why-line, score, signed feedback links, greeting) are per digest.
    """

    # Papers announced per candidate window (the "from N announced" line).
    candidates: dict = field(default_factory=dict)
    # A paper's part of an item, by paper id.
    papers: dict[int, dict] = field(default_factory=dict)


def _paper_part(paper: Paper, shared: SharedRender) -> dict:
    part = shared.papers.get(paper.pk) if paper.pk else None
    if part is None:
        part = {
            "paper": paper,
            # Source data is untrusted: only web links (never javascript: or data:).
            "link": paper.link if paper.link.lower().startswith(("https://", "http://")) else "",
            "authors": _authors(paper.authors),
            "source_label": source_label(paper.source),
            "links": paper_links(paper),
            "thumbnail": paper_thumbnail(paper),
        }
        if paper.pk:
            shared.papers[paper.pk] = part
    return part


def digest_context(
    digest: Digest,
    *,
    shared: SharedRender | None = None,
    unsaved_items: list[DigestItem] | None = None,
    in_browser: bool = False,
) -> dict:
    """Everything the digest templates need; shared by the email, the browser view and previews.

    `shared` carries what the other digests of a send chunk already computed.
    `unsaved_items` stand in for `digest.items` when the digest is not saved (a preview).
    `in_browser`: the page is the "view in browser" page, which must not link to itself.
    """
    shared = shared or SharedRender()
    subscriber = digest.subscriber
    profile = getattr(subscriber, "profile", None)
    items = []
    for item in digest.items.all() if unsaved_items is None else unsaved_items:
        paper = item.paper
        items.append(
            {
                **_paper_part(paper, shared),
                "rank": item.rank,
                "score": item.score,
                "why": item.why,
                "trending": item.trending,
                "more_url": links.feedback_url(subscriber, paper.pk, 1),
                "less_url": links.feedback_url(subscriber, paper.pk, -1),
            }
        )
    sections: dict[str, list[dict]] = {}
    for item in items:
        if not item["trending"]:
            sections.setdefault(item["why"] or "Also new", []).append(item)
    # After the personal picks, under a heading of its own.
    if trending := [item for item in items if item["trending"]]:
        sections[TRENDING_LABEL] = trending
    # Numbered in reading order, section by section (ranks interleave across sections).
    for number, item in enumerate((item for group in sections.values() for item in group), start=1):
        item["number"] = number
    lines = (profile.interests if profile else "").splitlines()
    interests = " · ".join(" ".join(line.split()).lstrip("-•* ") for line in lines if line.strip())
    candidates = _candidate_count(digest, shared.candidates)
    period = "this week" if subscriber.frequency == Subscriber.Frequency.WEEKLY else "today"
    return {
        "email": subscriber.email,
        "edition_label": f"{digest.edition_date:%A} {digest.edition_date.day} {digest.edition_date:%B %Y}",
        "items": items,
        "personal_count": sum(1 for item in items if not item["trending"]),
        "sections": [{"label": label, "items": group} for label, group in sections.items()],
        "candidates": candidates,
        "period": period,
        # The "nothing new" note, for subscribers who asked for one (send_empty_note).
        "empty_message": (
            f"No new papers were announced {period}. We'll write again when there are."
            if candidates == 0
            else f"Nothing new matched your interests {period}. We'll write again when something does."
        ),
        "interests_summary": interests[:160] + ("…" if len(interests) > 160 else ""),
        "view_url": links.digest_url(subscriber, digest.pk) if digest.pk and not in_browser else "",
        "preferences_url": links.preferences_url(subscriber),
        "archive_url": links.archive_url(subscriber),
        "feed_url": links.feed_url(subscriber),
        "unsubscribe_url": links.unsubscribe_url(subscriber),
    }


def _candidate_count(digest: Digest, cache: dict) -> int:
    """Papers announced in the digest's window; one query per window, not per digest."""
    window = candidate_window(digest.edition_date, digest.subscriber)
    if window not in cache:
        cache[window] = Paper.objects.filter(announced_on__gte=window[0], announced_on__lte=window[1]).count()
    return cache[window]


def message_id_for(digest: Digest) -> str:
    """Stable per digest: a resend after a crash carries the same Message-ID, so clients can fold duplicates."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"
    return f"<digest-{digest.pk}-{digest.edition_date:%Y%m%d}@{domain}>"


def digest_message(
    digest: Digest, *, shared: SharedRender | None = None, unsaved_items: list[DigestItem] | None = None
):
    context = digest_context(digest, shared=shared, unsaved_items=unsaved_items)
    unsubscribe = context["unsubscribe_url"]
    list_unsubscribe = f"<{unsubscribe}>"
    mailto = links.unsubscribe_mailto(digest.subscriber)
    if mailto:
        list_unsubscribe += f", <{mailto}>"
    domain = settings.SITE_URL.split("://", 1)[-1].split("/")[0].split(":")[0] or "localhost"
    headers = {
        "List-Unsubscribe": list_unsubscribe,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{settings.SITE_NAME} daily digest <digest.{domain}>",
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "OOF, AutoReply",
    }
    message_id = message_id_for(digest) if digest.pk else None
    return email_build(
        "digest", to=digest.subscriber.email, context=context, headers=headers, message_id=message_id
    )


def digest_preview_message(*, subscriber: Subscriber, edition_date):
    """The subscriber's digest for the date as the email it is (or would be); nothing is sent or saved.

    A digest already built for the date is rendered as built; otherwise the
    papers are picked now, the way the daily run would pick them.
    """
    digest = (
        Digest.objects.filter(subscriber=subscriber, edition_date=edition_date)
        .select_related("subscriber__profile")
        .prefetch_related(
            Prefetch("items", queryset=DigestItem.objects.select_related("paper").order_by("rank"))
        )
        .first()
    )
    if digest is not None:
        return digest_message(digest)
    picks = picks_for_subscriber(subscriber, edition_date)
    items = [
        DigestItem(paper=paper, rank=rank, score=score, why=why[:300])
        for rank, (paper, score, why) in enumerate(picks, start=1)
    ]
    return digest_message(Digest(subscriber=subscriber, edition_date=edition_date), unsaved_items=items)
