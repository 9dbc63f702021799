"""Signed, purpose-scoped links that need no password.

Each token names its purpose (a different salt per purpose, so an unsubscribe
token can never confirm an address) and carries a hash of the subscriber state
that the purpose depends on: once that state changes the token stops working.
Anchor: django.contrib.auth.tokens.PasswordResetTokenGenerator._make_hash_value.
"""

import hashlib
import hmac

from django.conf import settings
from django.core import signing

from subscriptions.models import Subscriber

# Confirm links expire; links in digests must work for as long as people keep the email.
MAX_AGE = {
    "confirm": 3 * 24 * 3600,
    # Sent to a new address; the address is in the state hash, so the link dies once used.
    "email_change": 3 * 24 * 3600,
    "unsubscribe": None,
    "preferences": None,
    "feedback": None,
    "digest": None,
    # Read-only: the archive page, and the Atom feed (its URL lives in feed readers, so it
    # has a purpose of its own and can never open the preferences).
    "archive": None,
    "feed": None,
}


class BadToken(Exception):
    """Forged, expired, used, or for another purpose: all look the same to the visitor."""


def _state(subscriber: Subscriber, purpose: str) -> str:
    parts = [str(subscriber.pk), subscriber.email]
    if purpose == "confirm":
        # A confirm link is single-use: confirming changes status and confirmed_at.
        parts += [subscriber.status, str(subscriber.confirmed_at), str(subscriber.updated_at)]
    digest = hmac.new(settings.SECRET_KEY.encode(), "|".join(parts).encode(), hashlib.sha256).hexdigest()
    return digest[:16]


def make_token(subscriber: Subscriber, purpose: str, **payload) -> str:
    if purpose not in MAX_AGE:
        raise ValueError(f"unknown token purpose {purpose!r}")
    data = {"s": subscriber.pk, "h": _state(subscriber, purpose), **payload}
    return signing.TimestampSigner(salt=f"paperdigest.{purpose}").sign_object(data, compress=True)


def read_token(token: str, purpose: str) -> tuple[Subscriber, dict]:
    try:
        data = signing.TimestampSigner(salt=f"paperdigest.{purpose}").unsign_object(
            token, max_age=MAX_AGE[purpose]
        )
    except (signing.BadSignature, ValueError, KeyError):
        raise BadToken() from None
    if not isinstance(data, dict):
        raise BadToken()
    subscriber = Subscriber.objects.filter(pk=data.get("s")).first()
    if subscriber is None or not hmac.compare_digest(str(data.get("h")), _state(subscriber, purpose)):
        raise BadToken()
    return subscriber, data


# The mailto unsubscribe token rides in an address's local part
# (unsubscribe+<token>@domain), which must stay under 64 characters and may be
# lower-cased on the way: so a short, lower-case HMAC, not a signed object.
_MAILTO_SALT = "paperdigest.unsubscribe-mailto"


def _mailto_mac(subscriber: Subscriber) -> str:
    text = f"{_MAILTO_SALT}|{_state(subscriber, 'unsubscribe')}"
    return hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()[:24]


def make_mailto_token(subscriber: Subscriber) -> str:
    return f"{subscriber.pk}-{_mailto_mac(subscriber)}"


def read_mailto_token(token: str) -> Subscriber:
    pk, _, mac = token.strip().lower().partition("-")
    subscriber = Subscriber.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    if subscriber is None or not hmac.compare_digest(mac, _mailto_mac(subscriber)):
        raise BadToken()
    return subscriber
