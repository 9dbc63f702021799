"""Signed, purpose-scoped links that need no password.

Each token names its purpose (a different salt per purpose, so an unsubscribe
token can never confirm an address) and carries a hash of the subscriber state
that the purpose depends on: once that state changes the token stops working.
Anchor: django.contrib.auth.tokens.PasswordResetTokenGenerator._make_hash_value.

Every MAC is checked against SECRET_KEY and then SECRET_KEY_FALLBACKS, as
Django's own signer does, so the key can be rotated without breaking the links
in mail already sent: new links use the new key, old ones keep working until
the old key leaves the fallbacks.
"""

import functools
import hashlib
import hmac

from django.conf import settings
from django.core import signing
from django.utils.encoding import force_bytes

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


# Links that manage a subscription or act for the reader, which the reader can
# revoke (Subscriber.links_version). Unsubscribe links stay valid: mail already
# sent must keep its working unsubscribe (RFC 8058, bulk-sender rules).
REVOCABLE = {"preferences", "feedback", "digest"}
# A mailto token is "<pk>-<mac>"; nothing longer can be ours.
_MAILTO_MAX_CHARS = 64


def _secrets() -> list[str]:
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def _state_parts(subscriber: Subscriber, purpose: str) -> str:
    parts = [str(subscriber.pk), subscriber.email]
    if purpose == "confirm":
        # A confirm link is single-use: confirming changes status and confirmed_at.
        parts += [subscriber.status, str(subscriber.confirmed_at), str(subscriber.updated_at)]
    if purpose in REVOCABLE and subscriber.links_version:
        # Only once raised, so links mailed before revocation existed keep their hash.
        parts.append(f"v{subscriber.links_version}")
    return "|".join(parts)


@functools.lru_cache(maxsize=1024)
def _mac(secret: str, text: str) -> str:
    # A digest's 13 links share the subscriber's state: its MAC is computed once, not 13 times.
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=64)
def _keyed_hmac(salt: str, key: str | bytes, algorithm: str) -> "hmac.HMAC":
    """django.utils.crypto.salted_hmac's derived key, keyed once per (salt, secret) in a process."""
    hasher = getattr(hashlib, algorithm)
    return hmac.new(hasher(force_bytes(salt) + force_bytes(key)).digest(), digestmod=hasher)


class _Signer(signing.TimestampSigner):
    """Django's TimestampSigner with the derived key computed once per process, not per signature.

    Signatures are byte-for-byte Django's (the tests compare them), and the
    key passed in still comes from SECRET_KEY or SECRET_KEY_FALLBACKS on each
    call, so rotating the key or a settings override takes effect at once.
    """

    def signature(self, value, key=None):
        mac = _keyed_hmac(self.salt + "signer", key or self.key, self.algorithm).copy()
        mac.update(force_bytes(value))
        return signing.b64_encode(mac.digest()).decode()


def _state(subscriber: Subscriber, purpose: str, secret: str | None = None) -> str:
    return _mac(secret or settings.SECRET_KEY, _state_parts(subscriber, purpose))[:16]


def _state_matches(value: str, subscriber: Subscriber, purpose: str) -> bool:
    return any(hmac.compare_digest(value, _state(subscriber, purpose, secret)) for secret in _secrets())


def make_token(subscriber: Subscriber, purpose: str, **payload) -> str:
    if purpose not in MAX_AGE:
        raise ValueError(f"unknown token purpose {purpose!r}")
    data = {"s": subscriber.pk, "h": _state(subscriber, purpose), **payload}
    return _Signer(salt=f"paperdigest.{purpose}").sign_object(data, compress=True)


def read_token(token: str, purpose: str) -> tuple[Subscriber, dict]:
    try:
        data = _Signer(salt=f"paperdigest.{purpose}").unsign_object(token, max_age=MAX_AGE[purpose])
    except (signing.BadSignature, ValueError, KeyError):
        raise BadToken() from None
    if not isinstance(data, dict):
        raise BadToken()
    pk = data.get("s")
    subscriber = Subscriber.objects.filter(pk=pk).first() if isinstance(pk, int) and pk > 0 else None
    if subscriber is None or not _state_matches(str(data.get("h")), subscriber, purpose):
        raise BadToken()
    return subscriber, data


# The mailto unsubscribe token rides in an address's local part
# (unsubscribe+<token>@domain), which must stay under 64 characters and may be
# lower-cased on the way: so a short, lower-case HMAC, not a signed object.
_MAILTO_SALT = "paperdigest.unsubscribe-mailto"


def _mailto_mac(subscriber: Subscriber, secret: str | None = None) -> str:
    secret = secret or settings.SECRET_KEY
    return _mac(secret, f"{_MAILTO_SALT}|{_state(subscriber, 'unsubscribe', secret)}")[:24]


def make_mailto_token(subscriber: Subscriber) -> str:
    return f"{subscriber.pk}-{_mailto_mac(subscriber)}"


def read_mailto_token(token: str) -> Subscriber:
    token = token.strip().lower()
    if len(token) > _MAILTO_MAX_CHARS:
        # A 5,000-digit "pk" is no row of ours (and overflows the database's integers).
        raise BadToken()
    pk, _, mac = token.partition("-")
    subscriber = Subscriber.objects.filter(pk=int(pk)).first() if pk.isascii() and pk.isdigit() else None
    if subscriber is None or not any(
        hmac.compare_digest(mac, _mailto_mac(subscriber, secret)) for secret in _secrets()
    ):
        raise BadToken()
    return subscriber
