"""digest.build: the previews rank exactly what the daily run would send (real bundled model)."""

from datetime import date, timedelta

import pytest

from digest import candidates
from digest.build import digests_build, picks_for_interests, picks_for_subscriber
from digest.models import DigestItem
from subscriptions.models import Feedback
from tests.factories import FeedbackFactory, PaperFactory, SubscriberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EDITION = date(2026, 3, 4)
INTERESTS = "dense retrieval for search\ncar aerodynamics with CFD"
TITLES = [
    ("Dense passage retrieval for open-domain question answering", "Dual encoders retrieve passages."),
    ("Learned sparse retrieval with expansion", "SPLADE-style sparse retrieval for search."),
    ("DrivAerNet: a car dataset for aerodynamic design", "Drag prediction for car shapes from CFD."),
    ("A CFD surrogate for vehicle drag", "Neural surrogate of aerodynamic simulations of cars."),
    ("Deep learning for MRI reconstruction", "Accelerated MRI with neural networks."),
    ("Offline reinforcement learning datasets", "Benchmarks for offline RL."),
]


@pytest.fixture
def papers():
    candidates._paper_sets.clear()
    today = [PaperFactory(title=t, abstract=a, announced_on=EDITION) for t, a in TITLES]
    # The best match of all, but announced before the daily run's window: no edition of EDITION has it.
    stale = PaperFactory(
        title="Dense retrieval for search engines",
        abstract="Dense retrieval.",
        announced_on=EDITION - timedelta(3),
    )
    return today, stale


def _built(subscriber) -> list[tuple[int, float]]:
    digests_build(subscriber_ids=[subscriber.pk], edition_date=EDITION)
    items = DigestItem.objects.filter(digest__subscriber=subscriber).order_by("rank")
    return [(item.paper_id, round(item.score, 4)) for item in items]


def test_the_sign_up_preview_shows_what_a_new_subscriber_gets_in_the_daily_run(papers):
    _, stale = papers
    preview = picks_for_interests(interests=INTERESTS, size=3, today=EDITION)
    subscriber = SubscriberFactory(digest_size=3, profile__interests=INTERESTS)

    built = _built(subscriber)

    assert [(paper.pk, round(score, 4)) for paper, score, _ in preview] == built
    assert len(built) == 3 and stale.pk not in [pid for pid, _ in built]


def test_the_sign_up_preview_shows_the_newest_edition_on_a_day_without_papers(papers):
    today, _ = papers
    weekend = EDITION + timedelta(days=2)

    preview = picks_for_interests(interests=INTERESTS, size=2, today=weekend)

    assert {paper.pk for paper, _, _ in preview} <= {paper.pk for paper in today}
    assert len(preview) == 2


def test_the_inspector_preview_honours_seeds_feedback_and_threshold_like_the_daily_run(papers):
    today, _ = papers
    seed, disliked = today[0], today[2]
    subscriber = SubscriberFactory(
        digest_size=4,
        threshold=0.2,
        profile__interests=INTERESTS,
        profile__seed_papers=seed.arxiv_id,
    )
    FeedbackFactory(subscriber=subscriber, paper=disliked, signal=Feedback.Signal.LESS)

    preview = picks_for_subscriber(subscriber, EDITION)
    built = _built(subscriber)

    assert [(paper.pk, round(score, 4)) for paper, score, _ in preview] == built
    assert not {seed.pk, disliked.pk} & {pid for pid, _ in built}
    assert all(score >= 0.2 for _, score in built)
