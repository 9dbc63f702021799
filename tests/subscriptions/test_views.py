import json

import pytest
from django.core import mail
from django.db import DatabaseError
from django.urls import reverse

from subscriptions import links
from subscriptions.models import Feedback, PendingChange, Subscriber
from tests.factories import DigestItemFactory, FeedbackFactory, PaperFactory, SubscriberFactory
from tests.subscriptions.helpers import confirm_by_click, confirm_path, path_of

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def test_it_shows_the_signup_form(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="email"' in body and 'name="interests"' in body and "preview.js" in body
    assert '<label for="id_email"' in body


def test_it_keeps_a_new_address_pending_until_confirmed(
    client, signup_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/", signup_data)
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    subscriber = Subscriber.objects.get(email="ada@example.org")
    assert subscriber.status == Subscriber.Status.PENDING
    assert not hasattr(subscriber, "profile") or subscriber.profile is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.org"]
    assert "Confirm your Paper Digest subscription" == mail.outbox[0].subject

    page = client.get(confirm_path(mail.outbox[0]))
    assert page.status_code == 200 and b"Confirm" in page.content
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING, "a GET (a mail scanner) confirms nothing"

    response = confirm_by_click(client, mail.outbox[0])
    assert response.status_code == 200 and b"You're in" in response.content
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.confirmed_at is not None
    assert subscriber.timezone == "Europe/Berlin"
    assert subscriber.profile.interests == "Graph neural networks for molecules"
    assert not PendingChange.objects.exists()


def test_it_changes_an_active_subscriber_only_after_confirmation(
    client, signup_data, django_capture_on_commit_callbacks
):
    subscriber = SubscriberFactory(email="ada@example.org", send_hour=9)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/", {**signup_data, "interests": "Protein folding", "send_hour": "18"})
    subscriber.refresh_from_db()
    assert subscriber.profile.interests == "Graph neural networks for molecules"
    assert subscriber.send_hour == 9
    assert mail.outbox[0].subject == "Confirm the changes to your Paper Digest settings"

    confirm_by_click(client, mail.outbox[0])
    subscriber.refresh_from_db()
    assert (subscriber.profile.interests, subscriber.send_hour) == ("Protein folding", 18)


def test_it_shows_form_errors(client, signup_data):
    response = client.post("/", {**signup_data, "email": "not-an-address", "interests": "  "})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a valid email address." in body and "This field is required." in body
    assert not Subscriber.objects.exists()


def test_it_sends_one_confirmation_email_per_address_per_interval(
    client, signup_data, django_capture_on_commit_callbacks
):
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/", signup_data).status_code == 200
    assert len(mail.outbox) == 1


def test_it_previews_papers(client, monkeypatch):
    calls = []
    paper = PaperFactory(title="Molecules", url="https://arxiv.org/abs/1")

    def picks_for_interests(*, interests, exclusions="", size=5, threshold_mode):
        calls.append((interests, exclusions, size, threshold_mode))
        return [(paper, 0.91234, "molecules")]

    def papers_per_day(*, interests, exclusions="", size, threshold_mode):
        calls.append(("per day", size, threshold_mode))
        return 3

    monkeypatch.setattr("subscriptions.views.picks_for_interests", picks_for_interests)
    monkeypatch.setattr("subscriptions.views.papers_per_day", papers_per_day)
    response = client.post(
        "/preview",
        {"interests": "molecules", "exclusions": "proteins", "threshold_mode": "top_n", "digest_size": 8},
    )
    assert response.status_code == 200
    assert response.json() == {
        "papers": [
            {
                "paper_id": paper.pk,
                "title": "Molecules",
                "url": "https://arxiv.org/abs/1",
                "score": 0.912,
                "why": "molecules",
            }
        ],
        "reading": {
            "topics": ["molecules"],
            "side_topics": [],
            "context": [],
            "leaving_out": ["proteins"],
            "papers_like": [],
            "ignored": [],
            "text": "Topics: molecules · Leaving out: proteins",
        },
        "papers_per_day": 3,
    }
    assert calls == [("molecules", "proteins", 5, "top_n"), ("per day", 8, "top_n")]


def test_the_preview_shows_an_exclusion_typed_into_the_interests_as_left_out(client, monkeypatch):
    monkeypatch.setattr("subscriptions.views.picks_for_interests", lambda **kwargs: [])
    monkeypatch.setattr("subscriptions.views.papers_per_day", lambda **kwargs: 0)
    response = client.post(
        "/preview", {"interests": "Hi! Computer vision. Medical imaging is out of scope for me."}
    )
    reading = response.json()["reading"]
    assert reading["topics"] == ["Computer vision"]
    assert reading["leaving_out"] == ["Medical imaging"]


def test_it_rejects_oversized_preview_input(client):
    response = client.post("/preview", {"interests": "x" * 4001})
    assert response.status_code == 400
    assert client.post("/preview").status_code == 400


def test_it_rate_limits_the_preview(client, monkeypatch):
    monkeypatch.setattr("subscriptions.views.picks_for_interests", lambda **kw: [])
    codes = [client.post("/preview", {"interests": "molecules"}).status_code for _ in range(61)]
    assert codes[:60] == [200] * 60 and codes[60] == 429


def test_it_edits_preferences(client):
    subscriber = SubscriberFactory()
    url = path_of(links.preferences_url(subscriber))
    page = client.get(url)
    assert page.status_code == 200 and b"Graph neural networks for molecules" in page.content
    response = client.post(
        url,
        {
            "interests": "Protein folding",
            "exclusions": "crypto",
            "seed_papers": "2401.00001",
            "frequency": "weekly",
            "weekly_day": "4",
            "send_hour": "6",
            "timezone": "Asia/Tokyo",
            "digest_size": "10",
            "send_empty_note": "on",
        },
    )
    assert response.status_code == 200 and b"Saved." in response.content
    subscriber.refresh_from_db()
    assert (subscriber.frequency, subscriber.weekly_day, subscriber.send_hour) == ("weekly", 4, 6)
    assert (subscriber.timezone, subscriber.digest_size, subscriber.send_empty_note) == (
        "Asia/Tokyo",
        10,
        True,
    )
    assert (subscriber.profile.interests, subscriber.profile.exclusions) == ("Protein folding", "crypto")


@pytest.mark.parametrize(
    "field, value",
    [("timezone", "Mars/Olympus"), ("digest_size", "21"), ("digest_size", "0"), ("send_hour", "24")],
)
def test_it_rejects_invalid_preferences(client, field, value):
    subscriber = SubscriberFactory(send_hour=7)
    data = {
        "interests": "x",
        "frequency": "daily",
        "weekly_day": "0",
        "send_hour": "7",
        "timezone": "UTC",
        "digest_size": "5",
    }
    response = client.post(path_of(links.preferences_url(subscriber)), {**data, field: value})
    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.profile.interests == "Graph neural networks for molecules"


def test_it_pauses_and_resumes(client):
    subscriber = SubscriberFactory()
    url = reverse("subscriptions:pause", args=[path_of(links.preferences_url(subscriber)).split("/")[2]])
    client.post(url, {"action": "pause"})
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PAUSED
    client.post(url, {"action": "resume"})
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_it_exports_everything_as_json(client):
    subscriber = SubscriberFactory()
    item = DigestItemFactory(digest__subscriber=subscriber)
    FeedbackFactory(subscriber=subscriber, paper=item.paper)
    token = path_of(links.preferences_url(subscriber)).split("/")[2]
    response = client.get(reverse("subscriptions:export", args=[token]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["email"] == subscriber.email
    assert data["profile"]["interests"] == "Graph neural networks for molecules"
    assert data["feedback"][0]["signal"] == "More like this"
    assert data["digests"][0]["items"][0]["paper"] == item.paper.title
    assert [step["status"] for step in data["status_history"]] == ["active"]
    assert data["pending_changes"] == []


def test_it_deletes_everything_only_when_confirmed(client):
    subscriber = SubscriberFactory()
    DigestItemFactory(digest__subscriber=subscriber)
    FeedbackFactory(subscriber=subscriber)
    token = path_of(links.preferences_url(subscriber)).split("/")[2]
    url = reverse("subscriptions:delete", args=[token])
    assert client.post(url, {}).status_code == 400
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 200 and b"Your data is deleted" in response.content
    assert not Subscriber.objects.exists() and not Feedback.objects.exists()
    assert client.get(reverse("subscriptions:preferences", args=[token])).status_code == 400


def test_it_asks_before_unsubscribing_and_offers_resubscribe(client):
    subscriber = SubscriberFactory()
    url = path_of(links.unsubscribe_url(subscriber))
    assert b"<form" in client.get(url).content
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    response = client.post(url)
    assert b"You are unsubscribed" in response.content and b"resubscribe" in response.content
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    response = client.post(url + "resubscribe/")
    assert b"Welcome back" in response.content
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE and subscriber.unsubscribed_at is None


def test_it_never_resubscribes_an_unconfirmed_address(client):
    subscriber = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED, confirmed_at=None)
    response = client.post(path_of(links.unsubscribe_url(subscriber)) + "resubscribe/")
    assert response.status_code == 302 and response["Location"] == "/"
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_it_records_feedback_idempotently_and_undoes_it(client):
    subscriber = SubscriberFactory()
    paper = PaperFactory()
    url = path_of(links.feedback_url(subscriber, paper.pk, 1))
    for _ in range(2):
        response = client.post(url)
        assert response.status_code == 200 and b"Undo" in response.content
    assert Feedback.objects.get(subscriber=subscriber, paper=paper).signal == 1
    response = client.post(url + "undo/")
    assert response.status_code == 200
    assert not Feedback.objects.exists()


def test_the_health_endpoint_reports_the_database(client, monkeypatch):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}

    def broken_cursor(*args, **kwargs):
        raise DatabaseError("gone")

    monkeypatch.setattr("config.views.connection.cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
