"""The digest inspector: what one subscriber got on one date, or what they would get.

The "would get" previews come from the digest code, the same path as the daily run.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch

from digest.build import picks_for_interests, picks_for_subscriber
from digest.models import Digest, DigestItem, Paper
from subscriptions.models import Subscriber

MAX_SEARCH_RESULTS = 20


@dataclass(frozen=True)
class PickRow:
    """One line of the inspector's picks table."""

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


def digest_picks(digest: Digest) -> list[PickRow]:
    return [PickRow(i.rank, i.paper.title, i.paper.link, i.score, i.why) for i in digest.items.all()]


def _rows(picks: list[tuple[Paper, float, str]]) -> list[PickRow]:
    return [
        PickRow(rank, paper.title, paper.link, score, why)
        for rank, (paper, score, why) in enumerate(picks, 1)
    ]


def subscriber_picks_now(subscriber: Subscriber, edition_date: date) -> list[PickRow]:
    """What the daily run would pick for this subscriber on this date (nothing is stored)."""
    return _rows(picks_for_subscriber(subscriber, edition_date))


def interests_picks_now(*, interests: str, exclusions: str = "", size: int = 5) -> list[PickRow]:
    """Today's digest for a free-form interests text, as the sign-up preview computes it."""
    picks = picks_for_interests(interests=interests, exclusions=exclusions, size=size)
    return _rows(picks)
