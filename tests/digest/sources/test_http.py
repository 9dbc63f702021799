import io
from datetime import date
from unittest import mock

import pytest
import requests

from digest.sources import http
from digest.sources.http import fetch_arxiv_api, fetch_arxiv_rss, fetch_hf_daily, http_get
from digest.sources.records import FetchError


def _response(status: int = 200, body: bytes = b"ok", headers: dict | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.raw = io.BytesIO(body)
    response.headers.update(headers or {})
    response.reason = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "")
    return response


def _session(*answers) -> mock.Mock:
    session = mock.Mock(spec=requests.Session)
    session.get.side_effect = list(answers)
    return session


@pytest.fixture(autouse=True)
def fast_settings(settings):
    settings.SOURCES_HTTP_RETRIES = 2
    settings.SOURCES_HTTP_BACKOFF = 1.0
    settings.SOURCES_RETRY_AFTER_MAX = 60.0
    settings.SOURCES_ARXIV_MIN_INTERVAL = 0.0
    http._last_request_at.clear()
    return settings


def test_it_returns_the_body_and_sends_a_timeout_and_user_agent(settings):
    session = _session(_response(body=b"[]"))

    assert http_get("https://example.org/x", what="test", session=session, params={"a": 1}) == b"[]"
    kwargs = session.get.call_args.kwargs
    assert kwargs["timeout"] == settings.SOURCES_HTTP_TIMEOUT
    assert kwargs["params"] == {"a": 1}
    assert kwargs["headers"]["User-Agent"] == settings.SOURCES_USER_AGENT


def test_it_retries_a_500_with_backoff_then_succeeds():
    sleep = mock.Mock()
    session = _session(_response(500, b"oops"), _response(200, b"fine"))

    assert http_get("https://example.org/x", what="test", session=session, sleep=sleep) == b"fine"
    assert session.get.call_count == 2
    sleep.assert_called_once_with(1.0)


def test_it_doubles_the_backoff_and_gives_up_with_the_last_reason():
    sleep = mock.Mock()
    session = _session(_response(503), _response(502), _response(500, b"Internal error"))

    with pytest.raises(FetchError, match=r"gave up after 3 attempts; last: HTTP 500 \(Internal error\)"):
        http_get("https://example.org/x", what="test", session=session, sleep=sleep)
    assert [c.args[0] for c in sleep.call_args_list] == [1.0, 2.0]


def test_it_retries_a_timeout_and_a_dropped_connection():
    sleep = mock.Mock()
    session = _session(
        requests.Timeout("read timed out"), requests.ConnectionError("reset"), _response(body=b"ok")
    )

    assert http_get("https://example.org/x", what="test", session=session, sleep=sleep) == b"ok"
    assert session.get.call_count == 3


def test_it_fails_clearly_when_every_attempt_times_out():
    session = _session(*[requests.Timeout("read timed out")] * 3)

    with pytest.raises(FetchError, match="gave up after 3 attempts; last: Timeout: read timed out"):
        http_get("https://example.org/x", what="arXiv API", session=session, sleep=mock.Mock())


def test_it_treats_a_persistent_429_as_an_error_not_as_no_papers():
    session = _session(*[_response(429, b"Rate exceeded.") for _ in range(3)])

    with pytest.raises(
        FetchError, match=r"arXiv API: gave up after 3 attempts; last: HTTP 429 throttled \(Rate exceeded.\)"
    ):
        http_get("https://export.arxiv.org/api/query", what="arXiv API", session=session, sleep=mock.Mock())


def test_it_waits_as_long_as_retry_after_asks_then_retries():
    sleep = mock.Mock()
    session = _session(_response(429, b"Rate exceeded.", {"Retry-After": "7"}), _response(body=b"feed"))

    assert http_get("https://example.org/x", what="test", session=session, sleep=sleep) == b"feed"
    sleep.assert_called_once_with(7.0)


def test_it_does_not_wait_past_the_retry_after_cap():
    sleep = mock.Mock()
    session = _session(_response(429, b"Rate exceeded.", {"Retry-After": "3600"}))

    with pytest.raises(FetchError, match="Retry-After 3600 s is too long"):
        http_get("https://example.org/x", what="test", session=session, sleep=sleep)
    sleep.assert_not_called()


def test_it_does_not_retry_a_client_error():
    session = _session(_response(404, b"Not Found"))

    with pytest.raises(FetchError, match=r"test: HTTP 404 \(Not Found\)"):
        http_get("https://example.org/x", what="test", session=session, sleep=mock.Mock())
    assert session.get.call_count == 1


def test_it_refuses_a_body_larger_than_the_cap(monkeypatch):
    monkeypatch.setattr(http, "MAX_RESPONSE_BYTES", 1000)
    session = _session(_response(body=b"x" * 5000))

    with pytest.raises(FetchError, match="larger than 1000 bytes"):
        http_get("https://example.org/x", what="test", session=session)


def test_it_keeps_a_polite_interval_between_requests_to_one_host():
    sleep = mock.Mock()
    session = _session(_response(), _response(), _response())

    for _ in range(2):
        http_get(
            "https://export.arxiv.org/api/query", what="t", session=session, min_interval=3.0, sleep=sleep
        )
    http_get("https://rss.arxiv.org/rss/cs.LG", what="t", session=session, min_interval=3.0, sleep=sleep)

    assert sleep.call_count == 1
    assert 2.5 < sleep.call_args.args[0] <= 3.0


def test_the_fetchers_build_the_documented_requests(settings):
    session = _session(_response(), _response(), _response(), _response())

    fetch_hf_daily(date(2026, 6, 12), session=session)
    fetch_arxiv_api(query="cat:cs.LG", start=100, max_results=50, session=session)
    fetch_arxiv_api(ids=["2604.26951", "hep-th/9901001"], max_results=2, session=session)
    fetch_arxiv_rss(["cs.LG", "cs.AI"], session=session)

    calls = [(c.args[0], c.kwargs["params"]) for c in session.get.call_args_list]
    assert calls == [
        (settings.SOURCES_HF_DAILY_URL, {"date": "2026-06-12"}),
        (settings.SOURCES_ARXIV_API_URL, {"start": 100, "max_results": 50, "search_query": "cat:cs.LG"}),
        (
            settings.SOURCES_ARXIV_API_URL,
            {"start": 0, "max_results": 2, "id_list": "2604.26951,hep-th/9901001"},
        ),
        ("https://rss.arxiv.org/rss/cs.LG+cs.AI", None),
    ]


def test_it_retries_a_body_cut_short_by_the_connection():
    class Truncated(io.BytesIO):
        def read(self, *args):
            raise requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead")

    cut = _response(body=b"")
    cut.raw = Truncated()
    sleep = mock.Mock()
    session = _session(cut, _response(body=b"whole"))

    assert http_get("https://example.org/x", what="test", session=session, sleep=sleep) == b"whole"
    sleep.assert_called_once_with(1.0)
