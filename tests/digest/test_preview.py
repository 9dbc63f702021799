"""The sign-up preview (digest.build.picks_for_interests) against a small database of papers (real bundled model)."""

from datetime import date, timedelta

import numpy as np
import pytest
from django.utils import timezone

from digest import build, candidates
from digest.models import Paper, PaperEmbedding

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PAPERS = [
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
def papers(db):
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
        for i, (title, abstract) in enumerate(PAPERS)
    ]


def test_it_previews_matching_papers_with_reasons(papers):
    candidates._paper_sets.clear()
    items = build.picks_for_interests(interests="dense retrieval; learned sparse retrieval", size=2)
    assert {paper.pk for paper, _, _ in items} == {papers[1].id, papers[2].id}
    assert all(0.0 <= score <= 1.0 and why for _, score, why in items)
    assert PaperEmbedding.objects.count() == len(PAPERS)  # embedded on first use


def test_it_honours_exclusions(papers):
    candidates._paper_sets.clear()
    items = build.picks_for_interests(
        interests="deep learning", exclusions="not medical imaging, no MRI", size=4
    )
    assert papers[3].id not in {paper.pk for paper, _, _ in items}


def test_it_falls_back_to_the_newest_edition_when_today_has_no_papers(papers):
    Paper.objects.update(announced_on=timezone.localdate() - timedelta(days=400))
    candidates._paper_sets.clear()
    assert build.picks_for_interests(interests="car aerodynamics", size=1)[0][0].pk == papers[0].id


def test_repeated_calls_reuse_the_paper_set(papers):
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
    build.picks_for_interests(interests="warm up", size=5)  # builds the cache
    build.picks_for_interests(interests="warm up\ntwo facets", size=5)  # first torch call per shape is slow
    [cached] = candidates._paper_sets.values()
    items = build.picks_for_interests(interests="dense retrieval\ncar aerodynamics", size=5)
    [reused] = candidates._paper_sets.values()
    assert reused is cached  # the same PaperSet object, not rebuilt
    assert len(items) == 5
