from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.mail.backends import locmem
from django.test import Client

from digest import delivery
from digest.delivery import digest_ids_to_send, digests_send
from digest.models import Digest
from subscriptions.models import Subscriber
from tests.factories import DigestFactory, DigestItemFactory, PaperFactory, TopicProfileFactory
from tests.support.smtp import parts

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _digest(email="reader@example.org", papers=2):
    profile = TopicProfileFactory(subscriber__email=email, interests="graph neural networks for chemistry")
    digest = DigestFactory(subscriber=profile.subscriber)
    for rank in range(1, papers + 1):
        DigestItemFactory(
            digest=digest,
            rank=rank,
            why="graph neural networks for chemistry",
            paper=PaperFactory(title=f"Message passing paper {rank}"),
        )
    return digest


def test_it_sends_both_parts_with_list_headers(smtp_server):
    digest = _digest()

    result = digests_send(digest_ids=[digest.pk])

    assert result.sent == [digest.pk]
    [message] = smtp_server.messages
    text, html = parts(message)
    assert "Message passing paper 1" in text and "Message passing paper 1" in html
    assert str(message["List-Unsubscribe"]).strip().startswith("<http://testserver/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"]
    assert message["Message-ID"] == f"<digest-{digest.pk}-{digest.edition_date:%Y%m%d}@localhost>"
    assert message["Date"]
    assert "2 new papers for you" in message["Subject"]
    assert len(html.encode()) < 100_000
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT and digest.sent_at is not None


