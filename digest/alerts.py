"""Failures that reach the operator by email: a failed daily run or ingest mails settings.ADMINS.

Nobody watches /ops/runs/ at three in the morning. With ADMINS empty (the default) nothing
is sent; Sentry, when configured, gets the same failures through the ERROR log records.
"""

import logging

from django.conf import settings
from django.core.mail import mail_admins
from django.urls import reverse

logger = logging.getLogger(__name__)


def admins_alert(*, subject: str, body: str) -> None:
    """Mail the admins; a broken mail relay is logged, never raised over the failure being reported."""
    if not settings.ADMINS:
        return
    link = f"{settings.SITE_URL}{reverse('ops:runs')}"
    try:
        mail_admins(subject, f"{body}\n\nRuns and ingests: {link}\n")
    except Exception:
        logger.exception("could not mail the admins about: %s", subject)
