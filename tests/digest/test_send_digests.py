import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command

from digest.models import Digest
from tests.factories import DigestFactory, DigestItemFactory

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _digest(email, **kwargs):
    digest = DigestFactory(subscriber__email=email, **kwargs)
    DigestItemFactory(digest=digest, rank=1)
    return digest


def _run(*args) -> str:
    out = StringIO()
    call_command("send_digests", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_sends_pending_digests_and_sums_up(smtp_server):
    _digest("ada@example.org")
    _digest("ben@example.org")
    _digest("gone@example.org")
    smtp_server.handler.rcpt_replies["gone@example.org"] = ["550 5.1.1 No such user"]

    output = _run()

    assert sorted(m["To"] for m in smtp_server.messages) == ["ada@example.org", "ben@example.org"]
    assert output.startswith(
        "2 sent, 1 failed, 0 deferred by temporary errors (tried again once their wait is over), 0 skipped"
    )
    assert "failed: gone@example.org: 550 5.1.1 No such user" in output


def test_it_sends_nothing_more_when_run_again(smtp_server):
    _digest("ada@example.org")
    _run()

    output = _run()

    assert len(smtp_server.messages) == 1
    assert output.startswith("0 sent, 0 failed")


def test_it_lists_what_it_would_send_on_a_dry_run(smtp_server):
    digest = _digest("ada@example.org")

    output = _run("--dry-run")

    assert output.splitlines()[:2] == [
        "1 digests would be sent.",
        f"  {digest.edition_date}  ada@example.org",
    ]
    assert smtp_server.messages == []
    assert Digest.objects.get(pk=digest.pk).status == Digest.Status.PENDING


def test_it_sends_only_the_date_it_is_given(smtp_server):
    _digest("ada@example.org", edition_date=dt.date(2026, 11, 20))
    _digest("ben@example.org", edition_date=dt.date(2026, 11, 21))

    _run("--date", "2026-11-21")

    assert [m["To"] for m in smtp_server.messages] == ["ben@example.org"]


def test_it_defers_temporary_failures_to_the_next_run(smtp_server):
    _digest("busy@example.org")
    smtp_server.handler.rcpt_replies["busy@example.org"] = ["451 4.7.1 Try again later", "250 OK"]

    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        assert _run().startswith("0 sent, 0 failed, 1 deferred")
        assert _run().startswith("0 sent")  # waiting out DIGEST_RETRY_BASE_SECONDS
        clock.shift(dt.timedelta(seconds=settings.DIGEST_RETRY_BASE_SECONDS + 1))
        assert _run().startswith("1 sent")
    assert [m["To"] for m in smtp_server.messages] == ["busy@example.org"]


def test_it_sends_each_chunk_over_one_connection(smtp_server, settings):
    settings.DIGEST_SEND_CHUNK_SIZE = 2
    for name in ("ada", "ben", "gone", "dan"):
        _digest(f"{name}@example.org")
    smtp_server.handler.rcpt_replies["gone@example.org"] = ["550 5.1.1 No such user"]
    connections = []
    record = smtp_server.handler.handle_DATA

    async def handle_DATA(server, session, envelope):
        connections.append(session.peer)
        return await record(server, session, envelope)

    smtp_server.handler.handle_DATA = handle_DATA

    _run()

    # Two chunks, two connections; the refused address did not cost the chunk its connection.
    assert [m["To"] for m in smtp_server.messages] == [
        "ada@example.org",
        "ben@example.org",
        "dan@example.org",
    ]
    assert connections[0] == connections[1] != connections[2]
