"""Absolute URLs for the links we put in emails."""

from django.conf import settings
from django.urls import reverse

from subscriptions.models import Subscriber
from subscriptions.tokens import make_token


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


def confirm_url(subscriber: Subscriber, *, change_id: int) -> str:
    return absolute(reverse("subscriptions:confirm", args=[make_token(subscriber, "confirm", c=change_id)]))
