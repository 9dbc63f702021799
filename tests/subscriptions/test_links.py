import pytest
from django.urls import reverse, set_script_prefix

from subscriptions import links
from subscriptions.tokens import read_token
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def test_each_link_is_the_reversed_route_of_its_token(settings):
    subscriber = SubscriberFactory()
    cases = [
        (links.unsubscribe_url(subscriber), "subscriptions:unsubscribe", "unsubscribe"),
        (links.preferences_url(subscriber), "subscriptions:preferences", "preferences"),
        (links.feedback_url(subscriber, 12, -1), "subscriptions:feedback", "feedback"),
        (links.digest_url(subscriber, 34), "digest:view", "digest"),
        (links.confirm_url(subscriber), "subscriptions:confirm", "confirm"),
        (links.archive_url(subscriber), "subscriptions:archive", "archive"),
        (links.feed_url(subscriber), "subscriptions:feed", "feed"),
    ]
    for url, name, purpose in cases:
        token = url.removeprefix(settings.SITE_URL).rstrip("/").rsplit("/", 1)[-1]
        assert url == settings.SITE_URL + reverse(name, args=[token])
        assert read_token(token, purpose)[0] == subscriber


def test_a_link_follows_the_script_prefix_of_the_deployment():
    subscriber = SubscriberFactory()
    try:
        set_script_prefix("/digest-app/")
        url = links.preferences_url(subscriber)
    finally:
        set_script_prefix("/")
    assert "/digest-app/preferences/" in url
    assert "/digest-app/" not in links.preferences_url(subscriber)
