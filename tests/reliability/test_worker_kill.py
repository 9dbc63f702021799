"""SIGKILL a real Celery worker again and again while it sends; count what a real SMTP server got.

Delivery is at-least-once at the instant of an SMTP accept (docs/RELIABILITY.md): a
sender killed after the server took a message but before the Digest row was marked
sent strands a claim whose message went out, and that digest is sent again once the
claim times out. So the exact promise, asserted here per subscriber, is:

    messages received == 1 + kills that landed between that digest's accept and its mark

No digest is lost, no duplicate has any other cause, and every duplicate is pinned to
the kill that caused it. Which instant a kill lands on is measured, not guessed: the
database logs every claim (a trigger), the SMTP server stamps every accept.

RELIABILITY_KILLS sets the number of kills (5 in CI; README has the 25-kill command).
"""

import os
import random
import time
from collections import Counter

import pytest

from digest.models import Digest
from digest.tasks import send_pending
from tests.reliability.helpers import all_sent, due_digests, received
from tests.support.smtp import SMTPServer
from tests.support.workers import wait_for

KILLS = int(os.environ.get("RELIABILITY_KILLS", "5"))

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_it_delivers_each_digest_once_plus_one_per_kill_between_accept_and_mark(
    settings, celery_workers, claim_log
):
    settings.DIGEST_SEND_CHUNK_SIZE = 10
    digests = due_digests(10 * KILLS + 30)
    by_id = {d.pk: d.subscriber.email for d in digests}
    seed = os.environ.get("RELIABILITY_SEED", str(time.time_ns()))
    rng = random.Random(seed)
    with SMTPServer() as smtp:
        # ~25 ms to take a message and 25 ms more before the 250 reaches the sender: a
        # slow-ish real server, and a window wide enough that random kills land in it.
        smtp.handler.delay_before_accept = smtp.handler.delay_after_accept = 0.025
        worker = celery_workers(smtp_port=smtp.port)
        worker.start()
        send_pending()

        kills: list[float] = []
        kinds: Counter = Counter()
        began = time.monotonic()
        for k in range(KILLS):
            if not worker.alive:
                worker.start()
            seen = len(smtp.messages)
            # Kill while sending: after the next message arrives, at a random moment.
            # A stalled queue (its chunk is waiting out the visibility timeout) gets the sweep.
            for _ in range(20):
                if wait_for(lambda: len(smtp.messages) > seen, timeout=3):  # noqa: B023
                    break
                send_pending()
            else:
                pytest.fail(f"nothing sent for a minute before kill {k + 1}:\n{worker.log_tail()}")
            time.sleep(rng.uniform(0, 0.12))
            open_then = set(smtp.handler.open_sessions)
            # Alternate: the pool process alone (the parent re-queues the task at once,
            # task_reject_on_worker_lost) and the whole worker (the task comes back after
            # the visibility timeout, or with the sweep).
            if k % 2 == 0 and worker.kill_pool_process():
                kinds["pool process"] += 1
            else:
                worker.kill()
                kinds["whole worker"] += 1
            # The server has finished with the killed sender's session: accepts are final.
            assert wait_for(lambda: not open_then & smtp.handler.open_sessions, timeout=10)  # noqa: B023
            # Stamped once the sender is dead and its session over: an accept can land
            # between the decision to kill and the signal, never after this.
            kills.append(time.time())

        killed_at = time.monotonic()
        if not worker.alive:
            worker.start()
        # The run goes on: the sweep re-enqueues what is pending and, after
        # DIGEST_CLAIM_TIMEOUT, what the killed senders had claimed.
        deadline = time.monotonic() + 90
        while not all_sent(digests) and time.monotonic() < deadline:
            send_pending()
            wait_for(lambda: all_sent(digests), timeout=2)
        finished_in = time.monotonic() - killed_at
        worker.stop()

    assert all_sent(digests), worker.log_tail()
    attempts = claim_log.attempts()
    accepted_at = [(str(m["To"]), t) for m, t in zip(smtp.messages, smtp.handler.accepted_at, strict=True)]
    in_window_kills = set()
    for digest_id, email in by_id.items():
        tries = attempts[digest_id]
        starts = [a.claimed_at.timestamp() for a in tries] + [float("inf")]
        accepts = sorted(t for to, t in accepted_at if to == email)
        for t in accepts:
            [index] = [i for i in range(len(tries)) if starts[i] <= t < starts[i + 1]]
            tries[index].accepted += 1
            if not tries[index].marked_sent:
                # Accepted, never marked: the first kill after the accept caused it.
                following = [k for k in kills if k >= t]
                assert following, f"{email}: accepted at {t}, never marked sent, and no kill after it"
                in_window_kills.add(following[0])
        assert [a.marked_sent for a in tries].count(True) == 1, (email, tries)
        assert all(a.accepted <= 1 for a in tries), (email, tries)
        stranded_after_accept = sum(1 for a in tries if a.accepted and not a.marked_sent)
        assert len(accepts) == 1 + stranded_after_accept, (email, tries)

    counts = received(smtp)
    duplicates = sum(counts.values()) - len(digests)
    assert set(counts) == set(by_id.values())  # nobody lost
    assert duplicates == len(in_window_kills) <= len(kills) == KILLS
    assert Digest.objects.filter(pk__in=by_id, status=Digest.Status.SENT).count() == len(digests)
    print(
        f"\nreliability: {KILLS} kills ({dict(kinds)}), {len(digests)} digests, {duplicates} duplicates "
        f"= kills between accept and mark; worker started {worker.starts} times; kills over "
        f"{killed_at - began:.1f} s, then {finished_in:.1f} s to the last digest sent (RELIABILITY_SEED={seed})"
    )
