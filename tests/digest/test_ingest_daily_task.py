"""The beat task `digest.tasks.ingest_daily`, against recorded responses served over real HTTP.

A small HTTP server in the test process answers like Hugging Face and arXiv
would, with the recorded fixtures; the settings point the sources at it. The
first test runs the task the way beat does: queued on Redis, run by a real
Celery worker.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from celery.result import EagerResult
from django.utils import timezone

from config.celery import app
from digest.models import IngestRun, Paper
from digest.tasks import ingest_daily
from tests.digest.sources import read_fixture
from tests.support.workers import wait_for

HF_FIXTURE = "hf_daily_papers_2026-06-12.json"
RSS_FIXTURE = "arxiv_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_4items.xml"
CATEGORIES = ["cs.LG", "cs.AI", "cs.CL", "stat.ML"]


class FakeSources(ThreadingHTTPServer):
    """Answers /api/daily_papers and /rss/<feed> with recorded bodies; remembers each request."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, dict]] = []
        # path -> (status, body); a test may change these.
        self.answers = {
            "/api/daily_papers": (200, read_fixture(HF_FIXTURE)),
            "/rss/" + "+".join(CATEGORIES): (200, read_fixture(RSS_FIXTURE)),
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        parts = urlsplit(self.path)
        self.server.requests.append((parts.path, parse_qs(parts.query)))
        status, body = self.server.answers.get(parts.path, (404, b"Not Found"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def sources(settings):
    server = FakeSources()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SOURCES_HF_DAILY_URL = server.url + "/api/daily_papers"
    settings.SOURCES_ARXIV_RSS_URL = server.url + "/rss/"
    settings.SOURCES_DAILY = ["hf_daily", "arxiv_rss"]
    settings.SOURCES_ARXIV_CATEGORIES = CATEGORIES
    settings.SOURCES_ARXIV_MIN_INTERVAL = 0.0
    settings.SOURCES_HTTP_RETRIES = 1
    settings.SOURCES_HTTP_BACKOFF = 0.01
    yield server
    server.shutdown()
    server.server_close()


def _runs() -> dict[str, tuple]:
    return {
        run.source: (run.status, run.fetched, run.created, run.updated, run.unchanged, run.failed)
        for run in IngestRun.objects.all()
    }


def test_it_is_on_the_beat_schedule():
    entry = app.conf.beat_schedule["ingest-daily-sources"]

    assert entry["task"] == ingest_daily.name == "digest.tasks.ingest_daily"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_ingests_each_daily_source_on_a_real_worker(sources, celery_worker_on_redis):
    result = ingest_daily.delay()

    assert not isinstance(result, EagerResult), "queued on Redis, not run in-process"
    assert wait_for(
        lambda: IngestRun.objects.filter(finished_at__isnull=False).count() == 2, timeout=60, interval=0.2
    )
    assert _runs() == {
        "hf_daily": ("succeeded", 30, 30, 0, 0, 0),
        "arxiv_rss": ("succeeded", 4, 4, 0, 0, 0),
    }
    assert Paper.objects.count() == 34
    today = timezone.now().date().isoformat()
    assert sources.requests == [
        ("/api/daily_papers", {"date": [today]}),
        ("/rss/cs.LG+cs.AI+cs.CL+stat.ML", {}),
    ]
    paper = Paper.objects.get(arxiv_id="2606.00467")
    assert paper.sources == ["hf_daily"] and paper.upvotes is not None


@pytest.mark.django_db
def test_a_second_run_the_same_day_changes_nothing(sources):
    assert ingest_daily.delay().get() == 2
    IngestRun.objects.all().delete()

    ingest_daily.delay().get()

    assert _runs() == {
        "hf_daily": ("succeeded", 30, 0, 0, 30, 0),
        "arxiv_rss": ("succeeded", 4, 0, 0, 4, 0),
    }


@pytest.mark.django_db
def test_a_throttled_source_fails_its_run_and_the_next_source_still_runs(sources):
    sources.answers["/api/daily_papers"] = (429, b"Rate exceeded.")

    ingest_daily.delay().get()

    hf = IngestRun.objects.get(source="hf_daily")
    assert hf.status == IngestRun.Status.FAILED
    assert "HTTP 429 throttled (Rate exceeded.)" in hf.errors[0]
    assert _runs()["arxiv_rss"] == ("succeeded", 4, 4, 0, 0, 0)
    assert Paper.objects.count() == 4
