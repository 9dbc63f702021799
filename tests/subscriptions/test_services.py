import pytest
from django.core import mail

from subscriptions import services
from subscriptions.models import PendingChange, Subscriber
from tests.factories import SubscriberFactory
from tests.subscriptions.helpers import SIGNUP_DATA

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def test_signup_of_a_known_address_changes_nothing_but_queues_a_confirmation(
    django_capture_on_commit_callbacks,
):
    subscriber = SubscriberFactory(send_hour=9, profile__interests="Graph neural networks for molecules")
    with django_capture_on_commit_callbacks(execute=True):
        services.subscriber_signup(email=subscriber.email, data=SIGNUP_DATA)
    subscriber.refresh_from_db()
    assert (subscriber.send_hour, subscriber.profile.interests) == (9, "Graph neural networks for molecules")
    assert PendingChange.objects.filter(subscriber=subscriber).count() == 1
    assert len(mail.outbox) == 1


def test_confirming_keeps_a_paused_subscriber_paused():
    subscriber = SubscriberFactory(status=Subscriber.Status.PAUSED)
    change = PendingChange.objects.create(subscriber=subscriber, data=SIGNUP_DATA)
    subscriber = services.subscriber_confirm(subscriber=subscriber, change=change)
    assert subscriber.status == Subscriber.Status.PAUSED
    assert subscriber.send_hour == 5


def test_resubscribe_needs_an_earlier_confirmation():
    never = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED, confirmed_at=None)
    assert not services.subscriber_resubscribe(subscriber=never)
    before = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)
    assert services.subscriber_resubscribe(subscriber=before)
