from datetime import UTC, date, datetime, timedelta

import pytest

from digest.models import DailyRun, Digest, IngestRun
from ops import selectors
from subscriptions.models import Feedback, Subscriber, SubscriberStatusChange
from tests.factories import (
    DailyRunFactory,
    DigestFactory,
    DigestItemFactory,
    FeedbackFactory,
    IngestRunFactory,
    PaperFactory,
    SubscriberFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]

TODAY = date(2026, 3, 10)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def window(days: int = 7) -> selectors.Window:
    return selectors.window_for(days=days, until=TODAY)


def test_it_bounds_the_window():
    assert selectors.window_for(days=10_000, until=TODAY).days == selectors.MAX_DAYS
    assert selectors.window_for(days=0, until=TODAY).days == selectors.DEFAULT_DAYS
    assert window(3).dates == [date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)]


def test_it_counts_subscribers_by_current_status_including_zeros():
    SubscriberFactory.create_batch(2)
    SubscriberFactory(status=Subscriber.Status.PAUSED)

    counts = selectors.subscribers_by_status()

    assert counts["Active"] == 2 and counts["Paused"] == 1 and counts["Bounced"] == 0


def _history(subscriber, *steps):
    """Give `subscriber` a dated status history (the trigger dated the real one today)."""
    SubscriberStatusChange.objects.filter(subscriber=subscriber).delete()
    previous = ""
    for status, when in steps:
        SubscriberStatusChange.objects.create(
            subscriber=subscriber, status=status, previous_status=previous, changed_at=when
        )
        previous = status


def test_it_replays_every_status_change_per_day():
    early, late, paused, bounced = SubscriberFactory.create_batch(4)
    _history(
        early,
        ("pending", at(TODAY - timedelta(days=2))),
        ("active", at(TODAY - timedelta(days=1))),
        ("unsubscribed", at(TODAY)),
    )
    _history(late, ("pending", at(TODAY)))
    _history(paused, ("active", at(TODAY - timedelta(days=30))), ("paused", at(TODAY - timedelta(days=1))))
    _history(bounced, ("active", at(TODAY - timedelta(days=9))), ("bounced", at(TODAY + timedelta(days=1))))

    series = selectors.subscribers_over_time(window(3))

    assert series == {
        "pending": [1, 0, 1],
        "active": [2, 2, 1],
        "paused": [0, 1, 1],
        "unsubscribed": [0, 0, 1],
        "bounced": [0, 0, 0],  # bounced tomorrow: not yet
    }


def test_its_history_is_the_one_the_database_records():
    reader = SubscriberFactory()
    Subscriber.objects.filter(pk=reader.pk).update(status=Subscriber.Status.BOUNCED)

    series = selectors.subscribers_over_time(selectors.window_for(days=1))

    assert (series["active"], series["bounced"]) == ([0], [1])


def test_it_counts_digests_per_day_by_outcome():
    DigestFactory.create_batch(2, edition_date=TODAY, status=Digest.Status.SENT)
    DigestFactory(edition_date=TODAY, status=Digest.Status.FAILED)
    DigestFactory(edition_date=TODAY - timedelta(days=1), status=Digest.Status.SKIPPED)
    DigestFactory(edition_date=TODAY, status=Digest.Status.PENDING)
    DigestFactory(edition_date=TODAY - timedelta(days=30), status=Digest.Status.SENT)  # outside the window

    per_day = selectors.digests_per_day(window(2))

    assert per_day == {"sent": [0, 2], "failed": [0, 1], "skipped": [1, 0], "in flight": [0, 1]}


def test_it_measures_the_share_of_digests_without_papers():
    DigestItemFactory(digest__edition_date=TODAY)
    DigestFactory(edition_date=TODAY, status=Digest.Status.SKIPPED)
    DigestFactory(edition_date=TODAY, status=Digest.Status.SKIPPED)
    DigestItemFactory(digest__edition_date=TODAY)

    share = selectors.empty_digest_share(window(1))

    assert share == {"digests": [4], "empty": [2], "percent": [50.0]}


def test_it_buckets_scores_and_keeps_empty_buckets():
    DigestItemFactory(digest__edition_date=TODAY, score=0.12)
    DigestItemFactory(digest__edition_date=TODAY, score=0.18)
    DigestItemFactory(digest__edition_date=TODAY, score=0.41)

    assert selectors.score_histogram(window(1)) == [("0.1", 2), ("0.2", 0), ("0.3", 0), ("0.4", 1)]


