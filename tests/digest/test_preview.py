"""digest.preview against a small database of papers (real bundled model)."""

from datetime import date, timedelta

import numpy as np
import pytest

from digest import preview
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
    today = date.today()
    return [
        Paper.objects.create(
            external_id=f"test:{i}",
            title_key=title.lower(),
            title=title,
            abstract=abstract,
            announced_on=today - timedelta(days=i % 2),
            source="test",
            url=f"https://example.org/{i}",
        )
        for i, (title, abstract) in enumerate(PAPERS)
    ]


def test_it_previews_matching_papers_with_reasons(papers):
    preview._cache.clear()
    items = preview.digest_preview(interests="dense retrieval; learned sparse retrieval", size=2)
    assert {item["paper_id"] for item in items} == {papers[1].id, papers[2].id}
    assert all(set(item) == {"paper_id", "title", "url", "score", "why"} for item in items)
    assert all(0.0 <= item["score"] <= 1.0 and item["why"] for item in items)
    assert PaperEmbedding.objects.count() == len(PAPERS)  # embedded on first use


def test_it_honours_exclusions(papers):
    preview._cache.clear()
    items = preview.digest_preview(
        interests="deep learning", exclusions="not medical imaging, no MRI", size=4
    )
    assert papers[3].id not in {item["paper_id"] for item in items}


def test_it_falls_back_to_the_newest_papers_when_none_are_recent(papers):
    Paper.objects.update(announced_on=date.today() - timedelta(days=400))
    preview._cache.clear()
    assert preview.digest_preview(interests="car aerodynamics", size=1)[0]["paper_id"] == papers[0].id


def test_repeated_calls_reuse_the_paper_set(papers):
    # How fast a warm call is belongs to the bench (bin/bench, preview stage), not to a timed test.
    preview._cache.clear()
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
    preview.digest_preview(interests="warm up", size=5)  # builds the cache
    preview.digest_preview(interests="warm up\ntwo facets", size=5)  # first torch call per shape is slow
    [cached] = preview._cache.values()
    items = preview.digest_preview(interests="dense retrieval\ncar aerodynamics", size=5)
    assert list(preview._cache.values()) == [cached]  # the same PaperSet object, not rebuilt
    assert len(items) == 5
