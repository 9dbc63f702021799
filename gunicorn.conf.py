"""Gunicorn settings for the web process: `gunicorn -c gunicorn.conf.py config.wsgi:application`.

Gunicorn also reads ./gunicorn.conf.py on its own when started from the project
root. Command-line flags (--workers, --bind, ...) still override what is here.
"""

import threading


def post_worker_init(worker) -> None:
    """Warm each worker before it accepts requests: the first visitor waits no longer than the second.

    Loading the model and the day's papers takes seconds (more on a busy
    machine) and the arbiter kills a worker that stays silent for `timeout`
    seconds, so a heartbeat runs while the warm-up does.
    """
    from digest.warmup import web_warm_up

    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(1.0):
            worker.notify()

    beat = threading.Thread(target=heartbeat, name="warm-up-heartbeat", daemon=True)
    beat.start()
    try:
        web_warm_up()
    except Exception:  # noqa: BLE001 - a failed warm-up must not stop the worker; the first preview loads cold
        worker.log.exception("web warm-up failed; the first preview will load the model itself")
    finally:
        done.set()
        beat.join()
