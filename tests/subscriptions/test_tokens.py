import hashlib
import hmac
import re

import pytest
from django.conf import settings as django_settings
from django.core import mail, signing
from django.urls import reverse

from subscriptions import services
from subscriptions.models import PendingChange, Subscriber
from subscriptions.tokens import (
    REVOCABLE,
    BadToken,
    make_mailto_token,
    make_token,
    read_mailto_token,
    read_token,
)
from tests.factories import SubscriberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def test_a_confirm_token_stops_working_once_the_change_is_applied():
    subscriber = SubscriberFactory(status=Subscriber.Status.PENDING, confirmed_at=None)
    change = PendingChange.objects.create(subscriber=subscriber, data={"interests": "Molecules"})
    token = make_token(subscriber, "confirm", c=change.pk)
    assert read_token(token, "confirm")[1]["c"] == change.pk
    services.subscriber_confirm(subscriber=subscriber, change=change)
    with pytest.raises(BadToken):
        read_token(token, "confirm")


def test_a_preferences_token_survives_changes_but_not_deletion():
    subscriber = SubscriberFactory()
    token = make_token(subscriber, "preferences")
    services.subscriber_pause(subscriber=subscriber)
    assert read_token(token, "preferences")[0] == subscriber
    services.subscriber_delete(subscriber=subscriber)
    with pytest.raises(BadToken):
        read_token(token, "preferences")


@pytest.mark.parametrize("purpose", ["unsubscribe", "feedback"])
def test_tokens_are_djangos_own_signatures(settings, purpose):
    """The per-process key cache changes no byte: Django's signer reads our tokens and we read its."""
    subscriber = SubscriberFactory()
    signer = signing.TimestampSigner(salt=f"paperdigest.{purpose}")
    ours = make_token(subscriber, purpose, p=7, v=1)
    assert signer.unsign_object(ours)["s"] == subscriber.pk
    theirs = signer.sign_object(signing.loads(ours, salt=f"paperdigest.{purpose}"), compress=True)
    assert read_token(theirs, purpose)[1]["p"] == 7

    settings.SECRET_KEY = (
        "another-key-" + "y" * 50
    )  # the cache is keyed by the key: nothing signed with the old one
    rotated = make_token(subscriber, purpose, p=7, v=1)
    with pytest.raises(signing.BadSignature):
        signer.unsign_object(rotated)
    assert signing.TimestampSigner(salt=f"paperdigest.{purpose}").unsign_object(rotated)["p"] == 7


# --- key rotation -------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["unsubscribe", "preferences", "feedback", "digest"])
def test_links_signed_with_a_retired_key_work_while_it_is_a_fallback(settings, purpose):
    subscriber = SubscriberFactory()
    old_key = settings.SECRET_KEY
    token = make_token(subscriber, purpose, p=1, v=1, d=1)
    mailto = make_mailto_token(subscriber)

    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert read_token(token, purpose)[0] == subscriber
    assert read_mailto_token(mailto) == subscriber

    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(BadToken):
        read_token(token, purpose)
    with pytest.raises(BadToken):
        read_mailto_token(mailto)


# --- revocation -----------------------------------------------------------------


def test_revoking_stops_management_links_but_not_unsubscribe_links(
    client, django_capture_on_commit_callbacks
):
    subscriber = SubscriberFactory()
    old = {purpose: make_token(subscriber, purpose, p=1, v=1, d=1) for purpose in REVOCABLE | {"unsubscribe"}}
    mailto = make_mailto_token(subscriber)

    response = client.post(reverse("subscriptions:revoke_links", args=[old["preferences"]]))

    assert response.status_code == 200
    for purpose in REVOCABLE:
        with pytest.raises(BadToken):
            read_token(old[purpose], purpose)
    assert read_token(old["unsubscribe"], "unsubscribe")[0] == subscriber
    assert read_mailto_token(mailto) == subscriber
    # The owner gets a fresh preferences link by mail, and it works.
    (message,) = mail.outbox
    assert message.to == [subscriber.email]
    fresh = re.search(r"/preferences/([^/\s]+)/", message.body).group(1)
    assert client.get(reverse("subscriptions:preferences", args=[fresh])).status_code == 200


def test_links_mailed_before_revocation_existed_keep_working():
    """Raising links_version from 0 is what changes a hash: old links were made without it."""
    subscriber = SubscriberFactory()
    assert subscriber.links_version == 0
    legacy_state = hmac.new(
        django_settings.SECRET_KEY.encode(), f"{subscriber.pk}|{subscriber.email}".encode(), hashlib.sha256
    ).hexdigest()[:16]
    token = signing.TimestampSigner(salt="paperdigest.preferences").sign_object(
        {"s": subscriber.pk, "h": legacy_state}, compress=True
    )
    assert read_token(token, "preferences")[0] == subscriber


@pytest.mark.parametrize("token", ["9" * 5000 + "-" + "0" * 24, "٣-" + "0" * 24, "-", ""])
def test_an_absurd_mailto_token_is_just_not_ours(token):
    with pytest.raises(BadToken):
        read_mailto_token(token)
