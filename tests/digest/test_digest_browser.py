"""The digest as a reader sees it: the real email HTML in headless Chromium, and its links on a live server.

Screenshots go to test-artifacts/digest/; with UPDATE_SCREENSHOTS=1 also to docs/screenshots/
(digest-email.png and digest-email-phone.png, the README's pictures).
"""

import re
from datetime import date
from pathlib import Path

import pytest

from digest.build import digests_build
from digest.delivery import digests_send
from digest.ingest import records_upsert
from digest.models import Digest
from digest.sources.hf_daily import parse_hf_daily
from subscriptions.models import Subscriber
from tests.factories import SubscriberFactory
from tests.support.screenshots import offline_email_images, publish_screenshot
from tests.support.smtp import parts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "sources" / "hf_daily_papers_2026-06-12.json"
ARTIFACTS = ROOT / "test-artifacts" / "digest"
EDITION = date(2026, 6, 12)
INTERESTS = (
    "LLM agents: memory, tool use and web search\n"
    "Efficient inference: sparse attention and speculative decoding\n"
    "Image generation with diffusion models"
)


def _send_real_digest(smtp_server):
    """A Hugging Face Daily Papers capture in, ranked for a real profile, sent over SMTP."""
    records, errors = parse_hf_daily(FIXTURE.read_bytes(), day=EDITION)
    assert not errors
    records_upsert(records)
    subscriber = SubscriberFactory(email="ada@example.org", digest_size=6, profile__interests=INTERESTS)
    pending, _ = digests_build(subscriber_ids=[subscriber.pk], edition_date=EDITION)
    assert digests_send(digest_ids=pending).sent == pending
    [message] = smtp_server.messages
    return subscriber, message


def test_the_digest_reads_well_in_a_browser_and_its_links_work(live_server, settings, smtp_server, browser):
    settings.SITE_URL = live_server.url
    subscriber, message = _send_real_digest(smtp_server)
    text, html = parts(message)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    # The email as a mail client shows it, at desktop and phone widths.
    desktop = browser.new_page(viewport={"width": 700, "height": 900})
    offline_email_images(desktop)
    desktop.set_content(html)
    titles = desktop.locator("a.title")
    # Six picks for the profile, then the day's three most upvoted others under "Trending today".
    assert titles.count() == 6 + 3
    assert titles.first.inner_text() in text
    assert desktop.get_by_text("Why you got this:").count() == 6 + 3
    assert desktop.get_by_text("Why you got this: trending:").count() == 3
    assert desktop.locator("td.section").last.inner_text() == "TRENDING TODAY"
    assert desktop.get_by_text("upvotes").count() >= 1
    desktop.screenshot(path=ARTIFACTS / "digest-email.png", full_page=True)
    phone = browser.new_page(viewport={"width": 375, "height": 800})
    offline_email_images(phone)
    phone.set_content(html)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scrolling on a phone"
    phone.screenshot(path=ARTIFACTS / "digest-email-phone.png", full_page=True)

    # "View in browser" is the same digest on our site.
    desktop.get_by_role("link", name="View in browser").click()
    desktop.wait_for_url(re.compile(r"/digest/"))
    assert desktop.locator("a.title").all_inner_texts() == titles.all_inner_texts()

    # "Less like this" asks (link scanners open links too), the button records; "Unsubscribe" asks, then unsubscribes.
    desktop.get_by_role("link", name="− Less like this").first.click()
    desktop.get_by_role("button", name="Yes, fewer like this").click()
    desktop.get_by_role("button", name="Undo").wait_for()
    assert subscriber.feedback.get().signal == -1
    desktop.go_back()
    desktop.go_back()
    desktop.get_by_role("link", name="Unsubscribe").click()
    desktop.get_by_role("button", name="Unsubscribe").click()
    desktop.get_by_role("heading", name="You are unsubscribed").wait_for()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert Digest.objects.get(subscriber=subscriber).status == Digest.Status.SENT

    publish_screenshot(ARTIFACTS / "digest-email.png", "digest-email.png")
    publish_screenshot(ARTIFACTS / "digest-email-phone.png", "digest-email-phone.png")
