"""Restart the Redis broker in the middle of a run; the same worker reconnects and the run completes.

The broker here keeps nothing on disk (like .ci/run's Redis), so a restart loses every
queued and unacknowledged task: the worst case. The Digest rows are the outbox, not the
queue, so the sweep (send_pending) re-enqueues what is still pending and nothing is lost.
"""

import time

import pytest

from digest.models import Digest
from digest.tasks import send_pending
from tests.reliability.helpers import all_sent, due_digests, received
from tests.support.smtp import SMTPServer
from tests.support.workers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_it_completes_the_run_when_the_broker_restarts_mid_run(settings, celery_workers, private_redis):
    settings.DIGEST_SEND_CHUNK_SIZE = 5
    digests = due_digests(40)
    with SMTPServer() as smtp:
        smtp.handler.delay_before_accept = 0.03
        worker = celery_workers(smtp_port=smtp.port, broker_url=private_redis.url)
        worker.start()
        send_pending()
        assert wait_for(lambda: len(smtp.messages) >= 8, timeout=60), worker.log_tail()

        private_redis.stop()
        sent_while_down = len(smtp.messages)
        time.sleep(1)
        private_redis.start()
        lost = Digest.objects.filter(status=Digest.Status.PENDING).count()

        deadline = time.monotonic() + 60
        while not all_sent(digests) and time.monotonic() < deadline:
            send_pending()
            wait_for(lambda: all_sent(digests), timeout=4)
        assert worker.alive and worker.starts == 1  # the same worker reconnected
        worker.stop()

    assert all_sent(digests), worker.log_tail()
    assert 0 < sent_while_down < len(digests) and lost > 0  # the restart really cut the run
    assert received(smtp) == {d.subscriber.email: 1 for d in digests}
