"""The reader's pages in headless Chromium, on a desktop and a phone: the preview in sight while typing,
preferences (next send, badges, time zone on a phone), the archive, a change of address, dark mode.

Screenshots go to test-artifacts/reader/; with UPDATE_SCREENSHOTS=1 some become the README's pictures.
"""

import json
import re
from datetime import date
from pathlib import Path

import pytest
from django.core import mail

from subscriptions import links
from subscriptions.models import Subscriber
from tests.factories import DigestFactory, DigestItemFactory, FeedbackFactory, PaperFactory, SubscriberFactory
from tests.support.a11y import audit
from tests.support.screenshots import publish_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reader"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
PREVIEW = {
    "papers": [
        {
            "paper_id": 1,
            "title": "Equivariant graph networks for molecules",
            "url": "https://arxiv.org/abs/2606.00001",
            "why": "Graph neural networks",
        },
        {
            "paper_id": 2,
            "title": "Diffusion models that design binding proteins",
            "url": "https://arxiv.org/abs/2606.00002",
            "why": "Protein design",
        },
        {
            "paper_id": 3,
            "title": "A benchmark for retrosynthesis planning",
            "url": "https://arxiv.org/abs/2606.00003",
            "why": "Graph neural networks",
        },
    ],
    "papers_per_day": 3,
}


def _fake_preview(page):
    """The preview endpoint answers at once with three papers: the page's layout is under test, not ranking."""
    page.route(
        re.compile(r".*/preview$"),
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(PREVIEW)),
    )


def _box(page, selector):
    return page.locator(selector).first.bounding_box()


def _type_interests(page):
    page.get_by_label("Interests").fill("Graph neural networks for molecules\nProtein design")
    page.locator("#preview-list li").first.wait_for()