def test_it_leaves_trending_items_out_of_the_score_histogram():
    DigestItemFactory(digest__edition_date=TODAY, score=0.41)
    DigestItemFactory(digest__edition_date=TODAY, score=0.0, trending=True)

    assert selectors.score_histogram(window(1)) == [("0.4", 1)]


def test_it_ranks_the_days_top_papers_by_digests_carrying_them():
    popular, other = PaperFactory(), PaperFactory()
    for _ in range(3):
        DigestItemFactory(digest__edition_date=TODAY, paper=popular)
    DigestItemFactory(digest__edition_date=TODAY, paper=other)
    DigestItemFactory(digest__edition_date=TODAY - timedelta(days=1), paper=other)

    top = selectors.top_papers(TODAY)

    assert [(p["id"], p["digests"]) for p in top] == [(popular.id, 3), (other.id, 1)]


def test_it_sums_ingest_counts_per_source():
    IngestRunFactory(source="hf_api", created=5, fetched=7, updated=1)
    IngestRunFactory(source="hf_api", created=2, fetched=3, status=IngestRun.Status.FAILED)
    IngestRunFactory(source="arxiv", created=1, fetched=1)

    rows = {r["source"]: r for r in selectors.ingest_per_source(selectors.window_for(days=1))}

    assert rows["hf_api"]["runs"] == 2 and rows["hf_api"]["failed_runs"] == 1
    assert rows["hf_api"]["created"] == 7 and rows["hf_api"]["fetched"] == 10
    assert rows["arxiv"]["created"] == 1


def test_it_counts_feedback_per_day_by_signal():
    FeedbackFactory.create_batch(2)
    FeedbackFactory(signal=Feedback.Signal.LESS)
    old = FeedbackFactory()
    Feedback.objects.filter(pk=old.pk).update(created_at=at(date.today() - timedelta(days=1)))

    per_day = selectors.feedback_per_day(selectors.window_for(days=2))

    assert per_day == {"more": [1, 2], "less": [0, 1]}


@pytest.mark.parametrize(
    ("runs", "level", "title"),
    [
        ([], "info", "No run yet"),
        ([{"status": DailyRun.Status.RUNNING, "finished_at": None}], "info", "Running"),
        ([{"status": DailyRun.Status.FAILED, "error": "SMTP down"}], "error", "The run failed"),
        ([{"papers": 0, "digests_built": 0}], "warning", "No papers today"),
        ([{"papers": 12}], "ok", "Run succeeded"),
    ],
)
def test_it_tells_no_papers_from_a_failed_or_running_run(runs, level, title):
    for fields in runs:
        DailyRunFactory(edition_date=TODAY, **fields)

    banner = selectors.run_banner(TODAY)

    assert (banner.level, banner.title) == (level, title)
    if level == "error":
        assert "SMTP down" in banner.detail


def test_it_keeps_the_latest_ingest_run_per_source():
    IngestRunFactory(source="hf_api")
    latest = IngestRunFactory(source="hf_api")
    arxiv = IngestRunFactory(source="arxiv", finished_at=None, status=IngestRun.Status.RUNNING)

    runs = selectors.ingest_runs_latest_per_source()

    assert [r.pk for r in runs] == [arxiv.pk, latest.pk]
    assert runs[0].duration == "" and runs[1].duration.endswith("s")


def test_it_formats_durations():
    assert selectors.format_duration(timedelta(seconds=5)) == "5s"
    assert selectors.format_duration(timedelta(seconds=65)) == "1m 05s"
    assert selectors.format_duration(timedelta(hours=2, minutes=3)) == "2h 03m"


def test_it_builds_the_overview_in_a_bounded_number_of_queries(django_assert_max_num_queries):
    for day in range(5):
        DigestItemFactory(
            digest__edition_date=date.today() - timedelta(days=day), digest__status=Digest.Status.SENT
        )
    FeedbackFactory.create_batch(3)
    IngestRunFactory.create_batch(3)

    # One query per figure, whatever the number of rows; the status banner's checks and one
    # count per table for the sizes (digest.retention.SIZED_MODELS) are a fixed number more.
    with django_assert_max_num_queries(12 + 14 + 8):
        overview = selectors.dashboard_overview(selectors.window_for(days=30))

    assert overview.digests_today["sent"] == 1
    assert len(overview.charts) == 6
