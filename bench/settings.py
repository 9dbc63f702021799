"""Settings for the benchmark's own processes (web server, Celery workers, the driver).

The real settings (the driver points DATABASE_URL, CELERY_BROKER_URL and
CELERY_TASK_DEFAULT_QUEUE at the bench's own database and queue), with the per-IP
rate limit off: every wrk request comes from 127.0.0.1, and a bench of 429
answers measures nothing.
"""

from config.settings import *  # noqa: F401,F403

RATELIMIT_ENABLE = False

# The preview charges its time to each client (subscriptions.preview_budget), and wrk is
# one client: the web stage's wrk script gives each request a visitor address of its own
# in X-Forwarded-For (65,536 of them), so the budget's bookkeeping runs but never refuses.
CLIENT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"
CLIENT_IP_TRUSTED_PROXIES = 1
