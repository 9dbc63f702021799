"""Helpers for tests that run real Celery workers."""


def forget_routes(app) -> None:
    """Celery caches the default queue and routes on first publish; each worker test has its own queue.

    Without this, every test after the first publishes to the first test's queue,
    which no worker consumes any more.
    """
    for name in ("queues", "default_queue", "default_exchange", "router"):
        app.amqp.__dict__.pop(name, None)
    app.amqp._rtable = None
