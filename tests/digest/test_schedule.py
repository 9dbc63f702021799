"""The hourly fan-out: each subscriber at their own local hour, with time frozen."""

import datetime as dt

import pytest
import time_machine

from digest.models import DailyRun, Digest, ScheduleSlot
from digest.schedule import due_subscribers
from digest.tasks import run_due_slot
from subscriptions.models import Subscriber
from tests.factories import DigestFactory, PaperFactory, SubscriberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]

UTC = dt.UTC


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_it_finds_each_subscriber_at_their_local_hour():
    berlin = SubscriberFactory(timezone="Europe/Berlin", send_hour=7)
    new_york = SubscriberFactory(timezone="America/New_York", send_hour=7)

    # 23 November 2026: Berlin is UTC+1, New York UTC-5.
    assert due_subscribers(at(2026, 11, 23, 6)) == {dt.date(2026, 11, 23): [berlin.pk]}
    assert due_subscribers(at(2026, 11, 23, 12)) == {dt.date(2026, 11, 23): [new_york.pk]}
    assert due_subscribers(at(2026, 11, 23, 7)) == {}


def test_it_follows_summer_time():
    berlin = SubscriberFactory(timezone="Europe/Berlin", send_hour=7)

    # 1 July: Berlin is UTC+2, so 07:00 local is 05:00 UTC.
    assert due_subscribers(at(2026, 7, 1, 5)) == {dt.date(2026, 7, 1): [berlin.pk]}
    assert due_subscribers(at(2026, 7, 1, 6)) == {}


def test_it_dates_the_edition_by_the_subscribers_local_day():
    tokyo = SubscriberFactory(timezone="Asia/Tokyo", send_hour=7)

    # 22:00 UTC on the 22nd is 07:00 on the 23rd in Tokyo.
    assert due_subscribers(at(2026, 11, 22, 22)) == {dt.date(2026, 11, 23): [tokyo.pk]}


def test_it_handles_half_hour_offsets():
    kolkata = SubscriberFactory(timezone="Asia/Kolkata", send_hour=8)

    # 02:00 UTC is 07:30 in Kolkata, 03:00 UTC is 08:30: the 08:xx hour.
    assert due_subscribers(at(2026, 11, 23, 2)) == {}
    assert due_subscribers(at(2026, 11, 23, 3)) == {dt.date(2026, 11, 23): [kolkata.pk]}


def test_it_sends_weekly_digests_on_the_chosen_local_day_only():
    weekly = SubscriberFactory(
        timezone="America/Los_Angeles", send_hour=9, frequency=Subscriber.Frequency.WEEKLY, weekly_day=4
    )

    # Friday 27 November 2026, 09:00 in Los Angeles (UTC-8) is 17:00 UTC.
    assert due_subscribers(at(2026, 11, 27, 17)) == {dt.date(2026, 11, 27): [weekly.pk]}
    # The same hour on Thursday and Saturday: not due.
    assert due_subscribers(at(2026, 11, 26, 17)) == {}
    assert due_subscribers(at(2026, 11, 28, 17)) == {}


def test_it_sends_the_hour_that_spring_forward_skips_in_the_next_slot():
    at_two = SubscriberFactory(timezone="America/New_York", send_hour=2)
    at_three = SubscriberFactory(timezone="America/New_York", send_hour=3)

    # 8 March 2026: New York jumps from 01:59 EST (06:59 UTC) to 03:00 EDT (07:00 UTC).
    assert due_subscribers(at(2026, 3, 8, 6)) == {}
    assert due_subscribers(at(2026, 3, 8, 7)) == {dt.date(2026, 3, 8): [at_two.pk, at_three.pk]}
    # The next day, 02:00 EDT is 06:00 UTC again.
    assert due_subscribers(at(2026, 3, 9, 6)) == {dt.date(2026, 3, 9): [at_two.pk]}


