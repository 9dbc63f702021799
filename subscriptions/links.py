"""Absolute URLs for the links we put in emails."""

import functools

from django.conf import settings
from django.urls import get_script_prefix, reverse

from subscriptions.models import Subscriber
from subscriptions.tokens import make_mailto_token, make_token


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# A marker in the token's place: tokens are URL-safe base64 and ':', which
# reverse() leaves unquoted, so the reversed route is prefix + token + suffix.
_TOKEN_MARKER = "TOKEN"


@functools.lru_cache(maxsize=64)
def _route(name: str, script_prefix: str) -> tuple[str, str]:
    prefix, _, suffix = reverse(name, args=[_TOKEN_MARKER]).partition(_TOKEN_MARKER)
    return prefix, suffix


def _token_path(name: str, token: str) -> str:
    """reverse(name, args=[token]), resolved once per route: a digest has 13 links and reversing costs more than signing."""
    prefix, suffix = _route(name, get_script_prefix())
    return f"{prefix}{token}{suffix}"


def unsubscribe_url(subscriber: Subscriber) -> str:
    return absolute(_token_path("subscriptions:unsubscribe", make_token(subscriber, "unsubscribe")))


def preferences_url(subscriber: Subscriber) -> str:
    return absolute(_token_path("subscriptions:preferences", make_token(subscriber, "preferences")))


def feedback_url(subscriber: Subscriber, paper_id: int, signal: int) -> str:
    token = make_token(subscriber, "feedback", p=paper_id, v=signal)
    return absolute(_token_path("subscriptions:feedback", token))


def digest_url(subscriber: Subscriber, digest_id: int) -> str:
    return absolute(_token_path("digest:view", make_token(subscriber, "digest", d=digest_id)))


def archive_url(subscriber: Subscriber) -> str:
    return absolute(_token_path("subscriptions:archive", make_token(subscriber, "archive")))


def feed_url(subscriber: Subscriber) -> str:
    return absolute(_token_path("subscriptions:feed", make_token(subscriber, "feed")))


def confirm_url(subscriber: Subscriber) -> str:
    """Opens the address's latest pending request, so a link mailed earlier stays the one to use."""
    return absolute(_token_path("subscriptions:confirm", make_token(subscriber, "confirm")))


def email_change_url(subscriber: Subscriber, *, new_email: str) -> str:
    token = make_token(subscriber, "email_change", e=new_email)
    return absolute(_token_path("subscriptions:email_change_confirm", token))


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
