"""digest/skip_reasons.py through digest.build.digests_build: every empty digest records why."""

import datetime as dt

import pytest
import time_machine

from digest.build import digests_build
from digest.models import Digest, EmptyReason
from tests.factories import DigestFactory, DigestItemFactory, PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC), tick=False):
        yield


def build(subscriber) -> Digest:
    digests_build(subscriber_ids=[subscriber.pk], edition_date=DAY)
    return Digest.objects.get(subscriber=subscriber, edition_date=DAY)


def gnn_papers(n: int = 2) -> list:
    return [
        PaperFactory(
            title=f"Graph neural networks for molecular property prediction {i}",
            # Fixed, not Faker's random text: the scores must not vary from run to run.
            abstract="We predict molecular properties with message-passing graph neural networks.",
            announced_on=DAY,
        )
        for i in range(n)
    ]


def test_no_papers_announced():
    digest = build(SubscriberFactory())
    assert (digest.status, digest.empty_reason) == (Digest.Status.SKIPPED, EmptyReason.NO_NEW_PAPERS)


def test_no_interests():
    gnn_papers()
    digest = build(SubscriberFactory(profile=None))
    assert digest.empty_reason == EmptyReason.NO_INTERESTS


def test_nothing_above_the_threshold_names_the_best_score():
    PaperFactory(title="Reinforcement learning for robot locomotion", announced_on=DAY)
    digest = build(SubscriberFactory(threshold=0.99, profile__interests="medieval manuscript palaeography"))
    assert digest.empty_reason == EmptyReason.BELOW_THRESHOLD
    assert digest.empty_detail.startswith("best score 0.") and digest.empty_detail.endswith("threshold 0.99")


def test_every_match_sent_before():
    papers = gnn_papers()
    reader = SubscriberFactory()
    earlier = DigestFactory(
        subscriber=reader, edition_date=DAY - dt.timedelta(days=1), status=Digest.Status.SENT
    )
    for rank, paper in enumerate(papers, start=1):
        DigestItemFactory(digest=earlier, paper=paper, rank=rank)

    digest = build(reader)

    assert (
        digest.empty_reason == EmptyReason.ALL_SENT
        and digest.empty_detail == "the matching papers were sent before or rated"
    )


def test_every_match_excluded():
    gnn_papers()
    reader = SubscriberFactory(
        threshold=0.5,
        profile__interests="graph neural networks",
        profile__exclusions="molecular property prediction",
    )
    digest = build(reader)
    assert digest.empty_reason == EmptyReason.ALL_EXCLUDED
    assert "molecular property prediction" in digest.empty_detail


def test_a_digest_with_papers_has_no_reason():
    gnn_papers()
    digest = build(SubscriberFactory())
    assert digest.items.exists() and (digest.empty_reason, digest.empty_detail) == ("", "")
