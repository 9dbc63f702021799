"""A per-client budget of preview work, kept in the shared cache.

Each preview costs ranking time that anonymous visitors spend on our workers.
The per-IP request rate alone let one client keep every worker busy with
expensive requests, so the time each request took is charged to its client,
in every worker process alike (the cache is Redis in production), and a client
whose budget for the current window is spent is told when to come back
instead of being served. The sign-up form itself never depends on it.
"""

import contextlib
from collections.abc import Iterator
from time import perf_counter
from time import time as wall_clock

from django.core.cache import cache

# Seconds of preview work a client may use per window. A typical preview
# takes a few hundredths of a second; a person typing uses a small fraction.
BUDGET_SECONDS = 3.0
WINDOW_SECONDS = 60
_PREFIX = "preview-cost"


def _window(now: float) -> int:
    return int(now // WINDOW_SECONDS)


def _key(client: str, window: int) -> str:
    return f"{_PREFIX}:{window}:{client}"


def seconds_until_available(client: str, *, now: float | None = None) -> int:
    """0 when `client` may run a preview now, else whole seconds until its next window."""
    now = wall_clock() if now is None else now
    spent_ms = cache.get(_key(client, _window(now)), 0)
    if spent_ms < BUDGET_SECONDS * 1000:
        return 0
    return max(1, int((_window(now) + 1) * WINDOW_SECONDS - now + 0.999))


def spend(client: str, seconds: float, *, now: float | None = None) -> None:
    """Charge `seconds` of work to `client` in the current window."""
    now = wall_clock() if now is None else now
    key = _key(client, _window(now))
    milliseconds = max(1, round(seconds * 1000))
    # add() then incr(): atomic on Redis, so concurrent workers never lose a charge.
    if not cache.add(key, milliseconds, timeout=WINDOW_SECONDS * 2):
        try:
            cache.incr(key, milliseconds)
        except ValueError:  # expired between add() and incr()
            cache.add(key, milliseconds, timeout=WINDOW_SECONDS * 2)


@contextlib.contextmanager
def charge(client: str) -> Iterator[None]:
    """Charge the wall-clock time of the block to `client`, even when it fails."""
    started = perf_counter()
    try:
        yield
    finally:
        spend(client, perf_counter() - started)
