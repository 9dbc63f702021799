import pytest
from celery.exceptions import Retry

from digest import tasks
from digest.models import Digest
from tests.factories import DigestFactory, DigestItemFactory

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _digest(email):
    digest = DigestFactory(subscriber__email=email)
    DigestItemFactory(digest=digest, rank=1)
    return digest


@pytest.fixture
def retries(settings, monkeypatch):
    """Run the task as a worker would (not eagerly), recording its retry requests."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    asked = []

    def retry(**kwargs):
        asked.append(kwargs)
        return Retry()

    monkeypatch.setattr(tasks.send_digest_chunk, "retry", retry)
    return asked


def test_it_retries_only_the_deferred_digests_with_a_doubling_wait(smtp_server, retries):
    busy = _digest("busy@example.org")
    fine = _digest("fine@example.org")
    smtp_server.handler.rcpt_replies["busy@example.org"] = ["451 4.7.1 Try again later"]

    for attempt in range(3):
        with pytest.raises(Retry):
            tasks.send_digest_chunk.apply(args=[[busy.pk, fine.pk]], retries=attempt)

    assert [r["args"] for r in retries] == [([busy.pk],)] * 3
    assert [r["countdown"] for r in retries] == [60, 120, 240]
    assert [m["To"] for m in smtp_server.messages] == ["fine@example.org"]
    assert Digest.objects.get(pk=busy.pk).status == Digest.Status.PENDING


def test_it_leaves_deferred_digests_to_the_sweep_after_the_last_retry(smtp_server, retries):
    busy = _digest("busy@example.org")
    smtp_server.handler.rcpt_replies["busy@example.org"] = ["451 4.7.1 Try again later"]

    result = tasks.send_digest_chunk.apply(args=[[busy.pk]], retries=tasks.MAX_SEND_RETRIES).get()

    assert retries == [] and result == {"sent": 0, "failed": 0, "retry": 1}


def test_it_does_not_retry_a_permanent_failure(smtp_server, retries):
    gone = _digest("gone@example.org")
    smtp_server.handler.rcpt_replies["gone@example.org"] = ["550 5.1.1 No such user"]

    result = tasks.send_digest_chunk.apply(args=[[gone.pk]]).get()

    assert retries == [] and result == {"sent": 0, "failed": 1, "retry": 0}
