"""Housekeeping of sign-ups: pending changes whose confirm link expired are deleted daily."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from config.celery import app
from subscriptions.models import PendingChange, Subscriber, TopicProfile
from subscriptions.tasks import purge_expired_pending_changes
from subscriptions.tokens import MAX_AGE
from tests.factories import SubscriberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]

EXPIRED = timedelta(seconds=MAX_AGE["confirm"], hours=1)


def _change(subscriber, *, age: timedelta) -> PendingChange:
    with time_machine.travel(timezone.now() - age):
        return PendingChange.objects.create(subscriber=subscriber, data={"interests": "Protein folding"})


def _pending_address(email, *, age: timedelta) -> Subscriber:
    with time_machine.travel(timezone.now() - age):
        return Subscriber.objects.create(email=email, status=Subscriber.Status.PENDING)


def test_it_is_on_the_beat_schedule():
    entry = app.conf.beat_schedule["purge-expired-sign-ups"]

    assert entry["task"] == purge_expired_pending_changes.name


def test_it_deletes_expired_changes_and_keeps_live_ones():
    reader = SubscriberFactory()
    expired = _change(reader, age=EXPIRED)
    live = _change(reader, age=timedelta(days=1))

    assert purge_expired_pending_changes.delay().get() == [1, 0]

    assert list(PendingChange.objects.values_list("pk", flat=True)) == [live.pk]
    assert not PendingChange.objects.filter(pk=expired.pk).exists()
    reader.refresh_from_db()
    assert (
        reader.status == Subscriber.Status.ACTIVE and TopicProfile.objects.filter(subscriber=reader).exists()
    )


def test_it_forgets_an_address_that_never_confirmed_and_has_nothing_pending():
    never = _pending_address("never@example.org", age=EXPIRED)
    _change(never, age=EXPIRED)
    waiting = _pending_address("waiting@example.org", age=EXPIRED)
    _change(waiting, age=timedelta(hours=2))  # signed up again yesterday: still waiting
    gone = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)  # confirmed once: kept for resubscribe
    _change(gone, age=EXPIRED)

    assert purge_expired_pending_changes.delay().get() == [2, 1]

    assert set(Subscriber.objects.values_list("email", flat=True)) == {"waiting@example.org", gone.email}


def test_a_fresh_sign_up_is_never_purged():
    fresh = _pending_address("fresh@example.org", age=timedelta(minutes=1))

    purge_expired_pending_changes.delay().get()

    assert Subscriber.objects.filter(pk=fresh.pk).exists()


def test_running_it_again_changes_nothing():
    _change(_pending_address("never@example.org", age=EXPIRED), age=EXPIRED)
    purge_expired_pending_changes.delay().get()

    assert purge_expired_pending_changes.delay().get() == [0, 0]
