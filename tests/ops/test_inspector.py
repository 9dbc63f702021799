import pytest

from ops import inspector
from tests.factories import DigestItemFactory, SubscriberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def test_it_finds_subscribers_by_part_of_their_email():
    SubscriberFactory(email="grace@navy.mil")
    SubscriberFactory(email="ada@example.org")

    assert [s.email for s in inspector.subscribers_search("NAVY")] == ["grace@navy.mil"]
    assert inspector.subscribers_search("  ") == []


def test_it_returns_the_stored_picks_in_rank_order(django_assert_num_queries):
    second = DigestItemFactory(rank=2, why="b")
    DigestItemFactory(rank=1, why="a", digest=second.digest)

    with django_assert_num_queries(2):
        digest = inspector.digest_for(second.digest.subscriber, second.digest.edition_date)
        picks = inspector.digest_picks(digest)

    assert [(p.rank, p.why) for p in picks] == [(1, "a"), (2, "b")]
