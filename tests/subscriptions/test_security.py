"""Each attack fails safely: enumeration, bad tokens, CSRF, floods, header and script injection."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from subscriptions import links
from subscriptions.models import PendingChange, Subscriber
from subscriptions.tokens import make_token
from tests.factories import FeedbackFactory, PaperFactory, SubscriberFactory
from tests.subscriptions.helpers import confirm_by_click, confirm_path, path_of

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]

CSRF_INPUT = re.compile(rb'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')


def _signup(client, signup_data, email, capture):
    with capture(execute=True):
        response = client.post("/", {**signup_data, "email": email})
    return response.status_code, CSRF_INPUT.sub(b"", response.content)


def test_signup_responses_are_identical_for_new_known_and_unsubscribed_addresses(
    client, signup_data, django_capture_on_commit_callbacks
):
    SubscriberFactory(email="known@example.org")
    SubscriberFactory(email="pending@example.org", status=Subscriber.Status.PENDING, confirmed_at=None)
    SubscriberFactory(email="gone@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    responses = {
        email: _signup(client, signup_data, email, django_capture_on_commit_callbacks)
        for email in ["new@example.org", "known@example.org", "pending@example.org", "gone@example.org"]
    }
    assert len(set(responses.values())) == 1, "the page must not tell which addresses we know"
    assert next(iter(responses.values()))[0] == 200


def test_an_expired_confirm_link_fails(client, signup_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/", signup_data)
    path = confirm_path(mail.outbox[0])
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        response = client.post(path)
    assert response.status_code == 400
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_a_forged_token_fails(client):
    subscriber = SubscriberFactory(status=Subscriber.Status.PENDING, confirmed_at=None)
    change = PendingChange.objects.create(subscriber=subscriber, data={"interests": "x"})
    token = make_token(subscriber, "confirm", c=change.pk)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for path in [
        f"/confirm/{forged}/",
        "/confirm/not-a-token/",
        f"/preferences/{forged}/",
        f"/unsubscribe/{forged}/",
    ]:
        assert client.get(path).status_code == 400
        assert client.post(path).status_code in (400, 403)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_a_confirm_link_works_once(client, signup_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/", signup_data)
    path = confirm_path(mail.outbox[0])
    assert confirm_by_click(client, mail.outbox[0]).status_code == 200
    assert client.post(path).status_code == 400
    assert client.get(path).status_code == 400


def test_an_older_confirm_link_dies_once_a_newer_one_is_used(
    client, signup_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/", {**signup_data, "interests": "First try"})
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/", {**signup_data, "interests": "Second try"})
        first, second = mail.outbox
        assert confirm_by_click(client, second).status_code == 200
        assert client.post(confirm_path(first)).status_code == 400
    assert Subscriber.objects.get().profile.interests == "Second try"


def test_a_token_for_another_purpose_fails(client):
    subscriber = SubscriberFactory(status=Subscriber.Status.PENDING, confirmed_at=None)
    change = PendingChange.objects.create(subscriber=subscriber, data={"interests": "x"})
    unsubscribe_token = make_token(subscriber, "unsubscribe", c=change.pk)
    assert client.post(reverse("subscriptions:confirm", args=[unsubscribe_token])).status_code == 400
    confirm_token = make_token(subscriber, "confirm", c=change.pk)
    assert client.get(reverse("subscriptions:preferences", args=[confirm_token])).status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


# Every view behind a signed link, its method, and the purpose its token must have.
TOKEN_VIEWS = [
    ("confirm", "get", "confirm"),
    ("confirm", "post", "confirm"),
    ("unsubscribe", "get", "unsubscribe"),
    ("unsubscribe", "post", "unsubscribe"),
    ("resubscribe", "post", "unsubscribe"),
    ("feedback", "get", "feedback"),
    ("feedback", "post", "feedback"),
    ("feedback_undo", "post", "feedback"),
    ("preferences", "get", "preferences"),
    ("preferences", "post", "preferences"),
    ("pause", "post", "preferences"),
    ("export", "get", "preferences"),
    ("delete", "post", "preferences"),
    ("revoke_links", "post", "preferences"),
]


@pytest.mark.parametrize("name, method, purpose", TOKEN_VIEWS)
def test_every_signed_link_view_answers_a_bad_token_with_the_same_page(client, name, method, purpose):
    subscriber = SubscriberFactory()
    paper = PaperFactory()
    wrong_purpose = "digest" if purpose != "digest" else "feedback"
    tokens = [
        "forged",
        make_token(subscriber, wrong_purpose, c=1, p=paper.pk, v=1),
        make_token(subscriber, purpose, c=0, p=0, v=1),  # names a pending change / paper that does not exist
    ]
    if purpose in ("unsubscribe", "preferences"):
        tokens.pop()  # their payload names nothing else
    pages = {getattr(client, method)(reverse(f"subscriptions:{name}", args=[token])) for token in tokens}

    assert {(response.status_code, b"link" in response.content) for response in pages} == {(400, True)}
    bodies = {CSRF_INPUT.sub(b"", response.content) for response in pages}
    assert len(bodies) == 1
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def _token(url: str) -> str:
    return path_of(url).split("/")[2]


@pytest.mark.parametrize(
    "name, data",
    [("preferences", {"interests": "x"}), ("pause", {}), ("delete", {"confirm": "on"}), ("revoke_links", {})],
)
def test_preference_forms_need_a_csrf_token(name, data):
    subscriber = SubscriberFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse(f"subscriptions:{name}", args=[_token(links.preferences_url(subscriber))]), data
    )
    assert response.status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_feedback_undo_and_resubscribe_need_a_csrf_token():
    subscriber = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)
    paper = PaperFactory()
    FeedbackFactory(subscriber=subscriber, paper=paper)
    client = Client(enforce_csrf_checks=True)
    assert client.post(path_of(links.feedback_url(subscriber, paper.pk, -1))).status_code == 403
    assert client.post(path_of(links.feedback_url(subscriber, paper.pk, 1)) + "undo/").status_code == 403
    assert subscriber.feedback.get().signal == 1
    assert client.post(path_of(links.unsubscribe_url(subscriber)) + "resubscribe/").status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_signup_needs_a_csrf_token(signup_data):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/", signup_data).status_code == 403
    assert not Subscriber.objects.exists()


def test_one_click_unsubscribe_works_without_csrf():
    subscriber = SubscriberFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path_of(links.unsubscribe_url(subscriber)),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_a_rate_limited_client_sees_the_try_again_page(client, signup_data):
    for n in range(20):
        client.post("/", {**signup_data, "email": f"r{n}@example.org"})
    response = client.post("/", signup_data)
    assert response.status_code == 429 and b"try again later" in response.content


def test_signups_are_rate_limited_per_ip(client, signup_data):
    codes = [client.post("/", {**signup_data, "email": f"r{n}@example.org"}).status_code for n in range(21)]
    assert codes == [200] * 20 + [429]
    assert Subscriber.objects.count() == 20


def test_behind_a_proxy_signups_are_limited_per_client_not_per_proxy(client, settings, signup_data):
    settings.CLIENT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"

    def post(n, forwarded_for):
        data = {**signup_data, "email": f"r{n}@example.org"}
        return client.post("/", data, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    assert [post(n, "203.0.113.9") for n in range(21)] == [200] * 20 + [429]
    # A spoofed left-hand entry does not make the same client someone else.
    assert post(21, "198.51.100.77, 203.0.113.9") == 429
    assert post(22, "198.51.100.1") == 200


@pytest.mark.parametrize(
    "email",
    [
        "a@b.com\r\nBcc: x@y.com",
        "a@b.com\nBcc: x@y.com",
        "a@b.com\r\n",
        "x" * 250 + "@b.com",
        "a@b.com, c@d.com",
    ],
)
def test_header_injection_and_bad_addresses_are_rejected(
    client, signup_data, email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/", {**signup_data, "email": email})
    assert response.status_code == 200
    assert b"Check your inbox" not in response.content
    assert not Subscriber.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("field, limit", [("interests", 4000), ("exclusions", 1000), ("seed_papers", 2000)])
def test_oversized_text_is_rejected(client, signup_data, field, limit):
    response = client.post("/", {**signup_data, field: "x" * (limit + 1)})
    assert b"Check your inbox" not in response.content
    assert not Subscriber.objects.exists()


SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_script_in_interests_is_escaped_in_the_confirmation_email_and_on_preferences(
    client, signup_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/", {**signup_data, "interests": SCRIPT})
    html = mail.outbox[0].alternatives[0][0]
    assert "script" not in html and "<img src=x" not in html, "the email carries none of the request's text"

    confirm_page = client.get(confirm_path(mail.outbox[0])).content
    assert b"<script>alert" not in confirm_page and b"&lt;script&gt;" in confirm_page
    confirm_by_click(client, mail.outbox[0])
    subscriber = Subscriber.objects.get()
    page = client.get(path_of(links.preferences_url(subscriber))).content
    assert b"<script>alert" not in page and b"<img src=x" not in page
    assert b"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_script_in_a_paper_title_is_escaped_on_the_feedback_page(client):
    subscriber = SubscriberFactory()
    paper = PaperFactory(title=SCRIPT)
    page = client.get(path_of(links.feedback_url(subscriber, paper.pk, -1))).content
    assert b"<script>alert" not in page and b"&lt;script&gt;" in page


def test_a_feedback_link_with_a_tampered_signal_fails(client):
    subscriber = SubscriberFactory()
    paper = PaperFactory()
    token = make_token(subscriber, "feedback", p=paper.pk, v=5)
    assert client.get(reverse("subscriptions:feedback", args=[token])).status_code == 400
    assert not subscriber.feedback.exists()
