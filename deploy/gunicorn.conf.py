"""gunicorn settings for the web service: `gunicorn -c deploy/gunicorn.conf.py config.wsgi:application`.

Read by the Dockerfile's CMD and docker-compose.yml's web service. Every value can be
overridden from the environment (GUNICORN_*), so an operator tunes the web tier in .env.
https://docs.gunicorn.org/en/stable/settings.html
"""

import os
import threading

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# A worker silent for this long is killed and replaced. Each worker loads the embedding
# model and the day's papers before it accepts requests (post_worker_init below, with a
# heartbeat); a request never pays for that, and 60 s leaves room for a slow disk.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# On SIGTERM (docker compose stop, a deploy) requests in flight get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Behind Caddy (the proxy profile) connections are reused; longer than the default 2 s.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# The heartbeat file on tmpfs: in Docker /tmp may be an overlay that stalls under I/O,
# which gunicorn would read as a hung worker.
worker_tmp_dir = "/dev/shm"

# GUNICORN_ACCESS_LOG="" turns the access log off (the benchmark's wrk runs would be mostly logging).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# Token links carry their secret in the path: the log shows "<token>" instead.
logger_class = "config.access_log.RedactingLogger"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The combined format plus the client address Caddy forwards (%(h)s is the proxy's)
# and the time taken in milliseconds.
access_log_format = (
    '%(h)s %({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
)


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
