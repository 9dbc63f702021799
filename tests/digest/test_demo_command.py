"""manage.py demo: what it loads, what it sends, and what it says on a second run."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from digest.models import Digest, IngestRun
from ops import selectors
from subscriptions.models import Subscriber

# Committed for real, as on a laptop: the on-commit sends run before the command prints.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def outbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "core.file_backend.FileEmailBackend"
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    return settings.EMAIL_OUTBOX_DIR


def demo() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("demo", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_sends_the_demo_digests_once_and_says_so_on_a_second_run(outbox):
    # One test for both runs: embedding the 343 sample papers is most of its time.
    out, err = demo()

    ingest = IngestRun.objects.get()
    assert (ingest.source, ingest.status, ingest.created) == ("file", IngestRun.Status.SUCCEEDED, 343)
    assert "Sample papers: 343 read, 343 new" in out
    # So the dashboard's "Papers created by ingest" counts them.
    assert selectors.papers_created_per_day_by_source(selectors.window_for(days=1)) == {"file": [343]}
    assert Subscriber.objects.count() == 5
    sent = Digest.objects.filter(status=Digest.Status.SENT).count()
    assert sent >= 1 and len(re.findall(r" sent \d+ papers: ", out)) == sent
    assert f"Open the emails: {outbox / 'index.html'}" in out
    # The long steps say what they are doing; the services' log lines do not leak.
    assert "Embedding 343 new papers" in err and "Scoring 5 demo subscribers" in err
    assert "INFO" not in out + err
    emails = sorted(outbox.glob("*.eml"))

    out, err = demo()

    assert not re.search(r" sent \d+ papers", out)
    assert out.count("already sent at") == sent
    assert "Nothing was sent this time" in out and f"({sent} digests went out earlier today" in out
    assert "Embedding" not in err
    assert sorted(outbox.glob("*.eml")) == emails
    assert IngestRun.objects.latest("started_at").unchanged == 343
