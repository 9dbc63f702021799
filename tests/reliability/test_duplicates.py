"""The same work started twice at once: a duplicated send task, two beat schedulers firing the same slot."""

import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from digest.embedding import papers_embed
from digest.models import DailyRun, Digest
from digest.pipeline import daily_run_start
from digest.tasks import build_digest_chunk, run_due_slot, send_digest_chunk
from tests.factories import PaperFactory, SubscriberFactory
from tests.reliability.helpers import all_sent, due_digests, received
from tests.support.smtp import SMTPServer
from tests.support.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

GNN_TITLES = [
    "Graph neural networks for molecular property prediction",
    "Equivariant message passing for molecules",
    "Molecular graph transformers for drug discovery",
    "Self-supervised pretraining of graph neural networks on molecules",
    "Predicting reaction yields with graph neural networks",
    "Protein-ligand binding with geometric graph networks",
]


def _at_once(count: int, target) -> list:
    """Run `target` in `count` threads released together; each thread has its own database connection."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(i):
        try:
            barrier.wait()
            results[i] = target()
        except Exception as exc:  # noqa: BLE001 - re-raised in the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return results


@pytest.mark.slow
@pytest.mark.worker
def test_it_sends_once_when_every_send_task_is_delivered_twice_to_two_workers(settings, celery_workers):
    settings.DIGEST_SEND_CHUNK_SIZE = 5
    digests = due_digests(20)
    ids = [d.pk for d in digests]
    with SMTPServer() as smtp:
        smtp.handler.delay_before_accept = 0.03
        workers = [celery_workers(smtp_port=smtp.port) for _ in range(2)]
        for worker in workers:
            worker.start()
        for start in range(0, len(ids), 5):
            # As Redis does when a visibility timeout expires under a live worker.
            send_digest_chunk.delay(ids[start : start + 5])
            send_digest_chunk.delay(ids[start : start + 5])
        assert wait_for(lambda: all_sent(digests), timeout=60), workers[0].log_tail()
        for worker in workers:
            worker.stop()

    assert received(smtp) == {d.subscriber.email: 1 for d in digests}
    assert Digest.objects.filter(attempts=1).count() == len(digests)


def test_it_sends_one_digest_per_subscriber_when_two_beat_schedulers_fire_the_same_slot(smtp_server):
    with time_machine.travel(datetime(2026, 11, 23, 7, 0, 5, tzinfo=UTC), tick=True):
        for title in GNN_TITLES:
            PaperFactory(title=title)
        subscribers = SubscriberFactory.create_batch(12, send_hour=7, timezone="UTC")
        papers_embed()  # load the model once, before the race

        runs = _at_once(2, run_due_slot)

    assert len(runs) == 2 and all(len(ids) == 1 for ids in runs)  # both schedulers started a run
    day = datetime(2026, 11, 23).date()
    assert Digest.objects.filter(edition_date=day).count() == len(subscribers)
    assert Digest.objects.filter(edition_date=day, status=Digest.Status.SENT).count() == len(subscribers)
    assert received(smtp_server) == {s.email: 1 for s in subscribers}
    built = DailyRun.objects.filter(edition_date=day).values_list("digests_built", flat=True)
    assert sorted(built)[-1] > 0 and sum(built) == len(
        subscribers
    )  # whoever lost the race built nothing twice


def test_it_builds_and_sends_once_when_a_build_task_is_delivered_twice_at_once(smtp_server, settings):
    for title in GNN_TITLES:
        PaperFactory(title=title)
    subscribers = SubscriberFactory.create_batch(12)
    papers_embed()
    today = datetime.now(UTC).date()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    run = daily_run_start(edition_date=today, subscriber_ids=[])  # a run record; the chunk comes twice below
    ids = [s.pk for s in subscribers]

    _at_once(2, lambda: build_digest_chunk(run.pk, ids, today.isoformat()))

    assert Digest.objects.filter(edition_date=today).count() == len(subscribers)
    assert received(smtp_server) == {s.email: 1 for s in subscribers}
    run.refresh_from_db()
    assert run.digests_built == len(subscribers)  # counted once, by whichever copy built them
