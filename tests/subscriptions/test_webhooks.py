"""The ESP option: anymail's tracking and inbound webhooks, and sending through an anymail backend."""

import base64
import json
import re

import pytest
from anymail.message import AnymailRecipientStatus
from django.core import mail
from django.test import Client

from digest.delivery import digests_send
from digest.models import Digest
from subscriptions.models import Subscriber
from tests.factories import DigestFactory, DigestItemFactory, SubscriberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]

AUTH = "Basic " + base64.b64encode(b"anymail:webhook-secret").decode()


def _post(url, payload, auth=AUTH):
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return Client().post(url, data=json.dumps(payload), content_type="application/json", **headers)


def _postmark_bounce(email, kind="HardBounce", record="Bounce"):
    # The shape of Postmark's bounce and spam-complaint webhooks.
    return {
        "RecordType": record,
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": 1,
        "Tag": "",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "digest@example.org",
        "BouncedAt": "2026-11-23T07:00:05Z",
        "Inactive": True,
        "CanActivate": True,
        "Subject": "5 new papers for you",
        "MessageStream": "outbound",
    }


def _status(email):
    return Subscriber.objects.get(email=email).status


def test_it_unsubscribes_an_address_that_complains_of_spam():
    SubscriberFactory(email="ada@example.org")

    response = _post(
        "/anymail/postmark/tracking/", _postmark_bounce("Ada@Example.org", "SpamComplaint", "SpamComplaint")
    )

    assert response.status_code == 200
    assert _status("ada@example.org") == Subscriber.Status.UNSUBSCRIBED


def test_it_stops_mail_to_an_address_after_repeated_bounces(settings):
    settings.DIGEST_BOUNCE_LIMIT = 2
    SubscriberFactory(email="gone@example.org")

    _post("/anymail/postmark/tracking/", _postmark_bounce("gone@example.org"))
    assert _status("gone@example.org") == Subscriber.Status.ACTIVE
    _post("/anymail/postmark/tracking/", _postmark_bounce("gone@example.org"))

    assert _status("gone@example.org") == Subscriber.Status.BOUNCED


def test_it_stops_mail_at_once_to_an_address_the_provider_refuses():
    SubscriberFactory(email="typo@example.org")

    _post("/anymail/postmark/tracking/", _postmark_bounce("typo@example.org", "BadEmailAddress"))

    assert _status("typo@example.org") == Subscriber.Status.BOUNCED


def test_it_ignores_deliveries_and_opens():
    SubscriberFactory(email="ada@example.org")
    delivered = {
        "RecordType": "Delivery",
        "MessageID": "x",
        "Recipient": "ada@example.org",
        "DeliveredAt": "2026-11-23T07:00:05Z",
        "Details": "ok",
        "Tag": "",
        "ServerID": 1,
        "Metadata": {},
    }

    assert _post("/anymail/postmark/tracking/", delivered).status_code == 200
    assert _status("ada@example.org") == Subscriber.Status.ACTIVE


def test_it_refuses_webhooks_without_the_secret():
    SubscriberFactory(email="ada@example.org")

    assert (
        _post(
            "/anymail/postmark/tracking/",
            _postmark_bounce("ada@example.org", "SpamComplaint", "SpamComplaint"),
            auth=None,
        ).status_code
        == 400
    )
    assert (
        _post(
            "/anymail/postmark/tracking/",
            _postmark_bounce("ada@example.org", "SpamComplaint", "SpamComplaint"),
            auth="Basic " + base64.b64encode(b"anymail:guess").decode(),
        ).status_code
        == 400
    )
    assert _status("ada@example.org") == Subscriber.Status.ACTIVE


def _postmark_inbound(to, sender="ada@example.org"):
    # The shape of Postmark's inbound webhook.
    return {
        "FromName": "Ada",
        "From": sender,
        "FromFull": {"Email": sender, "Name": "Ada"},
        "To": to,
        "ToFull": [{"Email": to, "Name": ""}],
        "Cc": "",
        "CcFull": [],
        "OriginalRecipient": to,
        "Subject": "unsubscribe",
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "Date": "Mon, 23 Nov 2026 07:01:00 +0000",
        "TextBody": "",
        "HtmlBody": "",
        "StrippedTextReply": "",
        "Headers": [{"Name": "Return-Path", "Value": f"<{sender}>"}],
        "Attachments": [],
    }


def _mailto_from_header(smtp_server, settings):
    settings.UNSUBSCRIBE_MAILTO = "unsubscribe@digest.example.org"
    digest = DigestFactory(subscriber__email="ada@example.org")
    DigestItemFactory(digest=digest, rank=1)
    digests_send(digest_ids=[digest.pk])
    header = str(smtp_server.messages[0]["List-Unsubscribe"])
    return header, re.search(r"<mailto:([^?>]+)\?subject=unsubscribe>", header).group(1)


