"""Celery tasks of subscriptions: take ids, reload, call one service."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings

from subscriptions.models import PendingChange

logger = logging.getLogger(__name__)

RETRY_SECONDS = 60
MAX_RETRIES = 3


# A mail server that is down or busy: worth another try later.
TRANSIENT = (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError)


def _mail_or_retry(task, send, what: str) -> bool:
    """Send one email through `send()`; on a transient failure retry the task with a growing wait."""
    try:
        return send()
    except TRANSIENT as exc:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            # In-process runs cannot wait, and the visitor must not see a mail server error.
            logger.warning("%s not sent: %r", what, exc)
            return False
        raise task.retry(exc=exc, countdown=RETRY_SECONDS * (task.request.retries + 1)) from exc


@shared_task(bind=True, max_retries=MAX_RETRIES)
def send_confirmation(self, subscriber_id: int, change_id: int) -> bool:
    """Email the confirm link of one pending change; False when there was nothing to send."""
    from subscriptions import services

    change = (
        PendingChange.objects.select_related("subscriber")
        .filter(pk=change_id, subscriber_id=subscriber_id)
        .first()
    )
    if change is None:
        # Confirmed through an earlier link, or the address was deleted meanwhile.
        return False
    return _mail_or_retry(
        self,
        lambda: services.confirmation_send(subscriber=change.subscriber),
        f"confirmation for pending change {change_id}",
    )


@shared_task(bind=True, max_retries=MAX_RETRIES)
def send_links(self, subscriber_id: int) -> bool:
    """Email a fresh preferences link after the reader revoked the old ones."""
    from subscriptions import services
    from subscriptions.models import Subscriber

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    return _mail_or_retry(
        self,
        lambda: services.links_send(subscriber=subscriber) or True,
        f"new links for subscriber {subscriber_id}",
    )


@shared_task(bind=True, max_retries=MAX_RETRIES)
def send_email_change(self, subscriber_id: int, new_email: str) -> bool:
    """Email the confirm link of a change of address to the new address."""
    from subscriptions import services
    from subscriptions.models import Subscriber

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    return _mail_or_retry(
        self,
        lambda: services.email_change_send(subscriber=subscriber, new_email=new_email) or True,
        f"address change link for subscriber {subscriber_id}",
    )


@shared_task
def purge_expired_pending_changes() -> list[int]:
    """Daily: delete sign-ups whose confirm link expired (and never-confirmed addresses left with none)."""
    from subscriptions import services

    return list(services.pending_changes_purge())
