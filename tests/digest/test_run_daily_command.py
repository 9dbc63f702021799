"""manage.py run_daily: due readers by default, a past day's with --date, everyone with --all-now."""

import datetime as dt
import socket
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from digest.models import DailyRun, Digest
from tests.factories import PaperFactory, SubscriberFactory

# Committed for real, as on a laptop: the in-process sends run before the command reports.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.calendar]

UTC = dt.UTC
MONDAY = dt.date(2026, 11, 23)


def run_daily(*args: str, at: dt.datetime) -> str:
    out = StringIO()
    with time_machine.travel(at, tick=False):
        call_command("run_daily", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def readers():
    interests = {"profile__interests": "graph neural networks"}
    for n in range(2):
        PaperFactory(title=f"Graph neural networks for molecules, part {n}", announced_on=MONDAY)
    return {
        # 07:00 local on 23 November: 06:00 UTC in Berlin, 12:00 in New York, 15:00 in Los Angeles.
        "berlin": SubscriberFactory(
            email="berlin@example.org", timezone="Europe/Berlin", send_hour=7, **interests
        ),
        "nyc": SubscriberFactory(
            email="nyc@example.org", timezone="America/New_York", send_hour=7, **interests
        ),
        "la": SubscriberFactory(
            email="la@example.org", timezone="America/Los_Angeles", send_hour=7, **interests
        ),
        # Weekly, on Fridays: not due on a Monday.
        "weekly": SubscriberFactory(
            email="weekly@example.org",
            timezone="Europe/Berlin",
            send_hour=7,
            frequency="weekly",
            weekly_day=4,
            **interests,
        ),
    }


def sent_to() -> list[str]:
    return sorted(
        Digest.objects.filter(status=Digest.Status.SENT).values_list("subscriber__email", flat=True)
    )


def test_by_default_it_sends_only_the_readers_due_now(smtp_server, readers):
    out = run_daily(at=dt.datetime(2026, 11, 23, 6, 0, 3, tzinfo=UTC))

    assert sent_to() == ["berlin@example.org"]
    assert "slot 06:00 UTC" in out and "1 subscribers" in out
    assert run_daily(at=dt.datetime(2026, 11, 23, 9, 0, 3, tzinfo=UTC)) == "Nobody is due now.\n"


def test_a_date_sends_that_days_readers_whose_hour_has_come(smtp_server, readers):
    run_daily("--date", "2026-11-23", at=dt.datetime(2026, 11, 23, 13, 0, 3, tzinfo=UTC))

    assert sent_to() == ["berlin@example.org", "nyc@example.org"]
    assert DailyRun.objects.get().slot == "manual"

    # Again later that day: only Los Angeles is new; nobody gets a second digest.
    run_daily("--date", "2026-11-23", at=dt.datetime(2026, 11, 23, 16, 0, 3, tzinfo=UTC))
    assert sent_to() == ["berlin@example.org", "la@example.org", "nyc@example.org"]
    assert len(smtp_server.messages) == 3


def test_all_now_sends_every_active_reader_at_once(smtp_server, readers):
    run_daily("--all-now", at=dt.datetime(2026, 11, 23, 3, 0, 3, tzinfo=UTC))

    assert sent_to() == ["berlin@example.org", "la@example.org", "nyc@example.org", "weekly@example.org"]


def test_the_help_says_what_is_sent_by_default(capsys):
    with pytest.raises(SystemExit):
        call_command("run_daily", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "--all-now" in text and "local send hour" in text and "Never sends anyone two digests" in text


def test_a_digest_deferred_by_a_refused_connection_goes_with_the_next_run(settings, smtp_server, readers):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.EMAIL_PORT = closed_port
    run_daily("--all-now", at=dt.datetime(2026, 11, 23, 6, 0, 3, tzinfo=UTC))
    stuck = Digest.objects.get(subscriber=readers["berlin"])
    assert stuck.status == Digest.Status.PENDING and "ConnectionRefused" in stuck.last_error

    settings.EMAIL_PORT = smtp_server.port
    # Seconds later, well inside the retry wait: a person running the command is the retry.
    out = run_daily(at=dt.datetime(2026, 11, 23, 6, 0, 20, tzinfo=UTC))

    assert "Left over from earlier: 4 sent, 0 failed" in out
    assert sent_to() == ["berlin@example.org", "la@example.org", "nyc@example.org", "weekly@example.org"]
    assert len(smtp_server.messages) == 4
