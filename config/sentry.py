"""Optional error reporting through Sentry's SDK (or any Sentry-compatible service, e.g. GlitchTip).

Off unless SENTRY_DSN is set. With it, the SDK's Django and Celery integrations (enabled
automatically when those packages are installed) report unhandled exceptions in views and
tasks, and ERROR log records become events. No personal data is sent: subscribers' addresses
and interests stay out of reports (send_default_pii=False).
https://docs.sentry.io/platforms/python/integrations/django/
"""

import sentry_sdk


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
    )
