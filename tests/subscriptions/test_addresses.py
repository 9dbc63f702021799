"""One subscriber per mailbox: look-alike spellings are one address, unsafe ones none (issue 15, item 2 and Low)."""

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from subscriptions import services
from subscriptions.addresses import address_key, address_normalize
from subscriptions.models import Subscriber
from tests.factories import DigestFactory, FeedbackFactory, PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

LOOK_ALIKES = [
    "ben@ｅｘａｍｐｌｅ.org",  # full-width domain
    '"ben"@example.org',  # needless quotes
    "BEN@Example.ORG",
    " ben@example.org ",
]


@pytest.mark.parametrize("spelling", LOOK_ALIKES)
def test_it_maps_each_look_alike_to_the_one_canonical_address(spelling):
    assert address_normalize(spelling) == "ben@example.org"


@pytest.mark.parametrize(
    "address",
    [
        "ben@ex\u00adample.org",  # soft hyphen: default-ignorable, invisible
        "b\u200ben@example.org",  # zero-width space
        '"a\x0b\x0bx"@example.org',  # control characters in quotes
        '"a\nb"@example.org',
        '"b en"@example.org',  # needs quotes even after normalising
        "ben@ex\u2028ample.org",  # line separator
        "ben@ex\ufffdample.org",  # replacement character
        "ben@\u05d0a.org",  # bidi rule violation
        "root@localhost",
        "a@[127.0.0.1]",
        "ben@example.test",
        "bén@example.org",  # non-ASCII local part: needs SMTPUTF8
        "a@b.com, c@d.com",
        "",
    ],
)
def test_it_refuses_addresses_we_cannot_mail_safely(address):
    with pytest.raises(ValidationError):
        address_normalize(address)


@pytest.mark.parametrize("spelling", LOOK_ALIKES)
def test_signing_up_with_a_look_alike_reaches_the_existing_subscriber(
    client, signup_data, spelling, django_capture_on_commit_callbacks
):
    SubscriberFactory(email="ben@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/", {**signup_data, "email": spelling})
    assert response.status_code == 200 and b"Check your inbox" in response.content
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["ben@example.org"]
    assert mail.outbox[0].to == ["ben@example.org"]


@pytest.mark.parametrize(
    "address",
    ['"a\x0b\x0bx"@example.org', "ben@ex\u2028ample.org", "ben@ex\ufffdample.org", "ben@\u05d0a.org"],
)
def test_the_form_answers_unsafe_addresses_with_an_error_not_a_500(client, signup_data, address):
    response = client.post("/", {**signup_data, "email": address})
    assert response.status_code == 200
    assert b"Enter a valid email address." in response.content
    assert not Subscriber.objects.exists()


def test_a_complaint_for_the_real_address_stops_a_row_saved_in_another_spelling():
    subscriber = SubscriberFactory(email="ben@ｅｘａｍｐｌｅ.org")  # save() stores the canonical form
    assert subscriber.email == "ben@example.org"
    assert services.subscriber_complained(email='"Ben"@EXAMPLE.org')
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_a_bounce_with_an_unparseable_address_still_finds_nothing_without_failing():
    SubscriberFactory(email="ben@example.org")
    assert not services.subscriber_bounced(email="not an address", permanent=True)
    assert address_key("Not An Address ") == "not an address"


def _admin_add_form(email: str) -> dict:
    """The admin's "add subscriber" form with this address, defaults elsewhere and no inline rows."""
    return {
        "email": email,
        "status": "active",
        "timezone": "UTC",
        "send_hour": 7,
        "frequency": "daily",
        "weekly_day": 0,
        "digest_size": 5,
        "threshold": 0.0,
        "threshold_mode": "recommended",
        "trending_size": 3,
        "bounce_count": 0,
        "links_version": 0,
        **{
            f"{prefix}-{key}": value
            for prefix in ("profile", "status_changes", "consents")
            for key, value in {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0}.items()
        },
    }


def test_the_admin_refuses_a_look_alike_of_an_existing_address(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    SubscriberFactory(email="ben@example.org")
    data = _admin_add_form("ben@ｅｘａｍｐｌｅ.org")
    response = client.post(reverse("admin:subscriptions_subscriber_add"), data)
    assert response.status_code == 200
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    assert any("subscriber_email_unique_ci" in error for error in errors)
    assert Subscriber.objects.count() == 1


def test_the_admin_stores_a_new_address_in_canonical_form(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    data = _admin_add_form('"Ben"@ＥＸＡＭＰＬＥ.org')
    response = client.post(reverse("admin:subscriptions_subscriber_add"), data)
    assert response.status_code == 302, response.content[:2000]
    assert Subscriber.objects.get().email == "ben@example.org"


# --- the data migration -------------------------------------------------------

merge = importlib.import_module("subscriptions.migrations.0006_canonical_addresses").merge


def _raw(subscriber: Subscriber, email: str) -> Subscriber:
    """Store an address as it was before normalisation (save() would canonicalise it)."""
    Subscriber.objects.filter(pk=subscriber.pk).update(email=email)
    subscriber.refresh_from_db()
    return subscriber


def test_the_migration_merges_look_alikes_into_the_oldest_confirmed_row():
    now = timezone.now()
    pending_oldest = _raw(SubscriberFactory(status="pending", confirmed_at=None), '"ben"@example.org')
    Subscriber.objects.filter(pk=pending_oldest.pk).update(created_at=now - timedelta(days=9))
    confirmed = _raw(SubscriberFactory(send_hour=9), "ben@ｅｘａｍｐｌｅ.org")
    Subscriber.objects.filter(pk=confirmed.pk).update(created_at=now - timedelta(days=5))
    newer = _raw(SubscriberFactory(), "Ben@Example.org")
    today = DigestFactory(subscriber=confirmed)
    moved = DigestFactory(subscriber=newer, edition_date=today.edition_date - timedelta(days=1))
    clash = DigestFactory(subscriber=newer, edition_date=today.edition_date)
    paper = PaperFactory()
    FeedbackFactory(subscriber=newer, paper=paper)
    other = SubscriberFactory(email="ada@example.org")

    merge(apps, None)

    survivor = Subscriber.objects.get(email="ben@example.org")
    assert survivor.pk == confirmed.pk and survivor.send_hour == 9
    assert set(Subscriber.objects.values_list("pk", flat=True)) == {confirmed.pk, other.pk}
    assert set(survivor.digests.values_list("pk", flat=True)) == {today.pk, moved.pk}
    assert not survivor.digests.filter(pk=clash.pk).exists()
    assert survivor.feedback.get().paper == paper
    assert survivor.status == Subscriber.Status.ACTIVE


def test_the_migration_keeps_a_complaint_made_on_any_spelling():
    confirmed = _raw(SubscriberFactory(), "ben@ｅｘａｍｐｌｅ.org")
    complained = _raw(
        SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now()),
        "ben@example.org",
    )
    Subscriber.objects.filter(pk=complained.pk).update(created_at=timezone.now() + timedelta(days=1))

    merge(apps, None)

    survivor = Subscriber.objects.get()
    assert survivor.pk == confirmed.pk
    assert (survivor.email, survivor.status) == ("ben@example.org", Subscriber.Status.UNSUBSCRIBED)
    assert survivor.unsubscribed_at is not None
