"""Absolute URLs for the links we put in emails."""

from django.conf import settings
from django.urls import reverse

from subscriptions.models import Subscriber
from subscriptions.tokens import make_mailto_token, make_token


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def unsubscribe_url(subscriber: Subscriber) -> str:
    return absolute(reverse("subscriptions:unsubscribe", args=[make_token(subscriber, "unsubscribe")]))


def preferences_url(subscriber: Subscriber) -> str:
    return absolute(reverse("subscriptions:preferences", args=[make_token(subscriber, "preferences")]))


def feedback_url(subscriber: Subscriber, paper_id: int, signal: int) -> str:
    token = make_token(subscriber, "feedback", p=paper_id, v=signal)
    return absolute(reverse("subscriptions:feedback", args=[token]))


def digest_url(subscriber: Subscriber, digest_id: int) -> str:
    return absolute(reverse("digest:view", args=[make_token(subscriber, "digest", d=digest_id)]))


def archive_url(subscriber: Subscriber) -> str:
    return absolute(reverse("subscriptions:archive", args=[make_token(subscriber, "archive")]))


def feed_url(subscriber: Subscriber) -> str:
    return absolute(reverse("subscriptions:feed", args=[make_token(subscriber, "feed")]))


def confirm_url(subscriber: Subscriber) -> str:
    """Opens the address's latest pending request, so a link mailed earlier stays the one to use."""
    return absolute(reverse("subscriptions:confirm", args=[make_token(subscriber, "confirm")]))


def email_change_url(subscriber: Subscriber, *, new_email: str) -> str:
    token = make_token(subscriber, "email_change", e=new_email)
    return absolute(reverse("subscriptions:email_change_confirm", args=[token]))


def unsubscribe_mailto(subscriber: Subscriber) -> str:
    """RFC 2369 mailto unsubscribe, `mailto:unsubscribe+<token>@domain`, or "" when UNSUBSCRIBE_MAILTO is unset.

    The token is in the address, not only the subject, because some clients
    send their unsubscribe mail with a subject of their own. The mailbox's
    inbound webhook hands the mail to subscriptions.webhooks.
    """
    if not settings.UNSUBSCRIBE_MAILTO:
        return ""
    local, _, domain = settings.UNSUBSCRIBE_MAILTO.rpartition("@")
    return f"mailto:{local}+{make_mailto_token(subscriber)}@{domain}?subject=unsubscribe"
