"""digest/alerts.py: a failed daily run or ingest mails the admins."""

import pytest
from django.core import mail

from digest.ingest import ingest_source
from digest.models import DailyRun, IngestRun
from digest.pipeline import daily_run_fail
from tests.factories import DailyRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins(settings):
    settings.ADMINS = [("Ops", "ops@example.org")]
    settings.SERVER_EMAIL = "Paper Digest <digest@example.org>"


def test_a_failed_daily_run_mails_the_admins(admins):
    run = DailyRunFactory(chunks_total=4, chunks_done=3)

    daily_run_fail(run.pk, "chunk of 1000 subscribers failed: OperationalError('gone')")

    run.refresh_from_db()
    assert run.status == DailyRun.Status.FAILED
    (message,) = mail.outbox
    assert message.to == ["ops@example.org"]
    assert f"Daily run {run.pk} for {run.edition_date}" in message.subject and "failed" in message.subject
    assert "3 of 4 chunks done" in message.body and "OperationalError('gone')" in message.body
    assert "http://testserver/ops/runs/" in message.body


def test_a_failed_ingest_mails_the_admins(admins, tmp_path):
    missing = tmp_path / "gone.json"

    run = ingest_source("hf_daily", path=missing)

    assert run.status == IngestRun.Status.FAILED
    (message,) = mail.outbox
    assert message.subject.endswith("Ingest of hf_daily failed") and str(missing) in message.body


def test_a_good_ingest_mails_nobody(admins, tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text("[]")

    assert ingest_source("hf_daily", path=empty).status == IngestRun.Status.SUCCEEDED
    assert mail.outbox == []


def test_without_admins_nothing_is_sent(settings):
    settings.ADMINS = []
    daily_run_fail(DailyRunFactory().pk, "boom")
    assert mail.outbox == []


def test_a_broken_relay_does_not_hide_the_failure(admins, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    run = DailyRunFactory()

    daily_run_fail(run.pk, "boom")

    run.refresh_from_db()
    assert run.status == DailyRun.Status.FAILED and run.error == "boom"
