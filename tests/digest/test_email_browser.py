"""Every email as mail clients show it, in headless Chromium.

Clients such as the Gmail app with non-Google accounts and Outlook for Windows
drop the <style> block or its media queries: with only the inlined styles left,
no email may overflow a 375 px phone. Dark mode must stay readable.
Screenshots go to test-artifacts/emails/.
"""

import re
from pathlib import Path

import pytest

from tests.digest.emails_of_every_kind import html_of, messages_of_every_kind
from tests.support.a11y import audit
from tests.support.screenshots import offline_email_images, publish_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "emails"
STYLE_BLOCK = re.compile(r"<style\b.*?</style>", re.S | re.I)
PHONE = 375

# Every element's right edge, in the page's coordinates; the widest wins.
_OVERFLOW_JS = """(width) => {
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 0.5) wide.push(`${el.tagName}.${el.className} ends at ${Math.round(box.right)}px`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 5)};
}"""


def _page(browser, html, *, width, scheme="light"):
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    offline_email_images(page)
    page.set_content(html)
    return page


def test_no_email_overflows_a_phone_without_its_style_block(browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for kind, message in messages_of_every_kind().items():
        html = html_of(message)
        bare = STYLE_BLOCK.sub("", html)
        assert "<style" not in bare and 'style="' in bare, "the styles that matter are inlined"

        page = _page(browser, bare, width=PHONE)
        layout = page.evaluate(_OVERFLOW_JS, PHONE)
        page.screenshot(path=ARTIFACTS / f"{kind}-no-style-375.png", full_page=True)
        page.close()

        assert layout == {"scrollWidth": PHONE, "wide": []}, kind


def test_the_overflow_check_finds_a_fixed_width_card(browser):
    page = _page(browser, '<table width="600" style="width:600px"><tr><td>x</td></tr></table>', width=PHONE)
    layout = page.evaluate(_OVERFLOW_JS, PHONE)
    page.close()
    assert layout["scrollWidth"] > PHONE and layout["wide"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_email_is_readable_in_light_and_dark_mode(browser, scheme):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for kind, message in messages_of_every_kind().items():
        page = _page(browser, html_of(message), width=700, scheme=scheme)
        problems = [p for p in audit(page) if p.startswith(("contrast", "scrolls"))]
        background = page.evaluate("getComputedStyle(document.querySelector('.card')).backgroundColor")
        page.screenshot(path=ARTIFACTS / f"{kind}-{scheme}.png", full_page=True)
        page.close()

        assert problems == [], kind
        assert (background == "rgb(255, 255, 255)") == (scheme == "light"), (kind, background)
    if scheme == "dark":
        publish_screenshot(ARTIFACTS / "digest-dark.png", "digest-email-dark.png")
