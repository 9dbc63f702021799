import os
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.smtp import SMTPServer
from tests.workers import forget_routes

# Playwright's sync API runs an event loop in the test thread; the live server's
# ORM calls are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"
SAMPLE = Path(settings.BASE_DIR) / "digest" / "data" / "sample_papers.jsonl"


def require_service(condition: bool, reason: str) -> None:
    """Skip locally when a service is not configured; in CI a missing service is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI must run this test)")
    pytest.skip(reason)


def pytest_sessionstart(session):
    if IN_CI and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("CI runs the suite on PostgreSQL: set DATABASE_URL")


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server; Django's SMTP backend points at it for the test."""
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_TIMEOUT = 10
        yield server


@pytest.fixture
def sample_papers(db):
    """The shipped sample corpus, announced today."""
    from django.utils import timezone

    from digest.ingest import records_upsert
    from digest.sources.jsonfile import parse_json_papers

    records, errors = parse_json_papers(SAMPLE.read_bytes(), announced_on=timezone.now().date())
    assert not errors
    records_upsert(records)
    return records


@pytest.fixture
def celery_worker_on_redis(settings):
    """A real Celery worker (threads pool) consuming a private queue on the Redis broker."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    broker = os.environ.get("CELERY_BROKER_URL", "")
    require_service(broker.startswith("redis"), "CELERY_BROKER_URL (Redis) is not set")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")}
    app.conf.update(task_always_eager=False, broker_url=broker, task_default_queue=queue)
    forget_routes(app)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        with start_worker(
            app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=30,
        ):
            yield app
    finally:
        app.conf.update(saved)
        forget_routes(app)


@pytest.fixture
def browser():
    """Debian's Chromium, headless, driven by Playwright's sync API."""
    require_service(Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    try:
        yield chromium
    finally:
        chromium.close()
        # While Playwright's event loop runs in this thread, Django keeps this
        # thread's connections in a context-local store (asgiref Local), apart
        # from the ones it closes at teardown; close them now, or the session
        # ends with the test database "being accessed by other users".
        connections.close_all()
        playwright.stop()