def test_it_unsubscribes_by_mail_to_the_list_unsubscribe_address(smtp_server, settings):
    header, address = _mailto_from_header(smtp_server, settings)

    response = _post(
        "/anymail/postmark/inbound/", _postmark_inbound(address.upper(), sender="alias@elsewhere.example")
    )

    assert header.strip().startswith("<http://testserver/unsubscribe/")
    assert (
        re.fullmatch(r"unsubscribe\+\d+-[0-9a-f]{24}@digest\.example\.org", address)
        and len(address.split("@")[0]) <= 64
    )
    assert response.status_code == 200
    assert _status("ada@example.org") == Subscriber.Status.UNSUBSCRIBED


def test_it_ignores_mail_to_the_unsubscribe_address_with_a_forged_token(smtp_server, settings):
    _, address = _mailto_from_header(smtp_server, settings)
    forged = re.sub(r"-[0-9a-f]{24}@", "-" + "0" * 24 + "@", address)
    SubscriberFactory(email="bob@example.org")
    other = address.replace(
        f"+{Subscriber.objects.get(email='ada@example.org').pk}-",
        f"+{Subscriber.objects.get(email='bob@example.org').pk}-",
    )

    for to in (forged, other, "unsubscribe@digest.example.org"):
        assert _post("/anymail/postmark/inbound/", _postmark_inbound(to)).status_code == 200

    assert _status("ada@example.org") == Subscriber.Status.ACTIVE
    assert _status("bob@example.org") == Subscriber.Status.ACTIVE


def test_it_sends_through_an_esp_backend_chosen_by_settings(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    digest = DigestFactory(subscriber__email="ada@example.org")
    DigestItemFactory(digest=digest, rank=1)

    assert digests_send(digest_ids=[digest.pk]).sent == [digest.pk]

    [message] = mail.outbox
    headers = message.anymail_test_params["extra_headers"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["Message-ID"] == f"<digest-{digest.pk}-{digest.edition_date:%Y%m%d}@localhost>"
    assert message.anymail_test_params["html_body"]


def test_it_fails_a_digest_the_esp_refuses(settings, monkeypatch):
    from anymail.backends.test import EmailBackend

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    refused = {
        "recipient_status": {"ada@example.org": AnymailRecipientStatus(message_id=None, status="rejected")}
    }
    monkeypatch.setattr(EmailBackend, "post_to_esp", lambda self, payload, message: refused)
    digest = DigestFactory(subscriber__email="ada@example.org")
    DigestItemFactory(digest=digest, rank=1)

    assert digests_send(digest_ids=[digest.pk]).failed == [digest.pk]
    digest.refresh_from_db()
    assert digest.status == Digest.Status.FAILED and digest.last_error


def test_a_payload_with_a_5000_digit_id_is_refused_with_400_not_500():
    SubscriberFactory(email="ada@example.org")
    body = json.dumps(_postmark_bounce("ada@example.org")).replace("4323372036854775807", "9" * 5000)
    client = Client(raise_request_exception=False)

    response = client.post(
        "/anymail/postmark/tracking/", data=body, content_type="application/json", HTTP_AUTHORIZATION=AUTH
    )

    assert response.status_code == 400
    assert _status("ada@example.org") == Subscriber.Status.ACTIVE


def test_mail_to_an_unsubscribe_address_with_a_5000_digit_id_is_ignored():
    SubscriberFactory(email="ada@example.org")
    to = "unsubscribe+" + "9" * 5000 + "-" + "0" * 24 + "@digest.example.org"
    response = Client(raise_request_exception=False).post(
        "/anymail/postmark/inbound/",
        data=json.dumps(_postmark_inbound(to)),
        content_type="application/json",
        HTTP_AUTHORIZATION=AUTH,
    )
    assert response.status_code == 200
    assert _status("ada@example.org") == Subscriber.Status.ACTIVE


@pytest.mark.parametrize(
    "url",
    [
        "/anymail/mailgun/tracking/",
        "/anymail/mailgun/inbound/",
        "/anymail/amazon_ses/tracking/",
        "/anymail/brevo/inbound/",
        "/anymail/mailjet/tracking/",
        "/anymail/resend/tracking/",
        "/anymail/sendgrid/inbound/",
    ],
)
@pytest.mark.parametrize("auth", [None, AUTH])
def test_unconfigured_or_unreadable_esp_webhooks_answer_400(url, auth):
    client = Client(raise_request_exception=False)
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    assert client.post(url, data="{}", content_type="application/json", **headers).status_code == 400