def test_the_preview_is_beside_the_form_on_a_desktop_while_typing(live_server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    _fake_preview(page)
    page.goto(live_server.url + "/")

    _type_interests(page)

    field, preview = _box(page, "#id_interests"), _box(page, "#preview")
    assert preview["x"] >= field["x"] + field["width"], "beside the form"
    assert 0 <= preview["y"] and preview["y"] + 200 <= 800, "in sight without scrolling"
    assert page.locator("#preview-typical").inner_text() == "A typical day would bring 3 papers."
    assert audit(page) == []
    page.screenshot(path=ARTIFACTS / "signup-desktop.png")
    # Scrolled down to the schedule fields, the preview stays in sight (sticky).
    page.get_by_label("Papers per digest").scroll_into_view_if_needed()
    preview = _box(page, "#preview")
    assert preview["y"] >= 0 and preview["y"] < 800
    context.close()
    publish_screenshot(ARTIFACTS / "signup-desktop.png", "signup.png")


def test_the_preview_is_directly_under_the_interests_field_on_a_phone(live_server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _fake_preview(page)
    page.goto(live_server.url + "/")

    _type_interests(page)
    page.locator("#id_interests").evaluate("el => el.scrollIntoView({block: 'start'})")

    field, preview = _box(page, "#id_interests"), _box(page, "#preview")
    tips = _box(page, "details")
    assert preview["y"] >= field["y"] + field["height"] and preview["y"] <= tips["y"] + tips["height"] + 24
    assert preview["y"] + 120 <= 844, "the first papers are in sight right under the field"
    assert audit(page) == []
    page.screenshot(path=ARTIFACTS / "signup-phone.png", full_page=True)
    context.close()
    publish_screenshot(ARTIFACTS / "signup-phone.png", "signup-mobile.png")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_preferences_show_the_next_send_a_live_preview_and_fit_a_phone(
    live_server, settings, browser, device
):
    settings.SITE_URL = live_server.url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subscriber = SubscriberFactory(
        email="ada@example.org",
        timezone="America/Argentina/ComodRivadavia",
        threshold_mode=Subscriber.ThresholdMode.RECOMMENDED,
        profile__interests="Graph neural networks for molecules",
    )
    context = browser.new_context(**(DESKTOP if device == "desktop" else PHONE))
    page = context.new_page()
    _fake_preview(page)

    page.goto(links.preferences_url(subscriber))
    page.locator("#preview-list li").first.wait_for()  # the saved interests preview at once

    assert re.fullmatch(
        r"Next digest: \w{3} 07:00 ComodRivadavia\.",
        page.locator("#next-send strong").evaluate("el => 'Next digest: ' + el.innerText + '.'"),
    )
    assert page.locator(".status").inner_text() == "● Active"
    # The threshold choice and the trending size are the reader's; the preview follows the choice.
    assert page.get_by_label("Only papers likely to interest me (recommended)").is_checked()
    assert page.get_by_label("Trending today").input_value() == "3"
    with page.expect_request(
        lambda r: r.url.endswith("/preview") and "threshold_mode=top_n" in (r.post_data or "")
    ):
        page.get_by_label("Always my top papers, however weak the match").check()
    zone = _box(page, "#id_timezone")
    assert zone["x"] + zone["width"] <= page.viewport_size["width"], "the time-zone field fits"
    assert audit(page) == []
    page.evaluate("window.scrollTo(0, 0)")  # the sticky preview beside the top of the form
    page.screenshot(path=ARTIFACTS / f"preferences-{device}.png", full_page=True)

    page.get_by_role("button", name="Pause digests").click()
    page.locator(".status-paused").wait_for()
    assert page.locator(".status").inner_text() == "❚❚ Paused"
    assert "No digests while paused" in page.locator("#next-send").inner_text()
    paused = page.locator(".status").evaluate("el => getComputedStyle(el).backgroundColor")
    assert paused != "rgb(236, 253, 245)", "Paused does not look like Active"
    assert audit(page) == []
    page.screenshot(path=ARTIFACTS / f"preferences-paused-{device}.png")
    context.close()
    if device == "desktop":
        publish_screenshot(ARTIFACTS / "preferences-desktop.png", "preferences.png")


def test_youre_in_leads_to_preferences_and_a_change_of_address_is_confirmed_by_mail(
    live_server, settings, browser
):
    settings.SITE_URL = live_server.url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _fake_preview(page)
    page.goto(live_server.url + "/")
    page.get_by_label("Email").fill("ada@example.org")
    _type_interests(page)
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    confirm = re.search(r"https?://\S+/confirm/\S+/", mail.outbox[-1].body).group(0)

    page.goto(confirm)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="You're in").wait_for()
    assert re.search(r"next digest on \w{3} 07:00", page.locator("main").inner_text())
    assert audit(page) == []
    page.screenshot(path=ARTIFACTS / "confirmed.png")
    page.get_by_role("link", name="Go to your preferences").click()
    page.get_by_role("heading", name="Your digest").wait_for()

    page.get_by_label("New email address").fill("ada@new.example.org")
    page.get_by_role("button", name="Send a confirmation link").click()
    page.get_by_role("heading", name="Check the new inbox").wait_for()
    assert audit(page) == []
    message = mail.outbox[-1]
    assert message.to == ["ada@new.example.org"]
    page.goto(re.search(r"https?://\S+/email/\S+/", message.body).group(0))
    page.get_by_role("button", name="Confirm new address").click()
    page.get_by_role("heading", name="Your digest now goes to ada@new.example.org").wait_for()
    assert audit(page) == []
    page.screenshot(path=ARTIFACTS / "email-changed.png")
    assert Subscriber.objects.get().email == "ada@new.example.org"
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_archive_lists_past_digests_and_the_site_follows_dark_mode(
    live_server, settings, browser, scheme
):
    settings.SITE_URL = live_server.url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subscriber = SubscriberFactory(email="ada@example.org")
    for day, titles in (
        (date(2026, 6, 11), ("Sparse attention at scale",)),
        (date(2026, 6, 12), ("Speculative decoding, revisited", "Agents that remember")),
    ):
        digest = DigestFactory(subscriber=subscriber, edition_date=day, status="sent")
        for rank, title in enumerate(titles, start=1):
            DigestItemFactory(
                digest=digest, rank=rank, paper=PaperFactory(title=title), why="Efficient inference"
            )
    FeedbackFactory(subscriber=subscriber, paper=PaperFactory(title="Agents that remember, a survey"))
    context = browser.new_context(**DESKTOP, color_scheme=scheme)
    page = context.new_page()

    for name, url in (
        ("archive", links.archive_url(subscriber)),
        ("preferences", links.preferences_url(subscriber)),
        ("signup", live_server.url + "/"),
    ):
        page.goto(url)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (background == "rgb(245, 247, 250)") == (scheme == "light"), (name, background)
        assert audit(page) == [], name
        page.screenshot(path=ARTIFACTS / f"{name}-{scheme}.png", full_page=True)

    page.goto(links.archive_url(subscriber))
    assert page.locator("article h3").all_inner_texts() == ["Friday 12 June 2026", "Thursday 11 June 2026"]
    assert "Agents that remember, a survey" in page.locator("#liked-title + ul").inner_text()
    page.get_by_role("link", name="Friday 12 June 2026").click()
    page.wait_for_url(re.compile(r"/digest/"))
    assert page.get_by_text("View in browser").count() == 0, "the browser view does not link to itself"
    page.get_by_role("link", name="Past digests", exact=True).click()
    page.get_by_role("heading", name="Your past digests").wait_for()
    context.close()
    if scheme == "dark":
        publish_screenshot(ARTIFACTS / "archive-dark.png", "archive-dark.png")
