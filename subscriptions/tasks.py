"""Celery tasks of subscriptions: take ids, reload, call one service."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings

from subscriptions.models import PendingChange

logger = logging.getLogger(__name__)

RETRY_SECONDS = 60
MAX_RETRIES = 3


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
    try:
        return services.confirmation_send(subscriber=change.subscriber)
    except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError) as exc:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            # In-process runs cannot wait, and the visitor must not see a mail server error.
            logger.warning("confirmation for pending change %s not sent: %r", change_id, exc)
            return False
        raise self.retry(exc=exc, countdown=RETRY_SECONDS * (self.request.retries + 1)) from exc


@shared_task(bind=True, max_retries=MAX_RETRIES)
def send_links(self, subscriber_id: int) -> bool:
    """Email a fresh preferences link after the reader revoked the old ones."""
    from subscriptions import services
    from subscriptions.models import Subscriber

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    try:
        services.links_send(subscriber=subscriber)
    except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError) as exc:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            logger.warning("new links for subscriber %s not sent: %r", subscriber_id, exc)
            return False
        raise self.retry(exc=exc, countdown=RETRY_SECONDS * (self.request.retries + 1)) from exc
    return True


@shared_task(bind=True, max_retries=MAX_RETRIES)
def send_email_change(self, subscriber_id: int, new_email: str) -> bool:
    """Email the confirm link of a change of address to the new address."""
    from subscriptions import services
    from subscriptions.models import Subscriber

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    try:
        services.email_change_send(subscriber=subscriber, new_email=new_email)
    except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError) as exc:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            logger.warning("address change link for subscriber %s not sent: %r", subscriber_id, exc)
            return False
        raise self.retry(exc=exc, countdown=RETRY_SECONDS * (self.request.retries + 1)) from exc
    return True


@shared_task
def purge_expired_pending_changes() -> list[int]:
    """Daily: delete sign-ups whose confirm link expired (and never-confirmed addresses left with none)."""
    from subscriptions import services

    return list(services.pending_changes_purge())
