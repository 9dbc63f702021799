"""Delete-my-data deletes everything, the export shows everything (issue 15 Low, issue 18 consent)."""

import importlib
import json

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from subscriptions import links
from subscriptions.models import ConsentRecord, Subscriber, TopicProfile
from tests.factories import DigestFactory, SubscriberFactory
from tests.subscriptions.helpers import path_of

pytestmark = pytest.mark.django_db


def _token(subscriber):
    return path_of(links.preferences_url(subscriber)).split("/")[2]


def _log(user, obj):
    return LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[obj],
        action_flag=CHANGE,
        change_message=f"Changed {obj}",
        single_object=True,
    )


def test_deleting_my_data_also_deletes_the_admins_history_of_it(client, django_user_model):
    staff = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    subscriber = SubscriberFactory(email="ada@example.org")
    other = SubscriberFactory(email="bob@example.org")
    for obj in (
        subscriber,
        TopicProfile.objects.get(subscriber=subscriber),
        DigestFactory(subscriber=subscriber),
        other,
    ):
        _log(staff, obj)

    response = client.post(reverse("subscriptions:delete", args=[_token(subscriber)]), {"confirm": "on"})

    assert response.status_code == 200
    assert not Subscriber.objects.filter(email="ada@example.org").exists()
    assert [entry.object_repr for entry in LogEntry.objects.all()] == ["bob@example.org"]
    assert LogEntry.objects.get().content_type == ContentType.objects.get_for_model(Subscriber)


def test_the_export_holds_threshold_bounces_delivery_details_and_consent(client):
    subscriber = SubscriberFactory(threshold=0.4, bounce_count=2)
    DigestFactory(
        subscriber=subscriber, status="failed", last_error="550 mailbox full", message_id="<m1@example.org>"
    )
    consent = ConsentRecord.objects.create(
        subscriber=subscriber,
        form="signup",
        requested_at=subscriber.created_at,
        requested_ip="203.0.113.5",
        confirmed_at=subscriber.confirmed_at,
        confirmed_ip="198.51.100.2",
    )

    data = json.loads(client.get(reverse("subscriptions:export", args=[_token(subscriber)])).content)

    assert (data["threshold"], data["bounce_count"]) == (0.4, 2)
    assert data["digests"][0]["last_error"] == "550 mailbox full"
    assert data["digests"][0]["message_id"] == "<m1@example.org>"
    assert data["consent"] == [
        {
            "form": "signup",
            "requested_at": consent.requested_at.isoformat(),
            "requested_ip": "203.0.113.5",
            "confirmed_at": consent.confirmed_at.isoformat(),
            "confirmed_ip": "198.51.100.2",
        }
    ]


def test_readers_who_confirmed_before_consent_records_get_one_from_what_we_know():
    backfill = importlib.import_module("subscriptions.migrations.0007_backfill_consent").backfill
    old = SubscriberFactory()
    never = SubscriberFactory(status=Subscriber.Status.PENDING, confirmed_at=None)
    recorded = SubscriberFactory()
    ConsentRecord.objects.create(
        subscriber=recorded,
        form="signup",
        requested_at=recorded.created_at,
        confirmed_at=recorded.confirmed_at,
    )

    backfill(apps, None)

    consent = ConsentRecord.objects.get(subscriber=old)
    assert (consent.requested_at, consent.confirmed_at) == (old.created_at, old.confirmed_at)
    assert consent.requested_ip is None and "before consent records" in consent.form
    assert not ConsentRecord.objects.filter(subscriber=never).exists()
    assert ConsentRecord.objects.filter(subscriber=recorded).count() == 1
