"""Walk the whole journey in headless Chromium, with a real SMTP server catching the mail.

The README's page pictures come from tests/subscriptions/test_reader_pages_browser.py."""

import email
import socket
import types
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from subscriptions import links
from subscriptions.models import Subscriber
from tests.factories import SubscriberFactory
from tests.subscriptions.helpers import CONFIRM_LINK
from tests.support.a11y import audit, first_tab_stop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "signup"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    # aiosmtpd 1.4's Controller checks it is up by connecting to the port it was
    # given, which fails for port 0; so take a free port from the OS first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    yield inbox
    controller.stop()


def _preview(*, interests, exclusions="", size=5, threshold_mode=None):
    return [
        {
            "paper_id": 1,
            "title": "Equivariant graph networks for molecular property prediction",
            "url": "https://arxiv.org/abs/2401.00001",
            "score": 0.91,
            "why": interests.splitlines()[0],
        },
        {
            "paper_id": 2,
            "title": "<b>Diffusion</b> models that design binding proteins",
            "url": "https://arxiv.org/abs/2401.00002",
            "score": 0.84,
            "why": "protein design",
        },
        {
            "paper_id": 3,
            "title": "A benchmark for retrosynthesis planning",
            "url": "https://arxiv.org/abs/2401.00003",
            "score": 0.77,
            "why": "chemistry",
        },
    ][:size]


def _picks(**kwargs):
    """_preview's rows as digest.build.picks_for_interests returns them: (paper, score, why)."""
    return [
        (
            types.SimpleNamespace(pk=row["paper_id"], title=row["title"], link=row["url"]),
            row["score"],
            row["why"],
        )
        for row in _preview(**kwargs)
    ]


def test_signup_confirm_preferences_unsubscribe(live_server, settings, smtp, browser, monkeypatch):
    settings.SITE_URL = live_server.url
    monkeypatch.setattr("subscriptions.views.picks_for_interests", _picks)
    monkeypatch.setattr("subscriptions.views.papers_per_day", lambda **kwargs: 2)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1000, "height": 900}, timezone_id="Europe/Berlin")
    page = context.new_page()

    page.goto(live_server.url + "/")
    assert page.locator("#id_timezone").input_value() == "Europe/Berlin", "time zone guessed from the browser"
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Interests").fill(
        "Graph neural networks for molecules\nProtein design with diffusion models"
    )
    page.get_by_label("Papers per digest").fill("7")
    page.locator("#preview-list li").first.wait_for()
    assert page.locator("#preview-list li").count() == 3
    # Titles are text, never markup.
    assert page.locator("#preview-list b").count() == 0
    assert "<b>Diffusion</b>" in page.locator("#preview-list").inner_text()
    # How the words were read shows next to the papers.
    assert page.locator("#preview-reading").inner_text() == (
        "Read as: Topics: Graph neural networks for molecules; Protein design with diffusion models"
    )
    assert audit(page) == []
    page.screenshot(path=ARTIFACTS / "1-signup.png", full_page=True)

    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    assert audit(page) == []
    page.screenshot(path=ARTIFACTS / "2-check-inbox.png")
    subscriber = Subscriber.objects.get(email="ada@example.org")
    assert subscriber.status == Subscriber.Status.PENDING

    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "ada@example.org"
    text = message.get_body(preferencelist=("plain",)).get_content()
    confirm_url = live_server.url + CONFIRM_LINK.search(text).group(1)
    page.goto(confirm_url)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="You're in").wait_for()
    assert audit(page) == []
    page.screenshot(path=ARTIFACTS / "3-confirmed.png")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert (subscriber.timezone, subscriber.digest_size) == ("Europe/Berlin", 7)

    page.goto(links.preferences_url(subscriber))
    page.get_by_label("Interests").fill("Protein design with diffusion models")
    page.get_by_label("Send at").select_option("06:00")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()
    assert audit(page) == []
    page.screenshot(path=ARTIFACTS / "4-preferences.png", full_page=True)
    subscriber.refresh_from_db()
    assert subscriber.profile.interests == "Protein design with diffusion models"
    assert subscriber.send_hour == 6

    page.goto(links.unsubscribe_url(subscriber))
    assert audit(page) == []
    page.screenshot(path=ARTIFACTS / "5-unsubscribe.png")
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
    assert audit(page) == []
    page.screenshot(path=ARTIFACTS / "6-unsubscribed.png")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED

    context.close()


# A phone in portrait: 390 CSS pixels wide.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def test_the_pages_fit_a_phone_and_pass_the_accessibility_basics(live_server, settings, browser, monkeypatch):
    settings.SITE_URL = live_server.url
    monkeypatch.setattr("subscriptions.views.picks_for_interests", _picks)
    monkeypatch.setattr("subscriptions.views.papers_per_day", lambda **kwargs: 2)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subscriber = SubscriberFactory(
        email="ada@example.org", profile__interests="Graph neural networks for molecules"
    )
    context = browser.new_context(**PHONE)
    page = context.new_page()

    page.goto(live_server.url + "/")
    page.get_by_label("Interests").fill("Graph neural networks for molecules")
    page.locator("#preview-list li").first.wait_for()
    assert audit(page) == []
    page.screenshot(path=ARTIFACTS / "mobile-1-signup.png", full_page=True)

    for name, url in (
        ("preferences", links.preferences_url(subscriber)),
        ("unsubscribe", links.unsubscribe_url(subscriber)),
    ):
        page.goto(url)
        # Keyboard users land on the skip link first, and see where they are.
        assert first_tab_stop(page) == {"text": "Skip to content", "visible": True, "outlined": True}
        assert audit(page) == [], name
        page.screenshot(path=ARTIFACTS / f"mobile-2-{name}.png", full_page=True)
    context.close()


def test_the_accessibility_audit_finds_what_it_looks_for(browser):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.set_content(
        '<h1>One</h1><h1>Two</h1><p style="color:#bbb">faint</p><input name="q"><div style="width:900px">wide</div>'
    )

    problems = audit(page)
    page.close()

    assert problems == [
        "<html> has no lang",
        "no <main> landmark",
        "2 <h1> elements",
        "empty <title>",
        "unlabelled input q",
        'contrast 1.92 < 4.5: P "faint"',
        "scrolls sideways: 908px in a 390px viewport",
    ]
