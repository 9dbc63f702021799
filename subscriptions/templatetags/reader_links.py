"""Template tags for the reader's pages: signed links onward and the next send time.

Pages that only get a subscriber (confirmed, resubscribed, unsubscribed) use
these to say what happens next and where to go, without every view building
the same links.
"""

from django import template
from django.utils import timezone

from subscriptions import links, selectors
from subscriptions.models import Subscriber

register = template.Library()


@register.simple_tag
def preferences_url(subscriber: Subscriber) -> str:
    return links.preferences_url(subscriber)


@register.simple_tag
def archive_url(subscriber: Subscriber) -> str:
    return links.archive_url(subscriber)


@register.simple_tag
def next_send(subscriber: Subscriber) -> str:
    """ "Thu 07:00 Berlin", or "" when no digest is due (paused, unsubscribed)."""
    when = selectors.subscriber_next_send(subscriber=subscriber, now=timezone.now())
    return selectors.next_send_label(when) if when else ""