def test_it_unsubscribes_with_the_one_click_post_from_the_header(smtp_server):
    digest = _digest()
    digests_send(digest_ids=[digest.pk])
    url = str(smtp_server.messages[0]["List-Unsubscribe"]).strip().strip("<>").split(">")[0]

    response = Client(enforce_csrf_checks=True).post(
        url.replace("http://testserver", ""),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    digest.subscriber.refresh_from_db()
    assert digest.subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_it_escapes_hostile_paper_text(smtp_server):
    digest = _digest(papers=0)
    DigestItemFactory(
        digest=digest, rank=1, paper=PaperFactory(title='<script>alert("x")</script> Attention')
    )

    digests_send(digest_ids=[digest.pk])

    _, html = parts(smtp_server.messages[0])
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_it_sends_nothing_more_on_a_second_run_or_a_duplicated_task(smtp_server):
    digest = _digest()

    digests_send(digest_ids=[digest.pk])
    second = digests_send(digest_ids=[digest.pk, digest.pk])

    assert second.sent == [] and len(smtp_server.messages) == 1


def test_it_retries_a_temporary_failure_and_then_delivers(smtp_server):
    digest = _digest()
    smtp_server.handler.rcpt_replies["reader@example.org"] = ["451 4.7.1 Try again later", "250 OK"]

    first = digests_send(digest_ids=[digest.pk])
    digest.refresh_from_db()
    assert (
        first.retry == [digest.pk] and digest.status == Digest.Status.PENDING and "451" in digest.last_error
    )

    second = digests_send(digest_ids=[digest.pk])
    digest.refresh_from_db()
    assert second.sent == [digest.pk] and digest.status == Digest.Status.SENT and digest.attempts == 2
    assert len(smtp_server.messages) == 1


def test_the_sweep_waits_out_the_retry_delay_of_a_deferred_digest(smtp_server, settings):
    settings.DIGEST_RETRY_BASE_SECONDS = 60
    digest = _digest()
    waiting = _digest("waiting@example.org")
    smtp_server.handler.rcpt_replies["reader@example.org"] = ["451 4.7.1 Try again later"] * 2

    with time_machine.travel(datetime(2026, 6, 1, 8, 0, tzinfo=UTC), tick=False) as clock:
        digests_send(digest_ids=[digest.pk])
        assert digest_ids_to_send() == [waiting.pk]  # 1 minute to wait after the first failure
        clock.shift(61)
        assert digest_ids_to_send() == [digest.pk, waiting.pk]
        digests_send(digest_ids=[digest.pk])
        clock.shift(61)
        assert digest_ids_to_send() == [waiting.pk]  # the wait doubled to 2 minutes
        clock.shift(60)
        assert digest_ids_to_send() == [digest.pk, waiting.pk]


def test_it_fails_a_permanent_rejection_without_stopping_the_chunk(smtp_server, settings):
    settings.DIGEST_BOUNCE_LIMIT = 2
    bad = _digest("gone@example.org")
    good = _digest("here@example.org")
    smtp_server.handler.rcpt_replies["gone@example.org"] = ["550 5.1.1 No such user"]

    result = digests_send(digest_ids=[bad.pk, good.pk])

    assert result.failed == [bad.pk] and result.sent == [good.pk]
    bad.refresh_from_db()
    assert bad.status == Digest.Status.FAILED and "550" in bad.last_error
    assert bad.subscriber.__class__.objects.get(pk=bad.subscriber_id).bounce_count == 1
    assert [m["To"] for m in smtp_server.messages] == ["here@example.org"]


def test_it_marks_an_address_bounced_after_repeated_hard_bounces(smtp_server, settings):
    settings.DIGEST_BOUNCE_LIMIT = 2
    first = _digest("gone@example.org")
    smtp_server.handler.rcpt_replies["gone@example.org"] = ["550 5.1.1 No such user"]
    digests_send(digest_ids=[first.pk])
    # The next day's digest: a fixed day apart, never the same date (replace(day=1) was, on the 1st).
    second = DigestFactory(subscriber=first.subscriber, edition_date=first.edition_date + timedelta(days=1))

    digests_send(digest_ids=[second.pk])

    first.subscriber.refresh_from_db()
    assert first.subscriber.status == Subscriber.Status.BOUNCED


@pytest.mark.parametrize("status", [Subscriber.Status.PAUSED, Subscriber.Status.PENDING])
def test_it_bounces_a_reader_whose_status_changed_mid_send(smtp_server, settings, monkeypatch, status):
    settings.DIGEST_BOUNCE_LIMIT = 1
    digest = _digest("gone@example.org")
    smtp_server.handler.rcpt_replies["gone@example.org"] = ["550 5.1.1 No such user"]
    real_message = delivery.digest_message

    def message_after_a_status_change(digest, **kwargs):
        # The reader pauses (or an operator resets them) after the chunk was loaded, before the 5xx.
        Subscriber.objects.filter(pk=digest.subscriber_id).update(status=status)
        return real_message(digest, **kwargs)

    monkeypatch.setattr(delivery, "digest_message", message_after_a_status_change)

    assert digests_send(digest_ids=[digest.pk]).failed == [digest.pk]

    digest.subscriber.refresh_from_db()
    assert (digest.subscriber.status, digest.subscriber.bounce_count) == (Subscriber.Status.BOUNCED, 1)


def test_it_gives_up_after_the_last_attempt(smtp_server, settings):
    settings.DIGEST_MAX_ATTEMPTS = 2
    digest = _digest()
    smtp_server.handler.rcpt_replies["reader@example.org"] = ["421 4.3.2 Busy"]

    digests_send(digest_ids=[digest.pk])
    result = digests_send(digest_ids=[digest.pk])

    digest.refresh_from_db()
    assert result.failed == [digest.pk] and digest.status == Digest.Status.FAILED
    assert "gave up" in digest.last_error


def test_it_reclaims_a_digest_abandoned_mid_send(smtp_server, settings):
    from datetime import timedelta

    from django.utils import timezone

    digest = _digest()
    Digest.objects.filter(pk=digest.pk).update(
        status=Digest.Status.SENDING,
        claimed_at=timezone.now() - timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT + 1),
    )

    assert digests_send(digest_ids=[digest.pk]).sent == [digest.pk]


def test_it_leaves_a_digest_claimed_by_a_live_sender_alone(smtp_server):
    from django.utils import timezone

    digest = _digest()
    Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.SENDING, claimed_at=timezone.now())

    assert digests_send(digest_ids=[digest.pk]).skipped == [digest.pk]
    assert smtp_server.messages == []


class _RecordingBackend(locmem.EmailBackend):
    """Records the digests' statuses at each hand-over; dies (like a killed worker) on message `die_on`."""

    def __init__(self, watched, die_on=None, **kwargs):
        super().__init__(**kwargs)
        self.watched, self.die_on, self.seen = watched, die_on, []

    def send_messages(self, messages):
        self.seen.append(dict(Digest.objects.filter(pk__in=self.watched).values_list("pk", "status")))
        if len(self.seen) == self.die_on:
            raise SystemExit("killed mid-send")
        return super().send_messages(messages)


def test_it_holds_one_claim_at_a_time_and_claims_the_next_as_it_marks_the_last():
    ids = [_digest(f"reader{i}@example.org").pk for i in range(3)]
    backend = _RecordingBackend(ids)

    result = digests_send(digest_ids=ids, connection=backend)

    assert result.sent == ids
    sending, sent, pending = Digest.Status.SENDING, Digest.Status.SENT, Digest.Status.PENDING
    assert backend.seen == [
        {ids[0]: sending, ids[1]: pending, ids[2]: pending},
        {ids[0]: sent, ids[1]: sending, ids[2]: pending},
        {ids[0]: sent, ids[1]: sent, ids[2]: sending},
    ]


