from datetime import UTC, date, datetime

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


def test_a_reader_whose_hour_has_not_come_is_not_due_yet_and_can_be_previewed():
    reader = SubscriberFactory(timezone="America/New_York", send_hour=7)
    now = datetime(2026, 11, 23, 11, 30, tzinfo=UTC)  # 06:30 in New York

    verdict = inspector.why_no_digest(reader, date(2026, 11, 23), now)

    assert verdict.previewable
    assert verdict.reason.startswith(
        "Not due yet: their slot is 2026-11-23 07:00 America/New_York (12:00 UTC)."
    )


def test_a_reader_confirmed_after_the_slot_was_never_due_that_day():
    reader = SubscriberFactory(send_hour=7, confirmed_at=datetime(2026, 11, 23, 9, tzinfo=UTC))

    verdict = inspector.why_no_digest(reader, date(2026, 11, 23), datetime(2026, 11, 23, 12, tzinfo=UTC))

    assert not verdict.previewable and verdict.reason.startswith("Confirmed after that day's slot")
