"""Scale-out: two Celery worker processes share one daily run's chunks, and every digest is built and sent once.

The workers are separate OS processes (as they would be on separate machines),
consuming a private queue on the Redis broker and writing to the test database.
"""

import os
import socket
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from digest.data import SAMPLE_CORPUS as SAMPLE
from digest.models import Digest, DigestItem
from digest.pipeline import daily_run_start
from digest.profiles import profile_vectors_refresh
from subscriptions.models import TopicProfile
from tests.conftest import require_service
from tests.factories import SubscriberFactory
from tests.support.workers import forget_routes, wait_for

TOPICS = [
    "Neural PDE solvers and computational fluid dynamics",
    "Dense retrieval, SPLADE, hybrid search",
    "Medical imaging: MRI and CT segmentation",
    "Long-context language models",
    "Vision-language models for robotics",
]
SUBSCRIBERS = 40
CHUNK = 5  # 8 build chunks: enough that two idle workers both get some


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker(name: str, queue: str, smtp_port: int, log: Path) -> subprocess.Popen:
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=_database_url(),
        CELERY_TASK_ALWAYS_EAGER="false",
        CELERY_TASK_DEFAULT_QUEUE=queue,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        DIGEST_SEND_CHUNK_SIZE="5",
        OMP_NUM_THREADS="1",
        LOG_LEVEL="WARNING",
    )
    cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-Q", queue]
    cmd += ["-n", f"{name}@%h", "-l", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    return subprocess.Popen(
        cmd, env=env, cwd=settings.BASE_DIR, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


@pytest.fixture
def small_day(db):
    """40 sample papers announced today, embedded here so the workers never load the model."""
    from digest.embedding import papers_embed
    from digest.ingest import records_upsert
    from digest.sources.jsonfile import parse_json_papers

    lines = SAMPLE.read_bytes().splitlines()[:40]
    records, errors = parse_json_papers(b"\n".join(lines), announced_on=timezone.now().date())
    assert not errors
    records_upsert(records)
    papers_embed()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_shares_the_chunks_between_two_worker_processes(
    small_day, smtp_server, settings, tmp_path, monkeypatch
):
    broker = os.environ.get("CELERY_BROKER_URL", "")
    require_service(broker.startswith("redis"), "CELERY_BROKER_URL (Redis) is not set")
    require_service(connection.vendor == "postgresql", "worker processes need a shared PostgreSQL database")
    for i in range(SUBSCRIBERS):
        SubscriberFactory(profile__interests=TOPICS[i % len(TOPICS)])
    profile_vectors_refresh(list(TopicProfile.objects.all()))

    from config.celery import app

    queue = f"test-fanout-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", broker)
    monkeypatch.setitem(app.conf, "task_default_queue", queue)
    forget_routes(app)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.DIGEST_SCORE_CHUNK_SIZE = CHUNK
    logs = {name: tmp_path / f"{name}.log" for name in ("alpha", "beta")}
    workers = [_worker(name, queue, smtp_server.port, log) for name, log in logs.items()]
    try:
        host = socket.gethostname()
        assert wait_for(
            lambda: len(app.control.ping([f"{n}@{host}" for n in logs], timeout=0.5)) == 2,
            timeout=60,
            interval=0.3,
        ), "workers did not start"
        today = timezone.now().date()

        run = daily_run_start(edition_date=today)

        assert wait_for(
            lambda: (
                Digest.objects.filter(edition_date=today, status=Digest.Status.SENT).count() == SUBSCRIBERS
            ),
            timeout=60,
            interval=0.3,
        )
        assert wait_for(lambda: len(smtp_server.messages) == SUBSCRIBERS, timeout=10)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        monkeypatch.undo()
        forget_routes(app)

    run.refresh_from_db()
    assert (run.status, run.chunks_total, run.chunks_done, run.digests_built) == (
        "succeeded",
        SUBSCRIBERS // CHUNK,
        SUBSCRIBERS // CHUNK,
        SUBSCRIBERS,
    )
    # Both processes built chunks: the fan-out is shared, not serialised behind one worker.
    handled = {
        name: sum(
            "build_digest_chunk" in line and "succeeded" in line for line in log.read_text().splitlines()
        )
        for name, log in logs.items()
    }
    assert sum(handled.values()) == SUBSCRIBERS // CHUNK, handled
    assert all(count >= 1 for count in handled.values()), handled
    # Exactly once: one digest per subscriber, one message per address.
    assert Digest.objects.filter(edition_date=today).count() == SUBSCRIBERS
    assert DigestItem.objects.filter(digest__edition_date=today).count() == 5 * SUBSCRIBERS
    recipients = Counter(
        address for message in smtp_server.messages for address in message["X-Envelope-To"].split(", ")
    )
    assert len(recipients) == SUBSCRIBERS and set(recipients.values()) == {1}
