"""Helpers for tests that run real Celery workers, and for waiting on what they do."""

import time


def forget_routes(app) -> None:
    """Celery caches the default queue and routes on first publish; each worker test has its own queue.

    Without this, every test after the first publishes to the first test's queue,
    which no worker consumes any more.
    """
    for name in ("queues", "default_queue", "default_exchange", "router"):
        app.amqp.__dict__.pop(name, None)
    app.amqp._rtable = None


def wait_for(predicate, *, timeout: float, interval: float = 0.05) -> bool:
    """Poll `predicate` until it holds or `timeout` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
