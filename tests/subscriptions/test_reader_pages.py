"""The reader's own pages: archive, Atom feed, change of address, next send time, pages that lead onward."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail

from subscriptions import links
from subscriptions.models import Feedback, PendingChange, Subscriber
from subscriptions.selectors import next_send_label, subscriber_next_send
from tests.factories import DigestFactory, DigestItemFactory, FeedbackFactory, PaperFactory, SubscriberFactory
from tests.subscriptions.helpers import confirm_by_click, path_of

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def _sent_digest(subscriber, day, *titles):
    digest = DigestFactory(subscriber=subscriber, edition_date=day, status="sent")
    for rank, title in enumerate(titles, start=1):
        DigestItemFactory(digest=digest, rank=rank, paper=PaperFactory(title=title), why="retrieval")
    return digest


def test_the_archive_lists_every_sent_digest_newest_first_and_the_papers_liked(client):
    subscriber = SubscriberFactory()
    _sent_digest(subscriber, date(2026, 6, 1), "Old paper")
    _sent_digest(subscriber, date(2026, 6, 2), "New paper one", "New paper two")
    DigestFactory(subscriber=subscriber, edition_date=date(2026, 6, 3), status="pending")
    FeedbackFactory(subscriber=subscriber, paper=PaperFactory(title="A paper I liked"))
    FeedbackFactory(subscriber=subscriber, paper=PaperFactory(title="A paper I disliked"), signal=-1)
    _sent_digest(SubscriberFactory(), date(2026, 6, 2), "Someone else's paper")

    page = client.get(path_of(links.archive_url(subscriber))).content.decode()

    assert re.search(
        r"Tuesday 2 June 2026.*New paper one.*New paper two.*Monday 1 June 2026.*Old paper", page, re.S
    )
    assert "2 digests" in page and "3 June" not in page
    assert "A paper I liked" in page and "disliked" not in page and "Someone else" not in page
    assert links.feed_url(subscriber) in page and links.preferences_url(subscriber) in page


def test_the_archive_and_feed_links_are_signed_and_not_interchangeable(client):
    subscriber = SubscriberFactory()
    feed_token = path_of(links.feed_url(subscriber)).split("/")[2]

    assert client.get(f"/archive/{feed_token}/").status_code == 400
    assert client.get(f"/preferences/{feed_token}/").status_code == 400
    assert client.get("/feed/forged/").status_code == 400


def test_the_feed_is_atom_with_the_picks_of_sent_digests(client):
    subscriber = SubscriberFactory()
    _sent_digest(subscriber, date(2026, 6, 1), "Old paper")
    _sent_digest(subscriber, date(2026, 6, 2), "New paper")
    pending = DigestFactory(subscriber=subscriber, status="pending")
    DigestItemFactory(digest=pending, paper=PaperFactory(title="Not sent yet"))

    response = client.get(path_of(links.feed_url(subscriber)))

    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    titles = [entry.find(f"{ATOM}title").text for entry in root.iter(f"{ATOM}entry")]
    assert titles == ["New paper", "Old paper"]
    ids = [entry.find(f"{ATOM}id").text for entry in root.iter(f"{ATOM}entry")]
    assert len(set(ids)) == 2 and all(i.startswith("tag:testserver,2026-06-0") for i in ids)


def test_a_reader_changes_address_only_once_the_new_mailbox_confirms(
    client, django_capture_on_commit_callbacks
):
    subscriber = SubscriberFactory(email="old@example.org")
    digest = _sent_digest(subscriber, date(2026, 6, 1), "Kept paper")
    FeedbackFactory(subscriber=subscriber)
    old_preferences = links.preferences_url(subscriber)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path_of(old_preferences) + "email/", {"email": " New@Example.org "})
    assert response.status_code == 200 and b"Check the new inbox" in response.content
    [message] = mail.outbox
    assert message.to == ["new@example.org"]
    assert "old@example.org" in message.body
    subscriber.refresh_from_db()
    assert subscriber.email == "old@example.org", "nothing changes before the new address confirms"

    link = path_of(re.search(r"https?://\S+/email/\S+/", message.body).group(0))
    assert client.get(link).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.email == "old@example.org", "a GET (a mail scanner) changes nothing"
    response = client.post(link)

    assert response.status_code == 200 and b"now goes to new@example.org" in response.content
    subscriber.refresh_from_db()
    assert subscriber.email == "new@example.org"
    assert (
        list(subscriber.digests.all()) == [digest]
        and Feedback.objects.filter(subscriber=subscriber).count() == 1
    )
    assert not PendingChange.objects.exists()
    assert client.post(link).status_code == 400, "the link works once"
    assert client.get(path_of(old_preferences)).status_code == 400, (
        "links sent to the old address stop working"
    )


def test_a_reader_cannot_move_onto_an_address_that_has_its_own_subscription(
    client, django_capture_on_commit_callbacks
):
    subscriber = SubscriberFactory(email="old@example.org")
    SubscriberFactory(email="taken@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path_of(links.preferences_url(subscriber)) + "email/", {"email": "taken@example.org"})
    link = path_of(re.search(r"https?://\S+/email/\S+/", mail.outbox[0].body).group(0))

    response = client.post(link)

    assert response.status_code == 409 and b"already has a subscription" in response.content
    subscriber.refresh_from_db()
    assert subscriber.email == "old@example.org"


@pytest.mark.parametrize("email", ["old@example.org", "not an address", "a@b.com\r\nBcc: x@y.com"])
def test_the_change_of_address_form_refuses_the_same_or_a_bad_address(client, email):
    subscriber = SubscriberFactory(email="old@example.org")

    response = client.post(path_of(links.preferences_url(subscriber)) + "email/", {"email": email})

    assert response.status_code == 400 and not PendingChange.objects.exists() and not mail.outbox


@pytest.mark.parametrize(
    "now, settings_, expected",
    [
        # 05:30 UTC is 07:30 in Berlin (summer): today's 07:00 has gone, so tomorrow.
        (datetime(2026, 6, 11, 5, 30, tzinfo=UTC), {"send_hour": 7}, "Fri 07:00 Berlin"),
        (datetime(2026, 6, 11, 4, 30, tzinfo=UTC), {"send_hour": 7}, "Thu 07:00 Berlin"),
        # Weekly on Monday (0).
        (
            datetime(2026, 6, 11, 4, 30, tzinfo=UTC),
            {"frequency": "weekly", "weekly_day": 0},
            "Mon 07:00 Berlin",
        ),
        # 02:00 does not exist on 29 March 2026 in Berlin: the digest goes in the slot after the gap.
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), {"send_hour": 2}, "Sun 03:00 Berlin"),
    ],
)
def test_it_tells_the_next_send_time_in_the_readers_zone(now, settings_, expected):
    subscriber = SubscriberFactory(timezone="Europe/Berlin", **settings_)

    assert next_send_label(subscriber_next_send(subscriber=subscriber, now=now)) == expected


def test_a_paused_reader_has_no_next_send_time_and_a_distinct_badge(client):
    subscriber = SubscriberFactory(status=Subscriber.Status.PAUSED)

    page = client.get(path_of(links.preferences_url(subscriber))).content.decode()

    assert subscriber_next_send(subscriber=subscriber, now=datetime(2026, 6, 11, tzinfo=UTC)) is None
    assert 'class="status status-paused"' in page and 'class="status status-active"' not in page
    assert "No digests while paused" in page


@time_machine.travel(datetime(2026, 6, 11, 4, 30, tzinfo=UTC), tick=False)
def test_the_preferences_page_shows_the_next_send_and_links_to_archive_and_feed(client):
    subscriber = SubscriberFactory(timezone="Europe/Berlin", send_hour=7)

    page = client.get(path_of(links.preferences_url(subscriber))).content.decode()

    assert "Next digest: <strong>Thu 07:00 Berlin</strong>" in page
    assert 'class="status status-active"' in page
    assert links.archive_url(subscriber) in page and links.feed_url(subscriber) in page
    assert 'id="preview"' in page and "preview.js" in page


@time_machine.travel(datetime(2026, 6, 11, 4, 30, tzinfo=UTC), tick=False)
def test_youre_in_says_when_the_first_digest_comes_and_links_to_preferences(
    client, signup_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/", signup_data)
    page = confirm_by_click(client, mail.outbox[0]).content.decode()

    subscriber = Subscriber.objects.get(email="ada@example.org")
    assert "You're in" in page and "Thu 07:00 Berlin" in page
    assert links.preferences_url(subscriber) in page


def test_line_endings_typed_in_a_browser_never_reach_the_profile_or_the_export(
    client, signup_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/",
            {**signup_data, "interests": "Graph networks\r\nProtein design\r\n", "exclusions": "medicine\r"},
        )
    [message] = mail.outbox
    html = message.alternatives[0][0]
    confirm_by_click(client, message)
    subscriber = Subscriber.objects.get(email="ada@example.org")

    export = client.get(path_of(links.preferences_url(subscriber)) + "export/").content.decode()

    assert "\\r" not in export
    assert (subscriber.profile.interests, subscriber.profile.exclusions) == (
        "Graph networks\nProtein design",
        "medicine",
    )
    # The confirm email needs no white-space:pre-line, and its button is a table cell (Outlook).
    assert "pre-line" not in html
    assert re.search(r'<td[^>]*class="button-cell"[^>]*bgcolor="#1d4ed8"[^>]*>\s*<a class="button"', html)
