"""Fetching source responses: timeouts, retries with backoff, a polite pace for arXiv.

Fetchers return the raw body; parsing is elsewhere, so every parser is tested
on recorded bytes and this module on fake sessions. Every failure is a
FetchError with the reason in words: a throttled or broken answer must never
look like a day without papers.
"""

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from django.conf import settings

from digest.sources.records import FetchError

# Far above a real page (a 100-entry arXiv page is ~250 KB); stops a runaway body.
MAX_RESPONSE_BYTES = 20 * 1024 * 1024
_CHUNK_BYTES = 64 * 1024

_pace_lock = threading.Lock()
_last_request_at: dict[str, float] = {}


def http_get(
    url: str,
    *,
    what: str,
    params: Mapping[str, str | int] | None = None,
    session: requests.Session | None = None,
    min_interval: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """GET `url` and return the body; retry connection errors, 5xx and 429 with backoff."""
    session = session or requests.Session()
    attempts = max(1, settings.SOURCES_HTTP_RETRIES + 1)
    failure = "no attempt made"
    for attempt in range(attempts):
        _wait_turn(url, min_interval=min_interval, sleep=sleep)
        delay = settings.SOURCES_HTTP_BACKOFF * 2**attempt
        try:
            response = session.get(
                url,
                params=params,
                timeout=settings.SOURCES_HTTP_TIMEOUT,
                headers={"User-Agent": settings.SOURCES_USER_AGENT},
                stream=True,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            failure = f"{type(exc).__name__}: {exc}"
        except requests.RequestException as exc:
            raise FetchError(f"{what}: {type(exc).__name__}: {exc}") from None
        else:
            with response:
                status = response.status_code
                if status == 429:
                    retry_after = _retry_after(response.headers.get("Retry-After"))
                    failure = f"HTTP 429 throttled ({_snippet(response)})"
                    if retry_after is not None:
                        if retry_after > settings.SOURCES_RETRY_AFTER_MAX:
                            raise FetchError(
                                f"{what}: {failure}; Retry-After {retry_after:.0f} s is too long"
                            )
                        delay = max(delay, retry_after)
                elif status >= 500:
                    failure = f"HTTP {status} ({_snippet(response)})"
                elif status >= 400:
                    raise FetchError(f"{what}: HTTP {status} ({_snippet(response)})")
                else:
                    try:
                        return _read_body(response, what=what)
                    except (
                        requests.ConnectionError,
                        requests.Timeout,
                        requests.exceptions.ChunkedEncodingError,
                    ) as e:
                        failure = f"body cut short: {type(e).__name__}"
        if attempt + 1 < attempts:
            sleep(delay)
    raise FetchError(f"{what}: gave up after {attempts} attempts; last: {failure}")


def _wait_turn(url: str, *, min_interval: float, sleep: Callable[[float], None]) -> None:
    """Keep `min_interval` seconds between requests to one host, across threads."""
    if min_interval <= 0:
        return
    host = urlsplit(url).netloc
    with _pace_lock:
        wait = _last_request_at.get(host, float("-inf")) + min_interval - time.monotonic()
        if wait > 0:
            sleep(wait)
        _last_request_at[host] = time.monotonic()


def _retry_after(raw: str | None) -> float | None:
    """Retry-After is either seconds or an HTTP date."""
    if not raw:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _read_body(response: requests.Response, *, what: str) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise FetchError(f"{what}: response of {declared} bytes is larger than {MAX_RESPONSE_BYTES}")
    body = bytearray()
    for chunk in response.iter_content(_CHUNK_BYTES):
        body.extend(chunk)
        if len(body) > MAX_RESPONSE_BYTES:
            raise FetchError(f"{what}: response larger than {MAX_RESPONSE_BYTES} bytes")
    return bytes(body)


def _snippet(response: requests.Response) -> str:
    try:
        text = next(response.iter_content(200), b"").decode("utf-8", "replace")
    except requests.RequestException:
        text = ""
    return " ".join(text.split())[:200] or response.reason or "no body"


def fetch_hf_daily(day: date, *, session: requests.Session | None = None) -> bytes:
    return http_get(
        settings.SOURCES_HF_DAILY_URL,
        params={"date": day.isoformat()},
        what=f"Hugging Face Daily Papers {day.isoformat()}",
        session=session,
    )


def fetch_arxiv_api(
    *,
    query: str = "",
    ids: Sequence[str] = (),
    start: int = 0,
    max_results: int,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    params: dict[str, str | int] = {"start": start, "max_results": max_results}
    if query:
        params["search_query"] = query
    if ids:
        params["id_list"] = ",".join(ids)
    return http_get(
        settings.SOURCES_ARXIV_API_URL,
        params=params,
        what="arXiv API",
        session=session,
        min_interval=settings.SOURCES_ARXIV_MIN_INTERVAL,
        sleep=sleep,
    )


def fetch_arxiv_rss(
    categories: Sequence[str],
    *,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    # One combined feed lists each paper once, however many of the categories it is in.
    feed = "+".join(categories)
    return http_get(
        settings.SOURCES_ARXIV_RSS_URL.rstrip("/") + "/" + feed,
        what=f"arXiv RSS {feed}",
        session=session,
        min_interval=settings.SOURCES_ARXIV_MIN_INTERVAL,
        sleep=sleep,
    )
