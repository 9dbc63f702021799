import pytest

from subscriptions import services
from subscriptions.models import PendingChange, Subscriber
from subscriptions.tokens import BadToken, make_token, read_token
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
