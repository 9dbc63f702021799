"""The candidate papers of an edition: the one loader of a PaperSet from the database.

The daily run, the operators' inspector and the sign-up preview all rank what
`paper_set(*candidate_window(...))` returns, so a preview is what the reader gets.
"""

from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from digest import ranking
from digest.embedding import model_name, paper_vectors
from digest.models import Paper
from digest.schedule import papers_day
from subscriptions.models import Subscriber


def candidate_window(edition_date: date, subscriber: Subscriber | None = None) -> tuple[date, date]:
    """The announcement days [start, end] an edition draws from (for one subscriber, in UTC days).

    DIGEST_LOOKBACK_DAYS, a week for weekly readers; a subscriber's window ends
    on the UTC day out at their send hour (digest.schedule.papers_day).
    """
    days = settings.DIGEST_LOOKBACK_DAYS
    end = edition_date
    if subscriber is not None:
        if subscriber.frequency == Subscriber.Frequency.WEEKLY:
            days = max(days, 7)
        end = papers_day(edition_date, subscriber, now=timezone.now())
    return end - timedelta(days=days - 1), end


def latest_edition_date(today: date) -> date:
    """The newest edition that has papers, up to today: what a preview shows on a day with none (a weekend)."""
    latest = Paper.objects.filter(announced_on__lte=today).aggregate(day=Max("announced_on"))["day"]
    return today if latest is None or latest >= candidate_window(today)[0] else latest


# The last PaperSets built in this process, by a fingerprint of the window's rows:
# every chunk task of a day scores the same papers, the BM25 index of 2,000
# papers costs about as much as ranking a chunk of 1,000 profiles against it,
# and a sign-up preview must not reload a day of vectors per keystroke. Two:
# the preview asks for the edition's window and for the week behind its
# "a typical day brings N papers" (digest.build.papers_per_day) at each keystroke.
_paper_sets: dict[tuple, tuple[ranking.PaperSet, dict[int, date]]] = {}
_PAPER_SETS_KEPT = 2


def _fingerprint(start: date, end: date) -> tuple:
    """Changes whenever a paper of the window, or its vector, is added, edited, deleted or re-embedded."""
    name = model_name()
    # One query (each preview takes two fingerprints): a paper joins its vectors of
    # every model, so its rows are counted distinct; a paper has one vector per model.
    of_model = Q(embeddings__model_name=name)
    rows = Paper.objects.filter(announced_on__gte=start, announced_on__lte=end).aggregate(
        n=Count("id", distinct=True),
        last=Max("id"),
        changed=Max("updated_at"),
        vectors=Count("embeddings__id", filter=of_model),
        last_vector=Max("embeddings__id", filter=of_model),
    )
    return (name, start, end, *rows.values())


def paper_set(start: date, end: date) -> ranking.PaperSet:
    """The candidate papers announced in [start, end], embedded (reused while they are unchanged)."""
    return paper_set_with_days(start, end)[0]


def paper_set_with_days(start: date, end: date) -> tuple[ranking.PaperSet, dict[int, date]]:
    """paper_set, and each of its papers' announcement day by id, cached with it (the preview counts per day)."""
    cached = _paper_sets.get(_fingerprint(start, end))
    if cached is not None:
        return cached
    rows = list(
        Paper.objects.filter(announced_on__gte=start, announced_on__lte=end)
        .order_by("id")
        .values_list("id", "title", "abstract", "upvotes", "announced_on")
    )
    ids = [row[0] for row in rows]
    vectors = paper_vectors(ids)
    dim = next(iter(vectors.values())).shape[0] if vectors else 0
    papers = ranking.build_paper_set(
        ids=ids,
        titles=[row[1] for row in rows],
        abstracts=[row[2] for row in rows],
        vectors=np.vstack([vectors[pid] for pid in ids]) if ids else np.zeros((0, dim), dtype=np.float32),
        upvotes=[row[3] for row in rows],
    )
    while len(_paper_sets) >= _PAPER_SETS_KEPT:  # the oldest goes
        del _paper_sets[next(iter(_paper_sets))]
    # Taken after embedding: the papers embedded just now are part of the set.
    _paper_sets[_fingerprint(start, end)] = cached = (papers, {row[0]: row[4] for row in rows})
    return cached
