"""The digest inspector: what one subscriber got on one date, or what they would get.

The "would get" previews come from the digest code, the same path as the daily run.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch

from digest import preview, scoring
from digest.models import Digest, DigestItem
from subscriptions.models import Subscriber

MAX_SEARCH_RESULTS = 20


@dataclass(frozen=True)
class Pick:
    rank: int
    title: str
    link: str
    score: float
    why: str


def subscribers_search(query: str, *, limit: int = MAX_SEARCH_RESULTS) -> list[Subscriber]:
    query = query.strip()
    if not query:
        return []
    return list(Subscriber.objects.filter(email__icontains=query).order_by("email")[:limit])


def digest_for(subscriber: Subscriber, edition_date: date) -> Digest | None:
    items = DigestItem.objects.select_related("paper").order_by("rank")
    return (
        Digest.objects.filter(subscriber=subscriber, edition_date=edition_date)
        .prefetch_related(Prefetch("items", queryset=items))
        .first()
    )


def digest_picks(digest: Digest) -> list[Pick]:
    return [Pick(i.rank, i.paper.title, i.paper.link, i.score, i.why) for i in digest.items.all()]


def subscriber_preview(subscriber: Subscriber, edition_date: date) -> list[Pick]:
    """What the daily run would pick for this subscriber on this date (nothing is stored)."""
    picks = scoring.digest_picks_preview(subscriber, edition_date)
    return [
        Pick(rank, paper.title, paper.link, score, why) for rank, (paper, score, why) in enumerate(picks, 1)
    ]


def interests_preview(*, interests: str, exclusions: str = "", size: int = 5) -> list[Pick]:
    """Today's digest for a free-form interests text, as the sign-up preview computes it."""
    rows = preview.digest_preview(interests=interests, exclusions=exclusions, size=size)
    return [Pick(rank, r["title"], r["url"], r["score"], r["why"]) for rank, r in enumerate(rows, 1)]
