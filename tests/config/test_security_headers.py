"""Every page's security headers, and the stricter ones of pages reached through a link token (issue 15)."""

import re

import pytest
from django.test import Client

from subscriptions import links
from subscriptions.models import PendingChange, Subscriber
from tests.factories import DigestItemFactory, PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def test_every_page_sends_csp_frame_and_referrer_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], "no inline scripts"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response


def test_with_https_on_plain_http_redirects_and_https_gets_hsts(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    client = Client()  # its middleware reads the settings above on the first request

    redirect = client.get("/")
    assert redirect.status_code == 301 and redirect["Location"] == "https://testserver/"
    # An X-Forwarded-Proto header is a client's claim unless a proxy of ours is trusted to set it.
    assert client.get("/", HTTP_X_FORWARDED_PROTO="https").status_code == 301
    assert client.get("/healthz").status_code == 200, "probes inside the network use plain HTTP"

    secure = client.get("/", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_trusted_proxy_header_marks_the_request_secure(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert Client().get("/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def _token_pages():
    subscriber = SubscriberFactory()
    paper = PaperFactory()
    pending = SubscriberFactory(status=Subscriber.Status.PENDING, confirmed_at=None)
    PendingChange.objects.create(subscriber=pending, data={"interests": "Molecules"})
    preferences = _path(links.preferences_url(subscriber))
    return [
        ("get", preferences),
        ("get", preferences + "export/"),
        ("get", _path(links.unsubscribe_url(subscriber))),
        ("get", _path(links.feedback_url(subscriber, paper.pk, 1))),
        ("post", _path(links.feedback_url(subscriber, paper.pk, 1))),
        ("get", _path(links.confirm_url(pending))),
        (
            "get",
            _path(links.digest_url(subscriber, DigestItemFactory(digest__subscriber=subscriber).digest_id)),
        ),
        ("get", _path(links.digest_url(subscriber, 0))),
        ("get", "/preferences/forged/"),
    ]


def test_token_pages_are_never_stored_and_never_leak_their_url(client):
    for method, path in _token_pages():
        response = getattr(client, method)(path)
        assert response["Cache-Control"] == "no-store", path
        assert response["Referrer-Policy"] == "no-referrer", path


def test_the_signup_page_may_be_cached_by_the_browser_and_keeps_the_default_referrer_policy(client):
    response = client.get("/")
    assert "no-store" not in response.get("Cache-Control", "")


CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.mark.parametrize("secure", [False, True])
def test_forms_on_no_referrer_token_pages_still_post_with_their_csrf_token(secure):
    """Browsers send `Origin: null` from a no-referrer page; the CSRF token still decides."""
    subscriber = SubscriberFactory()
    client = Client(enforce_csrf_checks=True)
    path = _path(links.preferences_url(subscriber)) + "pause/"
    page = client.get(_path(links.preferences_url(subscriber)), secure=secure).content.decode()
    token = CSRF_TOKEN.search(page).group(1)

    assert client.post(path, {}, HTTP_ORIGIN="null", secure=secure).status_code == 403
    response = client.post(path, {"csrfmiddlewaretoken": token}, HTTP_ORIGIN="null", secure=secure)
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PAUSED


def test_a_null_origin_is_refused_everywhere_else():
    client = Client(enforce_csrf_checks=True)
    token = CSRF_TOKEN.search(client.get("/").content.decode()).group(1)
    assert client.post("/", {"csrfmiddlewaretoken": token}, HTTP_ORIGIN="null").status_code == 403