def test_a_sender_that_dies_strands_at_most_one_digest():
    ids = [_digest(f"reader{i}@example.org").pk for i in range(3)]

    with pytest.raises(SystemExit):
        digests_send(digest_ids=ids, connection=_RecordingBackend(ids, die_on=2))

    statuses = dict(Digest.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses == {
        ids[0]: Digest.Status.SENT,
        ids[1]: Digest.Status.SENDING,
        ids[2]: Digest.Status.PENDING,
    }


def test_it_skips_a_digest_it_cannot_claim_and_claims_the_one_after(smtp_server):
    from django.utils import timezone

    ids = [_digest(f"reader{i}@example.org").pk for i in range(3)]
    Digest.objects.filter(pk=ids[1]).update(status=Digest.Status.SENDING, claimed_at=timezone.now())

    result = digests_send(digest_ids=ids)

    assert result.sent == [ids[0], ids[2]] and result.skipped == [ids[1]]
    assert sorted(str(m["To"]) for m in smtp_server.messages) == [
        "reader0@example.org",
        "reader2@example.org",
    ]


@pytest.mark.django_db(transaction=True)
def test_it_marks_each_digest_sent_and_claims_the_next_in_one_statement(smtp_server):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ids = [_digest(f"reader{i}@example.org").pk for i in range(3)]

    with CaptureQueriesContext(connection) as queries:
        assert digests_send(digest_ids=ids).sent == ids

    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]
    # The first claim stands alone; each later one is the statement that marks the previous digest sent.
    assert len(writes) == len(ids) + 1
    for previous, following, sql in zip(ids, ids[1:], writes[1:], strict=False):
        assert sql.count("UPDATE") == 2 and f"id = {previous}" in sql and f"id = {following}" in sql


def test_it_claims_the_digest_after_one_it_could_not_claim_with_its_mark(smtp_server):
    from django.utils import timezone

    ids = [_digest(f"reader{i}@example.org").pk for i in range(4)]
    Digest.objects.filter(pk=ids[1]).update(status=Digest.Status.SENT, sent_at=timezone.now())
    backend = _RecordingBackend(ids)

    result = digests_send(digest_ids=ids, connection=backend)

    assert result.sent == [ids[0], ids[2], ids[3]] and result.skipped == [ids[1]]
    sending, sent, pending = Digest.Status.SENDING, Digest.Status.SENT, Digest.Status.PENDING
    # Still one claim at a time: the failed claim of ids[1] took nothing, then ids[2] was claimed alone.
    assert backend.seen == [
        {ids[0]: sending, ids[1]: sent, ids[2]: pending, ids[3]: pending},
        {ids[0]: sent, ids[1]: sent, ids[2]: sending, ids[3]: pending},
        {ids[0]: sent, ids[1]: sent, ids[2]: sent, ids[3]: sending},
    ]


def _readers_of_the_same_papers(count: int, name: str) -> list[int]:
    papers = [PaperFactory(extra={"hf_url": f"https://huggingface.co/papers/2611.0000{n}"}) for n in range(2)]
    ids = []
    for i in range(count):
        digest = _digest(f"{name}{i}@example.org", papers=0)
        for rank, paper in enumerate(papers, start=1):
            DigestItemFactory(digest=digest, rank=rank, why="graph neural networks", paper=paper)
        ids.append(digest.pk)
    return ids


def test_a_chunk_reads_the_same_whatever_its_number_of_digests(smtp_server):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def reads(ids):
        with CaptureQueriesContext(connection) as queries:
            assert digests_send(digest_ids=ids).sent == ids
        return sum(query["sql"].startswith("SELECT") for query in queries.captured_queries)

    small, large = _readers_of_the_same_papers(2, "small"), _readers_of_the_same_papers(6, "large")

    assert reads(small) == reads(large)
    # Each reader still gets the shared papers' links (from the paper's extra source data).
    assert all("https://huggingface.co/papers/2611.00001" in parts(m)[0] for m in smtp_server.messages)


def test_a_delivered_digest_clears_its_readers_bounce_count_and_still_claims_the_next(smtp_server):
    ids = [_digest(f"reader{i}@example.org").pk for i in range(3)]
    bouncing = Digest.objects.get(pk=ids[1]).subscriber_id
    Subscriber.objects.filter(pk=bouncing).update(bounce_count=2)

    assert digests_send(digest_ids=ids).sent == ids

    assert Subscriber.objects.get(pk=bouncing).bounce_count == 0
    assert set(Digest.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Digest.Status.SENT}
