"""Bad responses from a real HTTP server, through the whole ingest: a clear error, and nothing stored is lost.

The parsers are fuzzed on bytes in tests/digest/sources/; here the same faults arrive over
a socket (a body cut short mid-stream, an endless body, a bomb, a wrong encoding) after
papers were stored, and every stored row must read exactly as before.
"""

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from digest.ingest import ingest_source
from digest.models import IngestRun, Paper
from digest.sources.http import MAX_RESPONSE_BYTES
from tests.digest.sources import FIXTURES, read_fixture

pytestmark = pytest.mark.django_db

DAY = date(2026, 7, 31)
HF = "hf_daily_papers_2026-07-31_subset.json"
RSS = "arxiv_rss_cs.AI_2026-04-27_3items.xml"

# Ten entities, each ten of the one before: 10^9 "lol"s (3 GB) if anything expanded them.
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    + b']>\n<rss version="2.0"><channel><item><title>&lol9;</title></item></channel></rss>'
)


class Scripted(BaseHTTPRequestHandler):
    """Answers every GET with the server's `reply(handler)`."""

    def do_GET(self):  # noqa: N802 - http.server's name
        self.server.reply(self)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_source(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.SOURCES_HF_DAILY_URL = f"{base}/api/daily_papers"
    settings.SOURCES_ARXIV_RSS_URL = f"{base}/rss/"
    settings.SOURCES_ARXIV_MIN_INTERVAL = 0
    settings.SOURCES_HTTP_RETRIES = 1
    settings.SOURCES_HTTP_BACKOFF = 0
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _send(handler, body: bytes, *, length: int | None = None, content_type="application/json") -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    handler.end_headers()
    handler.wfile.write(body)


def _endless(handler) -> None:
    """A chunked body that never ends on its own: the client has to stop reading."""
    handler.protocol_version = "HTTP/1.1"
    handler.send_response(200)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"[" + b" " * (1024 * 1024)
    try:
        for _ in range(MAX_RESPONSE_BYTES // len(chunk) + 8):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    except OSError:
        pass  # the client hung up, as it should


def _stored() -> dict:
    return {
        row[0]: row
        for row in Paper.objects.values_list(
            "external_id", "title", "abstract", "authors", "categories", "upvotes", "updated_at"
        )
    }


@pytest.fixture
def stored_papers():
    ingest_source("hf_daily", path=FIXTURES / HF)
    ingest_source("arxiv_rss", path=FIXTURES / RSS, day=DAY)
    assert Paper.objects.count() == 8
    return _stored()


def _hf_items_with(**changes) -> bytes:
    items = json.loads(read_fixture(HF))
    for index, paper_changes in changes.items():
        items[int(index[1:])]["paper"].update(paper_changes)
    return json.dumps(items).encode()


# (name, source, what the server does, the clear error the run records)
FAILURES = [
    (
        "body cut short mid-stream",
        "hf_daily",
        lambda h: _send(h, read_fixture(HF)[:3000], length=len(read_fixture(HF))),
        "gave up after 2 attempts; last: body cut short",
    ),
    (
        "billion laughs",
        "arxiv_rss",
        lambda h: _send(h, BILLION_LAUGHS, content_type="application/xml"),
        "refused unsafe XML",
    ),
    (
        "declared larger than the limit",
        "hf_daily",
        lambda h: _send(h, b"[]", length=MAX_RESPONSE_BYTES + 1),
        f"response of {MAX_RESPONSE_BYTES + 1} bytes is larger than {MAX_RESPONSE_BYTES}",
    ),
    ("endless body", "hf_daily", _endless, f"response larger than {MAX_RESPONSE_BYTES} bytes"),
    (
        "JSON in Windows-1252",
        "hf_daily",
        lambda h: _send(
            h, read_fixture(HF).decode().replace("Memory", "Mémoire").encode("cp1252", "replace")
        ),
        "not UTF-8",
    ),
    (
        "Latin-1 bytes in UTF-8 XML",
        "arxiv_rss",
        lambda h: _send(h, read_fixture(RSS).replace(b"Math Takes", "Mathématiques".encode("latin-1"))),
        "malformed XML",
    ),
    (
        "a UTF-16 declaration over UTF-8 bytes",
        "arxiv_rss",
        lambda h: _send(h, b'<?xml version="1.0" encoding="UTF-16"?>\n' + read_fixture(RSS)),
        "encoding specified in XML declaration is incorrect",
    ),
    (
        "an encoding nobody knows",
        "arxiv_rss",
        lambda h: _send(h, b'<?xml version="1.0" encoding="x-klingon"?>\n' + read_fixture(RSS)),
        "unknown encoding: x-klingon",
    ),
    ("an HTML error page", "hf_daily", lambda h: _send(h, b"<html>502 Bad Gateway</html>"), "malformed JSON"),
]


@pytest.mark.parametrize("name, source, reply, error", FAILURES, ids=[f[0] for f in FAILURES])
def test_it_fails_the_run_with_a_clear_error_and_loses_nothing_stored(
    http_source, stored_papers, name, source, reply, error
):
    http_source.reply = reply

    run = ingest_source(source, day=DAY, categories=["cs.AI"])

    assert run.status == IngestRun.Status.FAILED
    assert len(run.errors) == 1 and error in run.errors[0], run.errors
    assert (run.created, run.updated) == (0, 0)
    assert _stored() == stored_papers


def test_it_skips_only_the_record_with_an_enormous_field_and_keeps_its_stored_row(http_source, stored_papers):
    http_source.reply = lambda h: _send(
        h, _hf_items_with(i0={"summary": "x " * 500_000}, i2={"title": "T" * 5_000})
    )

    run = ingest_source("hf_daily", day=DAY)

    assert run.status == IngestRun.Status.SUCCEEDED
    assert (run.fetched, run.failed, run.unchanged, run.created) == (5, 2, 3, 0)
    assert [e.split(": ", 1)[1] for e in run.errors] == [
        "abstract longer than 20000 characters",
        "title longer than 1000 characters",
    ]
    assert _stored() == stored_papers
