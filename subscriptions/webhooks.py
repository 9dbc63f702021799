"""Mail provider webhooks (django-anymail): bounces, complaints and mailto unsubscribes.

Anymail serves one tracking and one inbound URL per ESP under /anymail/ (see
config/urls.py: only when ANYMAIL_WEBHOOK_SECRET is set, since the secret is
what keeps strangers from posting fake bounces) and turns each provider's
payload into a normalised event; these receivers map the events onto
subscriber state changes in subscriptions.services.
"""

import logging

from anymail.signals import EventType, RejectReason, inbound, tracking
from django.dispatch import receiver

from subscriptions import services

logger = logging.getLogger(__name__)

# Rejections after which the provider will not try the address again.
_DEAD_ADDRESS = {RejectReason.INVALID, RejectReason.BOUNCED, RejectReason.TIMED_OUT}
# The recipient asked, in one way or another, not to get our mail.
_UNWANTED = {RejectReason.SPAM, RejectReason.UNSUBSCRIBED}


@receiver(tracking, dispatch_uid="paperdigest.tracking")
def on_tracking(sender, event, esp_name, **kwargs) -> None:
    if not event.recipient:
        return
    if event.event_type in (EventType.COMPLAINED, EventType.UNSUBSCRIBED) or event.reject_reason in _UNWANTED:
        changed = services.subscriber_complained(email=event.recipient)
    elif event.event_type == EventType.REJECTED and event.reject_reason in _DEAD_ADDRESS:
        changed = services.subscriber_bounced(email=event.recipient, permanent=True)
    elif event.event_type == EventType.BOUNCED:
        # Providers report soft bounces as "bounced" too (Postmark's SoftBounce): count them.
        changed = services.subscriber_bounced(email=event.recipient, permanent=False)
    else:
        return
    logger.info(
        "%s %s for %s (%s)%s",
        esp_name,
        event.event_type,
        event.recipient,
        event.description or event.mta_response or "",
        " -> stopped" if changed else "",
    )


@receiver(inbound, dispatch_uid="paperdigest.inbound")
def on_inbound(sender, event, esp_name, **kwargs) -> None:
    message = event.message
    recipients = [message.envelope_recipient or ""] + [
        a.addr_spec for a in (message.to or []) + (message.cc or [])
    ]
    subscriber = services.subscriber_unsubscribe_by_mail(recipients=recipients)
    if subscriber is not None:
        logger.info("%s inbound mail unsubscribed subscriber %s", esp_name, subscriber.pk)
