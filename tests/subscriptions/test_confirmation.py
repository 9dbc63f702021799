"""Our confirmation mail cannot be used against a stranger, nor lock its owner out (issue 15, item 6)."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from subscriptions.models import ConsentRecord, Subscriber
from tests.subscriptions.helpers import CHANGE_FIELD, confirm_by_click, confirm_path

pytestmark = pytest.mark.django_db

LURE = "Your account is locked: visit http://evil.example/login now"


def _signup(client, data, capture, **extra):
    with capture(execute=True):
        return client.post("/", data, **extra)


def test_the_mail_carries_no_text_from_the_request(client, signup_data, django_capture_on_commit_callbacks):
    _signup(
        client, {**signup_data, "interests": LURE, "exclusions": LURE}, django_capture_on_commit_callbacks
    )
    message = mail.outbox[0]
    for part in (message.subject, message.body, message.alternatives[0][0]):
        assert "evil.example" not in part and "locked" not in part


def test_repeated_requests_for_one_address_send_one_mail(
    client, signup_data, django_capture_on_commit_callbacks
):
    for n in range(3):
        response = _signup(
            client, {**signup_data, "interests": f"{LURE} {n}"}, django_capture_on_commit_callbacks
        )
        assert response.status_code == 200
    assert len(mail.outbox) == 1


def test_the_owner_is_never_locked_out_by_a_stranger(client, signup_data, django_capture_on_commit_callbacks):
    stranger = {**signup_data, "interests": LURE}
    for _ in range(8):
        _signup(client, stranger, django_capture_on_commit_callbacks, REMOTE_ADDR="198.51.100.7")
    owner = {**signup_data, "interests": "Protein structure prediction"}
    response = _signup(client, owner, django_capture_on_commit_callbacks, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 200 and b"Check your inbox" in response.content

    # The one mail in the owner's inbox opens the owner's own, latest request.
    (message,) = mail.outbox
    page = client.get(confirm_path(message)).content.decode()
    assert "Protein structure prediction" in page and "evil.example" not in page
    assert confirm_by_click(client, message).status_code == 200
    assert Subscriber.objects.get().profile.interests == "Protein structure prediction"


def test_a_request_made_while_the_page_was_open_is_shown_not_applied(
    client, signup_data, django_capture_on_commit_callbacks
):
    _signup(client, {**signup_data, "interests": "Protein folding"}, django_capture_on_commit_callbacks)
    path = confirm_path(mail.outbox[0])
    seen = CHANGE_FIELD.search(client.get(path).content.decode()).group(1)
    _signup(client, {**signup_data, "interests": LURE}, django_capture_on_commit_callbacks)

    response = client.post(path, {"change": seen})

    assert response.status_code == 409 and b"evil.example" in response.content
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_a_new_mail_goes_out_once_the_interval_has_passed(
    client, signup_data, django_capture_on_commit_callbacks
):
    _signup(client, signup_data, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        _signup(client, signup_data, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2


def test_a_mail_that_failed_to_send_does_not_spend_the_interval(
    client, signup_data, django_capture_on_commit_callbacks, monkeypatch
):
    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self, messages):
        raise ConnectionError("mail server down")

    with monkeypatch.context() as patch:
        patch.setattr(EmailBackend, "send_messages", refuse)
        _signup(client, signup_data, django_capture_on_commit_callbacks)
    assert Subscriber.objects.get().confirmation_sent_at is None
    _signup(client, signup_data, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_confirming_records_how_the_reader_consented(client, signup_data, django_capture_on_commit_callbacks):
    _signup(client, signup_data, django_capture_on_commit_callbacks, REMOTE_ADDR="203.0.113.5")
    confirm_by_click(client, mail.outbox[0])

    consent = ConsentRecord.objects.get()
    subscriber = Subscriber.objects.get()
    assert consent.subscriber == subscriber and consent.form == "signup"
    assert consent.requested_ip == "203.0.113.5" and consent.confirmed_ip == "127.0.0.1"
    assert consent.requested_at <= consent.confirmed_at == subscriber.confirmed_at


def test_the_confirm_page_shows_the_whole_request(client, signup_data, django_capture_on_commit_callbacks):
    data = {**signup_data, "exclusions": "Medical imaging", "frequency": "weekly", "send_hour": "18"}
    _signup(client, data, django_capture_on_commit_callbacks)
    page = client.get(confirm_path(mail.outbox[0])).content.decode()
    for text in (
        "Graph neural networks for molecules",
        "Medical imaging",
        "Once a week at 18:00 (Europe/Berlin)",
    ):
        assert text in page
