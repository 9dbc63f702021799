"""digest.build: digests, and the previews that rank exactly what the daily run would send (real bundled model)."""

from datetime import date, timedelta

import numpy as np
import pytest
from django.utils import timezone

from digest import candidates
from digest.build import digests_build, picks_for_interests, picks_for_subscriber
from digest.models import DigestItem, Paper, PaperEmbedding
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


# --- The sign-up preview on its own -------------------------------------------

SIGNUP_PAPERS = [
    (
        "DrivAerNet: a car dataset for aerodynamic design with CFD",
        "Drag prediction for car shapes from CFD simulations.",
    ),
    (
        "Dense passage retrieval for open-domain question answering",
        "Dual encoders retrieve passages for questions.",
    ),
    (
        "SPLADE: sparse lexical and expansion model for first stage ranking",
        "Learned sparse retrieval with BERT.",
    ),
    ("Deep learning for MRI reconstruction", "Medical imaging: accelerated MRI with neural networks."),
    ("Offline reinforcement learning datasets", "Benchmarks for offline RL."),
]


@pytest.fixture
def signup_papers(db):
    today = timezone.localdate()
    return [
        Paper.objects.create(
            external_id=f"test:{i}",
            title_key=title.lower(),
            title=title,
            abstract=abstract,
            announced_on=today,
            source="test",
            url=f"https://example.org/{i}",
        )
        for i, (title, abstract) in enumerate(SIGNUP_PAPERS)
    ]


def test_it_previews_matching_papers_with_reasons(signup_papers):
    candidates._paper_sets.clear()
    items = picks_for_interests(interests="dense retrieval; learned sparse retrieval", size=2)
    assert {paper.pk for paper, _, _ in items} == {signup_papers[1].id, signup_papers[2].id}
    assert all(0.0 <= score <= 1.0 and why for _, score, why in items)
    assert PaperEmbedding.objects.count() == len(SIGNUP_PAPERS)  # embedded on first use


def test_it_honours_exclusions(signup_papers):
    candidates._paper_sets.clear()
    items = picks_for_interests(interests="deep learning", exclusions="not medical imaging, no MRI", size=4)
    assert signup_papers[3].id not in {paper.pk for paper, _, _ in items}


def test_it_falls_back_to_the_newest_edition_when_today_has_no_papers(signup_papers):
    Paper.objects.update(announced_on=timezone.localdate() - timedelta(days=400))
    candidates._paper_sets.clear()
    assert picks_for_interests(interests="car aerodynamics", size=1)[0][0].pk == signup_papers[0].id


def test_repeated_calls_reuse_the_paper_set(signup_papers):
    # How fast a warm call is belongs to the bench (bin/bench, preview stage), not to a timed test.
    candidates._paper_sets.clear()
    rng = np.random.default_rng(0)
    many = [
        Paper(
            external_id=f"bulk:{i}",
            title_key=f"bulk {i}",
            title=f"Bulk paper {i} on topic {i % 50}",
            abstract="filler abstract " * 20,
            announced_on=date.today(),
            source="test",
        )
        for i in range(3000)
    ]
    Paper.objects.bulk_create(many)
    vectors = rng.normal(size=(3000, 384)).astype("<f4")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    PaperEmbedding.objects.bulk_create(
        [
            PaperEmbedding(paper=p, model_name="all-MiniLM-L6-v2", dim=384, vector=v.tobytes())
            for p, v in zip(
                Paper.objects.filter(source="test", external_id__startswith="bulk:").order_by("id"),
                vectors,
                strict=False,
            )
        ]
    )
    picks_for_interests(interests="warm up", size=5)  # builds the cache
    picks_for_interests(interests="warm up\ntwo facets", size=5)  # first torch call per shape is slow
    [cached] = candidates._paper_sets.values()
    # Always the top 5: the bulk papers are noise that no threshold would let through.
    items = picks_for_interests(interests="dense retrieval\ncar aerodynamics", size=5, threshold_mode="top_n")
    [reused] = candidates._paper_sets.values()
    assert reused is cached  # the same PaperSet object, not rebuilt
    assert len(items) == 5
