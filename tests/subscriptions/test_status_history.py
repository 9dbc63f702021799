"""Every change of a subscriber's status is recorded, whichever code path makes it."""

import pytest
from django.urls import reverse

from subscriptions import services
from subscriptions.models import PendingChange, Subscriber, SubscriberStatusChange
from tests.factories import SubscriberFactory
from tests.subscriptions.helpers import SIGNUP_DATA

pytestmark = [pytest.mark.django_db, pytest.mark.real_clock]  # changed_at is PostgreSQL's clock_timestamp()


def _steps(subscriber) -> list[tuple[str, str]]:
    return list(
        SubscriberStatusChange.objects.filter(subscriber=subscriber).values_list("previous_status", "status")
    )


def test_it_records_each_transition_the_services_make(django_capture_on_commit_callbacks):
    change = services.subscriber_signup(email="ada@example.org", data=SIGNUP_DATA)
    subscriber = change.subscriber
    subscriber = services.subscriber_confirm(subscriber=subscriber, change=change)
    services.subscriber_pause(subscriber=subscriber)
    services.subscriber_resume(subscriber=subscriber)
    services.subscriber_unsubscribe(subscriber=subscriber)
    services.subscriber_resubscribe(subscriber=subscriber)

    assert _steps(subscriber) == [
        ("", "pending"),
        ("pending", "active"),
        ("active", "paused"),
        ("paused", "active"),
        ("active", "unsubscribed"),
        ("unsubscribed", "active"),
    ]
    changed = list(SubscriberStatusChange.objects.values_list("changed_at", flat=True))
    assert changed == sorted(changed)


def test_it_records_bulk_updates_like_the_admin_action_and_the_bounce_handler(admin_client):
    readers = SubscriberFactory.create_batch(2)
    admin_client.post(
        reverse("admin:subscriptions_subscriber_changelist"),
        {"action": "pause", "_selected_action": [readers[0].pk]},
    )
    Subscriber.objects.filter(pk=readers[1].pk).update(status=Subscriber.Status.BOUNCED)

    assert _steps(readers[0]) == [("", "active"), ("active", "paused")]
    assert _steps(readers[1]) == [("", "active"), ("active", "bounced")]


def test_it_records_nothing_when_the_status_stays_the_same():
    reader = SubscriberFactory()
    reader.send_hour = 9
    reader.save()
    services.subscriber_resume(subscriber=reader)  # not paused: no change
    Subscriber.objects.filter(pk=reader.pk).update(status=Subscriber.Status.ACTIVE)

    assert _steps(reader) == [("", "active")]


def test_deleting_my_data_deletes_my_history():
    reader = SubscriberFactory()
    PendingChange.objects.create(subscriber=reader, data=SIGNUP_DATA)
    services.subscriber_pause(subscriber=reader)

    services.subscriber_delete(subscriber=reader)

    assert not SubscriberStatusChange.objects.exists()


def test_the_migration_rebuilds_a_history_from_the_dated_fields():
    import importlib
    from datetime import timedelta

    from django.apps import apps
    from django.utils import timezone

    migration = importlib.import_module("subscriptions.migrations.0004_status_history")
    now = timezone.now()
    gone = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)
    Subscriber.objects.filter(pk=gone.pk).update(
        created_at=now - timedelta(days=3),
        confirmed_at=now - timedelta(days=2),
        unsubscribed_at=now - timedelta(days=1),
    )
    waiting = SubscriberFactory(status=Subscriber.Status.PENDING, confirmed_at=None)
    bounced = SubscriberFactory(status=Subscriber.Status.BOUNCED)
    SubscriberStatusChange.objects.all().delete()

    migration.backfill(apps, None)

    assert _steps(gone) == [("", "pending"), ("pending", "active"), ("active", "unsubscribed")]
    assert _steps(waiting) == [("", "pending")]
    assert _steps(bounced) == [("", "pending"), ("pending", "active"), ("active", "bounced")]
    days = [c.changed_at for c in SubscriberStatusChange.objects.filter(subscriber=gone).order_by("id")]
    assert days == [now - timedelta(days=3), now - timedelta(days=2), now - timedelta(days=1)]
