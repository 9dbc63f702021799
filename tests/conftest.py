import datetime as dt
import os
import uuid
from pathlib import Path

import pytest
import time_machine
from django.utils.dateparse import parse_datetime

from digest.data import SAMPLE_CORPUS
from tests.support.smtp import SMTPServer
from tests.support.workers import forget_routes

# Playwright's sync API runs an event loop in the test thread; the live server's
# ORM calls are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"


# PD_TEST_NOW=2027-01-01T00:30:00Z bin/test runs the in-process tests as if the
# clock had been set to that instant when each test began (it ticks on from there).
# Several instants, comma-separated, run each such test once per instant in one
# process (one model load). A faked clock cannot reach PostgreSQL's clock, Celery
# subprocesses or Chromium, so tests marked browser, worker or real_clock keep the
# real clock.
REAL_CLOCK_MARKS = {"browser", "worker", "real_clock"}


def _test_nows() -> list[dt.datetime]:
    instants = []
    for raw in os.environ.get("PD_TEST_NOW", "").split(","):
        if not raw.strip():
            continue
        instant = parse_datetime(raw.strip().replace("Z", "+00:00"))
        if instant is None or instant.tzinfo is None:
            raise pytest.UsageError(
                f"PD_TEST_NOW={raw!r}: give ISO 8601 instants with a zone, e.g. 2027-01-01T00:30:00Z"
            )
        instants.append(instant)
    return instants


TEST_NOWS = _test_nows()


def pytest_report_header(config):
    if not TEST_NOWS:
        return "clock: real"
    return "clock: PD_TEST_NOW=" + ", ".join(instant.isoformat() for instant in TEST_NOWS)


def _keeps_real_clock(marks) -> bool:
    return bool(REAL_CLOCK_MARKS & {mark.name for mark in marks})


def pytest_generate_tests(metafunc):
    if TEST_NOWS and not _keeps_real_clock(metafunc.definition.iter_markers()):
        metafunc.parametrize(
            "_test_clock", TEST_NOWS, indirect=True, ids=[f"now={i:%Y-%m-%dT%H:%M%z}" for i in TEST_NOWS]
        )


@pytest.fixture(autouse=True)
def _test_clock(request):
    """Under PD_TEST_NOW, the test starts at that instant (tests that travel themselves still can)."""
    instant = getattr(request, "param", None)
    if instant is None:
        yield None
        return
    with time_machine.travel(instant, tick=True) as traveller:
        yield traveller


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

    records, errors = parse_json_papers(SAMPLE_CORPUS.read_bytes(), announced_on=timezone.now().date())
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
