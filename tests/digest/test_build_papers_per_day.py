"""digest.build.papers_per_day: how many papers a typical day would bring (real bundled model)."""

from datetime import date, timedelta

import pytest

from digest import candidates
from digest.build import papers_per_day
from subscriptions.models import Subscriber
from tests.factories import PaperFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

LAST_DAY = date(2026, 6, 12)
PROTEIN = [
    ("Protein structure prediction with diffusion models", "We fold proteins with a diffusion model."),
    ("Designing binding proteins with generative models", "Generative protein design for binders."),
    ("Protein folding with language models", "A protein language model predicts structure."),
]
OTHER = [
    ("Drag prediction for car shapes", "CFD simulations of car aerodynamics."),
    ("Offline reinforcement learning benchmarks", "Datasets for offline RL."),
    ("Accelerated MRI reconstruction", "Medical imaging with neural networks."),
]


@pytest.fixture
def three_days(db):
    """Three protein papers on the last day, one the day before, none the day before that."""
    days = {LAST_DAY: PROTEIN + OTHER[:1], LAST_DAY - timedelta(days=1): PROTEIN[:1] + OTHER[1:]}
    days[LAST_DAY - timedelta(days=2)] = OTHER
    for day, papers in days.items():
        for title, abstract in papers:
            PaperFactory(title=title, abstract=abstract, announced_on=day)
    candidates._paper_sets.clear()
    yield
    candidates._paper_sets.clear()


def test_it_counts_a_typical_day_above_the_recommended_threshold(three_days):
    count = papers_per_day(
        today=LAST_DAY,
        interests="protein structure prediction\nprotein design",
        threshold_mode=Subscriber.ThresholdMode.RECOMMENDED,
        size=5,
    )

    assert count == 1  # days bring 3, 1 and 0: the median day brings 1


def test_always_top_n_brings_the_digest_size_each_day(three_days):
    assert (
        papers_per_day(
            today=LAST_DAY,
            interests="protein structure",
            threshold_mode=Subscriber.ThresholdMode.TOP_N,
            size=2,
        )
        == 2
    )


def test_interests_that_match_nothing_bring_nothing_above_the_threshold(three_days):
    count = papers_per_day(
        today=LAST_DAY,
        interests="medieval Latin palaeography",
        threshold_mode=Subscriber.ThresholdMode.RECOMMENDED,
        size=5,
    )

    assert count == 0
    assert papers_per_day(today=LAST_DAY, interests="  ", size=5) == 0


def test_the_count_reuses_the_weeks_papers_and_their_days_while_they_are_unchanged(three_days):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = papers_per_day(today=LAST_DAY, interests="protein structure prediction", size=5)
    with CaptureQueriesContext(connection) as queries:
        again = papers_per_day(today=LAST_DAY, interests="protein structure prediction", size=5)

    assert again == first
    # Only the cheap checks that nothing changed (counts and maxima), no paper rows.
    assert queries.captured_queries
    assert all("MAX(" in query["sql"] for query in queries.captured_queries)
