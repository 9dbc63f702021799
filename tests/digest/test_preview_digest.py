import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from digest.models import Digest
from tests.factories import DigestFactory, DigestItemFactory, PaperFactory, SubscriberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _preview(*args) -> str:
    out = StringIO()
    call_command("preview_digest", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_renders_a_built_digest_without_sending_it():
    digest = DigestFactory(subscriber__email="ada@example.org", edition_date=dt.date(2026, 11, 23))
    DigestItemFactory(
        digest=digest, rank=1, paper=PaperFactory(title="Equivariant message passing for molecules")
    )

    output = _preview("Ada@example.org", "--date", "2026-11-23")

    assert "To: ada@example.org" in output
    assert "Subject: 1 new paper for you: Equivariant message passing for molecules" in output
    assert "List-Unsubscribe: <http://testserver/unsubscribe/" in output
    assert "1. Equivariant message passing for molecules" in output
    assert mail.outbox == []
    assert Digest.objects.get(pk=digest.pk).status == Digest.Status.PENDING


def test_it_renders_what_the_daily_run_would_pick_and_saves_no_digest():
    SubscriberFactory(email="ada@example.org", profile__interests="graph neural networks for molecules")
    PaperFactory(title="Graph neural networks for molecules", announced_on=dt.date(2026, 11, 23))

    output = _preview("ada@example.org", "--date", "2026-11-23")

    assert "1. Graph neural networks for molecules" in output
    assert "Why you got this: graph neural networks for molecules" in output
    assert "View in browser" not in output  # nothing saved, so nothing to view
    assert not Digest.objects.exists() and mail.outbox == []


def test_it_writes_the_html(tmp_path):
    digest = DigestFactory(subscriber__email="ada@example.org")
    DigestItemFactory(digest=digest, rank=1, paper=PaperFactory(title="Equivariant message passing"))

    _preview("ada@example.org", "--html", str(tmp_path / "digest.html"))

    html = (tmp_path / "digest.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "Equivariant message passing" in html
    assert _preview("ada@example.org", "--html", "-").startswith("<!DOCTYPE html>")


def test_it_says_when_there_is_no_such_subscriber():
    with pytest.raises(CommandError, match="No subscriber"):
        _preview("nobody@example.org")
