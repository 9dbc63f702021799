"""A real worker against a misbehaving real SMTP server: down, slow, 4xx then 2xx, 5xx for some addresses.

Retries back off (base DIGEST_RETRY_BASE_SECONDS, doubled each time), permanent
rejections are marked failed, and the run always finishes: every digest ends sent or failed.
"""

import time

import pytest

from digest.models import Digest
from digest.tasks import send_pending
from subscriptions.models import Subscriber
from tests.reliability.helpers import all_sent, due_digests, received, statuses
from tests.support.smtp import SMTPServer, free_port
from tests.support.workers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BASE = 0.5  # seconds before the first retry in these tests (60 in production)


def _finished(digests) -> bool:
    return set(statuses(digests)) <= {Digest.Status.SENT, Digest.Status.FAILED}


def test_it_backs_off_on_4xx_fails_5xx_addresses_and_finishes_the_run(settings, celery_workers):
    settings.DIGEST_SEND_CHUNK_SIZE = 3
    digests = due_digests(6)
    busy, gone = digests[1].subscriber.email, digests[4].subscriber.email
    with SMTPServer() as smtp:
        smtp.handler.rcpt_replies[busy] = ["451 4.7.1 Greylisted"] * 3 + ["250 OK"]
        smtp.handler.rcpt_replies[gone] = ["550 5.1.1 No such user"]
        worker = celery_workers(smtp_port=smtp.port, DIGEST_RETRY_BASE_SECONDS=BASE)
        worker.start()
        send_pending()
        assert wait_for(lambda: _finished(digests), timeout=60), worker.log_tail()
        worker.stop()

    tries = [t for address, t, _ in smtp.handler.rcpt_log if address == busy]
    gaps = [later - earlier for earlier, later in zip(tries, tries[1:], strict=False)]
    assert len(tries) == 4
    # 0.5, 1, 2 s: each wait doubles. A busy machine may add to a wait, never take from it.
    assert all(BASE * 2**i - 0.05 <= gap < BASE * 2**i + 2 for i, gap in enumerate(gaps)), gaps
    counts = received(smtp)
    assert counts == {d.subscriber.email: 1 for d in digests if d.subscriber.email != gone}
    failed = Digest.objects.get(subscriber__email=gone)
    assert failed.status == Digest.Status.FAILED and "550 5.1.1" in failed.last_error
    assert Subscriber.objects.get(email=gone).bounce_count == 1
    assert Digest.objects.get(subscriber__email=busy).attempts == 4


def test_it_waits_for_a_server_that_is_down_and_delivers_once_it_is_back(settings, celery_workers):
    settings.DIGEST_SEND_CHUNK_SIZE = 2
    digests = due_digests(4)
    port = free_port()  # nothing listens here yet: connection refused
    worker = celery_workers(smtp_port=port, DIGEST_RETRY_BASE_SECONDS=BASE)
    worker.start()
    send_pending()
    assert wait_for(lambda: Digest.objects.filter(attempts__gte=2).count() == 4, timeout=30), (
        worker.log_tail()
    )
    assert Digest.objects.filter(status=Digest.Status.SENT).count() == 0
    with SMTPServer(port=port) as smtp:
        assert wait_for(lambda: all_sent(digests), timeout=30), worker.log_tail()
        worker.stop()

    assert received(smtp) == {d.subscriber.email: 1 for d in digests}
    assert all("Connection refused" in d.last_error or d.last_error == "" for d in Digest.objects.all())


def test_it_retries_a_server_slower_than_the_timeout_and_delivers_once_when_it_is_merely_slow(
    settings, celery_workers
):
    settings.DIGEST_SEND_CHUNK_SIZE = 2
    digests = due_digests(4)
    with SMTPServer() as smtp:
        smtp.handler.rcpt_delay = 6  # past the worker's EMAIL_TIMEOUT of 4 s
        worker = celery_workers(smtp_port=smtp.port, DIGEST_RETRY_BASE_SECONDS=BASE, EMAIL_TIMEOUT=4)
        worker.start()
        send_pending()
        assert wait_for(
            lambda: Digest.objects.filter(last_error__icontains="timed out").exists(), timeout=30
        ), worker.log_tail()
        smtp.handler.rcpt_delay = 0.3  # slow, but within the timeout
        started = time.monotonic()
        assert wait_for(lambda: all_sent(digests), timeout=40), worker.log_tail()
        worker.stop()

    assert received(smtp) == {d.subscriber.email: 1 for d in digests}
    assert time.monotonic() - started > 4 * 0.3


def test_it_sends_twice_to_a_server_that_accepts_after_the_sender_timed_out(settings, celery_workers):
    """The at-least-once window, widened by the server: it took the message, but its 250
    came after EMAIL_TIMEOUT, so the sender cannot tell it from a refusal and retries."""
    settings.DIGEST_SEND_CHUNK_SIZE = 3
    digests = due_digests(3)
    with SMTPServer() as smtp:
        # Past the worker's EMAIL_TIMEOUT, which is long enough that a prompt reply on a
        # busy machine never times out too (1 s did, and sent a second message twice).
        smtp.handler.delay_after_accept = 6

        def answer_promptly_from_now_on(message):
            smtp.handler.delay_after_accept = 0

        smtp.handler.on_accept = answer_promptly_from_now_on
        worker = celery_workers(smtp_port=smtp.port, DIGEST_RETRY_BASE_SECONDS=BASE, EMAIL_TIMEOUT=4)
        worker.start()
        send_pending()
        assert wait_for(lambda: all_sent(digests), timeout=30), worker.log_tail()
        worker.stop()

    first = digests[0].subscriber.email
    assert received(smtp) == {d.subscriber.email: 2 if d.subscriber.email == first else 1 for d in digests}
    assert Digest.objects.get(subscriber__email=first).attempts == 2
