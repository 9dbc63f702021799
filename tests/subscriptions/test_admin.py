"""Least privilege for staff in the subscriptions admin; throttled, well-passworded staff logins (issue 15)."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from subscriptions.models import Subscriber
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def _staff(django_user_model, *codenames):
    user = django_user_model.objects.create_user("viewer", password="a-long-enough-passphrase", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def _pause(client, *subscribers):
    return client.post(
        reverse("admin:subscriptions_subscriber_changelist"),
        {"action": "pause", "_selected_action": [s.pk for s in subscribers]},
    )


def test_a_view_only_staff_user_cannot_pause_subscribers(client, django_user_model):
    client.force_login(_staff(django_user_model, "view_subscriber"))
    subscriber = SubscriberFactory()

    page = client.get(reverse("admin:subscriptions_subscriber_changelist"))
    assert page.status_code == 200 and b'value="pause"' not in page.content
    _pause(client, subscriber)

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_a_staff_user_who_may_change_subscribers_can_pause_them(client, django_user_model):
    client.force_login(_staff(django_user_model, "view_subscriber", "change_subscriber"))
    subscriber = SubscriberFactory()

    _pause(client, subscriber)

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PAUSED


def test_admin_logins_are_throttled_per_client(client, django_user_model, settings):
    django_user_model.objects.create_superuser("root", "root@example.org", "the-right-passphrase")
    url = reverse("admin:login")
    codes = [client.post(url, {"username": "root", "password": "guess"}).status_code for _ in range(5)]
    assert codes == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = client.post(url, {"username": "root", "password": "the-right-passphrase"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another client is not locked out by this one's failures.
    other = client.post(
        url, {"username": "root", "password": "the-right-passphrase"}, REMOTE_ADDR="203.0.113.9"
    )
    assert other.status_code == 302


@pytest.mark.parametrize("password", ["1", "password123", "12345678901234", "root-example"])
def test_weak_staff_passwords_are_refused(django_user_model, password):
    user = django_user_model(username="root-example", email="root@example.org")
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_a_long_unusual_passphrase_is_accepted(django_user_model):
    validate_password("correct horse battery staple", django_user_model(username="root"))
