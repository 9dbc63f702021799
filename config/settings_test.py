"""Test settings: the real settings, with fast hashing and in-memory mail.

DATABASE_URL and CELERY_BROKER_URL still apply, so `.ci/run` runs the suite on
PostgreSQL and the real-worker tests on Redis. Tests that want the outbox or a
real SMTP server override EMAIL_BACKEND themselves.
"""

from config.settings import *  # noqa: F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Eager unless a test starts a real worker (see tests/conftest.py::celery_worker).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SITE_URL = "http://testserver"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's default shared-cache in-memory database: shared cache
    # locks whole tables and fails concurrent writers at once ("database table is
    # locked"), where a file database makes them wait on the busy timeout, as in
    # production. Tests that race two writers (tests/reliability) need that.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-paperdigest.sqlite3")}
# Serve the anymail webhooks (config/urls.py), behind this basic-auth secret.
ANYMAIL = {**ANYMAIL, "WEBHOOK_SECRET": "anymail:webhook-secret"}
