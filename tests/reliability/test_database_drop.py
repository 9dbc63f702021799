"""Cut a real worker's PostgreSQL connections mid-chunk (pg_terminate_backend); the run completes, one digest each."""

import threading
import time

import psycopg2
import pytest

from digest.tasks import send_pending
from tests.reliability.conftest import worker_database_url
from tests.reliability.helpers import all_sent, due_digests, received
from tests.support.smtp import SMTPServer
from tests.support.workers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class Terminator:
    """Terminates every database session of the worker, from whatever thread calls it."""

    def __init__(self, application_name: str):
        self.application_name = application_name
        self.terminated = 0
        self._local = threading.local()
        self._connections = []

    def __call__(self, *_) -> None:
        if not hasattr(self._local, "conn"):
            self._local.conn = psycopg2.connect(worker_database_url())
            self._local.conn.autocommit = True
            self._connections.append(self._local.conn)
        with self._local.conn.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
                [self.application_name],
            )
            self.terminated += cursor.fetchone()[0]

    def close(self) -> None:
        for conn in self._connections:
            conn.close()


def test_it_sends_each_digest_once_when_the_database_drops_mid_chunk(settings, celery_workers):
    settings.DIGEST_SEND_CHUNK_SIZE = 10
    digests = due_digests(40)
    with SMTPServer() as smtp:
        smtp.handler.delay_before_accept = 0.02
        worker = celery_workers(smtp_port=smtp.port)
        terminate = Terminator(worker.env["PGAPPNAME"])
        # The worst instant: the server has just accepted a message and the worker is
        # about to mark the digest sent. Every 7th accept, its connection is cut there.
        accepts = iter(range(1, 10_000))
        smtp.handler.on_accept = lambda message: next(accepts) % 7 == 0 and terminate()
        worker.start()
        send_pending()
        # And at other moments: a few cuts from outside while the chunk is being sent.
        for _ in range(3):
            seen = len(smtp.messages)
            assert wait_for(lambda: len(smtp.messages) > seen + 2, timeout=60), worker.log_tail()  # noqa: B023
            terminate()
        deadline = time.monotonic() + 60
        while not all_sent(digests) and time.monotonic() < deadline:
            wait_for(lambda: all_sent(digests), timeout=2)
            send_pending()
        worker.stop()
        terminate.close()

    assert all_sent(digests), worker.log_tail()
    assert terminate.terminated >= 5
    counts = received(smtp)
    assert set(counts) == {d.subscriber.email for d in digests}
    assert {email: n for email, n in counts.items() if n > 1} == {}
