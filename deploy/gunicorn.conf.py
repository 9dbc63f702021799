"""gunicorn settings for the web service: `gunicorn -c deploy/gunicorn.conf.py config.wsgi:application`.

Read by the Dockerfile's CMD and docker-compose.yml's web service. Every value can be
overridden from the environment (GUNICORN_*), so an operator tunes the web tier in .env.
https://docs.gunicorn.org/en/stable/settings.html
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# A worker silent for this long is killed and replaced. The first request that needs
# the embedding model (the sign-up page's live preview) loads it, which took 8-28 s on a
# cold container (issue 18); gunicorn's default of 30 s would kill slow starts.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# On SIGTERM (docker compose stop, a deploy) requests in flight get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Behind Caddy (the proxy profile) connections are reused; longer than the default 2 s.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# The heartbeat file on tmpfs: in Docker /tmp may be an overlay that stalls under I/O,
# which gunicorn would read as a hung worker.
worker_tmp_dir = "/dev/shm"

accesslog = "-"
# Token links carry their secret in the path: the log shows "<token>" instead.
logger_class = "config.access_log.RedactingLogger"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The combined format plus the client address Caddy forwards (%(h)s is the proxy's)
# and the time taken in milliseconds.
access_log_format = (
    '%(h)s %({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
)

# Model warm-up (preload_app, post_fork and friends) belongs below this line; it is
# owned by the performance work, not by this deployment file.