def test_it_finds_the_repeated_autumn_hour_twice_and_sends_once(
    smtp_server, django_capture_on_commit_callbacks
):
    subscriber = SubscriberFactory(
        timezone="Europe/Berlin", send_hour=2, profile__interests="graph neural networks"
    )
    PaperFactory(title="Graph neural networks for molecules", announced_on=dt.date(2026, 10, 25))

    # 25 October 2026: Berlin's 02:00 happens at 00:00 UTC (CEST) and again at 01:00 UTC (CET).
    for hour in (0, 1):
        assert due_subscribers(at(2026, 10, 25, hour)) == {dt.date(2026, 10, 25): [subscriber.pk]}
        with time_machine.travel(at(2026, 10, 25, hour, 0, 5), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                run_due_slot()

    assert [m["To"] for m in smtp_server.messages] == [subscriber.email]


def test_it_leaves_out_inactive_subscribers_and_unknown_time_zones():
    SubscriberFactory(timezone="Europe/Berlin", send_hour=7, status=Subscriber.Status.PAUSED)
    SubscriberFactory(timezone="Europe/Berlin", send_hour=7, status=Subscriber.Status.UNSUBSCRIBED)
    Subscriber.objects.filter(pk=SubscriberFactory(send_hour=6).pk).update(timezone="Mars/Olympus_Mons")

    assert due_subscribers(at(2026, 11, 23, 6)) == {}


def test_it_sends_the_due_subscribers_their_digest_at_their_hour_and_nobody_else(
    smtp_server, django_capture_on_commit_callbacks
):
    berlin = SubscriberFactory(
        email="berlin@example.org",
        timezone="Europe/Berlin",
        send_hour=7,
        profile__interests="graph neural networks for molecules",
    )
    new_york = SubscriberFactory(
        email="nyc@example.org",
        timezone="America/New_York",
        send_hour=7,
        profile__interests="graph neural networks for molecules",
    )
    for n in range(3):
        PaperFactory(
            title=f"Graph neural networks for molecules, part {n}", announced_on=dt.date(2026, 11, 23)
        )

    with time_machine.travel(at(2026, 11, 23, 6, 0, 3), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            run_due_slot()
        assert [m["To"] for m in smtp_server.messages] == ["berlin@example.org"]
        # Beat fires twice in the hour, or a task is delivered twice: nothing more goes out.
        with django_capture_on_commit_callbacks(execute=True):
            run_due_slot()
        assert len(smtp_server.messages) == 1

    with time_machine.travel(at(2026, 11, 23, 12, 0, 3), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            run_due_slot()

    assert [m["To"] for m in smtp_server.messages] == ["berlin@example.org", "nyc@example.org"]
    assert set(Digest.objects.values_list("subscriber_id", "edition_date", "status")) == {
        (berlin.pk, dt.date(2026, 11, 23), Digest.Status.SENT),
        (new_york.pk, dt.date(2026, 11, 23), Digest.Status.SENT),
    }
    assert "Monday 23 November 2026" in smtp_server.messages[0]["Subject"]


@pytest.mark.parametrize(
    ("zone", "send_hour", "slot_utc", "edition"),
    [
        # UTC+14: 07:00 on 24 November in Kiritimati is 17:00 UTC on the 23rd.
        ("Pacific/Kiritimati", 7, at(2026, 11, 23, 17), dt.date(2026, 11, 24)),
        # UTC-11: 20:00 on 22 November in Pago Pago is 07:00 UTC on the 23rd.
        ("Pacific/Pago_Pago", 20, at(2026, 11, 23, 7), dt.date(2026, 11, 22)),
        # New Year's Eve in Kiritimati is already the 1st: the edition is dated in the new year.
        ("Pacific/Kiritimati", 7, at(2026, 12, 31, 17), dt.date(2027, 1, 1)),
    ],
)
def test_it_sends_far_zones_the_papers_announced_on_the_utc_day_of_their_slot(
    smtp_server, django_capture_on_commit_callbacks, zone, send_hour, slot_utc, edition
):
    reader = SubscriberFactory(timezone=zone, send_hour=send_hour, profile__interests="graph neural networks")
    # Sources announce by UTC day: the papers out at the reader's send time are the slot's UTC day's.
    for n in range(3):
        PaperFactory(title=f"Graph neural networks for molecules, part {n}", announced_on=slot_utc.date())

    with time_machine.travel(slot_utc + dt.timedelta(seconds=3), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            run_due_slot()

    digest = Digest.objects.get(subscriber=reader)
    assert digest.edition_date == edition
    assert digest.status == Digest.Status.SENT and digest.items.count() == 3
    assert [m["To"] for m in smtp_server.messages] == [reader.email]


def test_it_sends_a_far_east_reader_each_utc_day_once_across_consecutive_editions(
    smtp_server, django_capture_on_commit_callbacks
):
    reader = SubscriberFactory(
        timezone="Pacific/Kiritimati", send_hour=7, profile__interests="graph neural networks"
    )
    days = [dt.date(2027, 2, 27), dt.date(2027, 2, 28), dt.date(2027, 3, 1)]
    for day in days:
        PaperFactory(title=f"Graph neural networks announced {day}", announced_on=day)

    for day in days:  # 17:00 UTC each day is 07:00 the next day in Kiritimati
        with time_machine.travel(dt.datetime.combine(day, dt.time(17, 0, 3), tzinfo=UTC), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                run_due_slot()

    sent = Digest.objects.filter(subscriber=reader).order_by("edition_date")
    assert [d.edition_date for d in sent] == [dt.date(2027, 2, 28), dt.date(2027, 3, 1), dt.date(2027, 3, 2)]
    assert [[item.paper.title for item in d.items.all()] for d in sent] == [
        [f"Graph neural networks announced {day}"] for day in days
    ]


def _hourly(start: dt.datetime, hours: int, django_capture_on_commit_callbacks) -> None:
    """Beat's hourly task, fired on the hour (3 s past) for `hours` hours from `start`."""
    for n in range(hours):
        with time_machine.travel(start + dt.timedelta(hours=n, seconds=3), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                run_due_slot()


@pytest.fixture
def readers_and_papers():
    readers = {
        name: SubscriberFactory(
            email=f"{name}@example.org",
            timezone=zone,
            send_hour=7,
            profile__interests="graph neural networks",
        )
        for name, zone in [
            ("berlin", "Europe/Berlin"),
            ("london", "Europe/London"),
            ("nyc", "America/New_York"),
        ]
    }
    for day in (22, 23, 24):
        for n in range(2):
            PaperFactory(title=f"Graph neural networks, {day}/{n}", announced_on=dt.date(2026, 11, day))
    return readers


def test_every_slot_missed_in_an_outage_is_sent_late_and_once(
    smtp_server, django_capture_on_commit_callbacks, readers_and_papers
):
    # 23 November 2026: 07:00 is 06:00 UTC in Berlin, 07:00 UTC in London, 12:00 UTC in New York.
    _hourly(at(2026, 11, 23, 4), 2, django_capture_on_commit_callbacks)  # 04:00 and 05:00 ran
    assert smtp_server.messages == []
    # Beat is down from 05:30 to 13:30: the three slots pass unseen. At 14:00 it is back.
    _hourly(at(2026, 11, 23, 14), 3, django_capture_on_commit_callbacks)

    assert sorted(m["To"] for m in smtp_server.messages) == [
        "berlin@example.org",
        "london@example.org",
        "nyc@example.org",
    ]
    runs = DailyRun.objects.exclude(scheduled_for=None).order_by("scheduled_for")
    assert [(r.scheduled_for.hour, r.started_at.hour, r.late) for r in runs] == [
        (6, 14, True),
        (7, 14, True),
        (12, 14, True),
    ]
    assert set(ScheduleSlot.objects.values_list("at", flat=True)) == {
        at(2026, 11, 23, hour) for hour in range(4, 17)
    }


def test_a_slot_older_than_the_catch_up_limit_is_given_up(
    smtp_server, django_capture_on_commit_callbacks, readers_and_papers, settings
):
    settings.DIGEST_CATCH_UP_HOURS = 24
    _hourly(at(2026, 11, 22, 5), 1, django_capture_on_commit_callbacks)
    # Down from 22 Nov 05:30 to 23 Nov 07:30 (26 hours): back at 08:00, the hours since 22 Nov 08:00 run.
    _hourly(at(2026, 11, 23, 8), 1, django_capture_on_commit_callbacks)

    sent = set(Digest.objects.values_list("subscriber__email", "edition_date"))
    assert sent == {
        # Berlin's and London's slots on the 22nd (06:00, 07:00 UTC) are over 24 hours back.
        ("nyc@example.org", dt.date(2026, 11, 22)),
        ("berlin@example.org", dt.date(2026, 11, 23)),
        ("london@example.org", dt.date(2026, 11, 23)),
    }
    assert len(smtp_server.messages) == 3


def test_the_first_slot_ever_run_catches_nothing_up(
    smtp_server, django_capture_on_commit_callbacks, readers_and_papers
):
    _hourly(at(2026, 11, 23, 14), 1, django_capture_on_commit_callbacks)

    assert smtp_server.messages == [] and not DailyRun.objects.exists()
    assert list(ScheduleSlot.objects.values_list("at", flat=True)) == [at(2026, 11, 23, 14)]


def test_a_reader_already_served_by_hand_is_not_caught_up_again(
    smtp_server, django_capture_on_commit_callbacks, readers_and_papers
):
    _hourly(at(2026, 11, 23, 5), 1, django_capture_on_commit_callbacks)
    DigestFactory(subscriber=readers_and_papers["berlin"], edition_date=dt.date(2026, 11, 23))

    _hourly(at(2026, 11, 23, 8), 1, django_capture_on_commit_callbacks)

    assert [m["To"] for m in smtp_server.messages] == ["london@example.org"]
