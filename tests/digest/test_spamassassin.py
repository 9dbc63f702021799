"""SpamAssassin scores every kind of email we send at most 1.0 (local rules only, no network tests).

Needs Debian's `spamassassin` (bin/test installs it when run as root): skipped on a laptop
without it, a failure in CI.
"""

import re
import shutil
import subprocess

import pytest

from tests.conftest import require_service
from tests.digest.emails_of_every_kind import messages_of_every_kind

pytestmark = pytest.mark.spamassassin


@pytest.fixture(autouse=True)
def _spamassassin_installed():
    require_service(shutil.which("spamassassin") is not None, "spamassassin is not installed")


MAX_SCORE = 1.0
SPAMMY = (
    b"From: winner@lottery.example\r\nTo: you@example.org\r\nSubject: FREE MONEY!!! ACT NOW!!!\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n"
    b"<html><body><font size=7 color=red>YOU ARE A WINNER!!! 100% FREE, GUARANTEED!!! "
    b"Click here to claim your cash prize NOW, limited time offer, risk free, no credit check!!!"
    b"</font></body></html>\r\n"
)


def score(message: bytes) -> tuple[float, str]:
    """(score, rules that fired) from `spamassassin --local --test-mode`."""
    result = subprocess.run(
        ["spamassassin", "--local", "--test-mode"],
        input=message,
        capture_output=True,
        timeout=120,
        check=True,
    )
    headers = result.stdout.split(b"\n\n", 1)[0].decode(errors="replace")
    status = re.search(
        r"^X-Spam-Status: .*?score=(-?[\d.]+).*?tests=(.*?)(?: autolearn|$)", headers, re.M | re.S
    )
    return float(status.group(1)), " ".join(status.group(2).split())


@pytest.mark.django_db
def test_every_email_kind_scores_at_most_one():
    scores = {kind: score(message.message().as_bytes()) for kind, message in messages_of_every_kind().items()}

    assert set(scores) == {
        "confirm",
        "confirm-update",
        "email-change",
        "digest",
        "digest-trending-only",
        "digest-empty",
    }
    assert {kind: s for kind, s in scores.items() if s[0] > MAX_SCORE} == {}


def test_the_check_can_fail():
    assert score(SPAMMY)[0] > MAX_SCORE
