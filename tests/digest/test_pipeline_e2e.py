"""Sample papers in -> a real Celery worker on Redis scores and sends -> a real SMTP server receives."""

import pytest
from django.db import connection
from django.utils import timezone

from digest.models import DailyRun, Digest
from digest.pipeline import daily_run_start
from tests.factories import SubscriberFactory
from tests.support.smtp import parts
from tests.support.workers import wait_for

# What a person reading each profile would expect near the top of the digest.
PROFILES = {
    "cfd@example.org": (
        "Machine learning for computational fluid dynamics and neural PDE solvers",
        {"CFDBench", "Text2PDE", "DrivAerNet", "Neural Operator", "SineNet", "PDE"},
    ),
    "ir@example.org": (
        "Dense retrieval and learned sparse representations for search",
        {"SPLADE", "Retrieval", "Ranking", "Dense", "Sparse"},
    ),
    "med@example.org": (
        "Deep learning for medical imaging: MRI, CT and pathology",
        {"MR", "MRI", "CT", "Patholog", "Cardiac", "Medical", "breast"},
    ),
}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_scores_and_sends_on_a_real_worker(sample_papers, smtp_server, celery_worker_on_redis):
    for email, (interests, _) in PROFILES.items():
        SubscriberFactory(email=email, profile__interests=interests)
    today = timezone.now().date()

    run = daily_run_start(edition_date=today)

    assert wait_for(
        lambda: Digest.objects.filter(edition_date=today, status=Digest.Status.SENT).count() == 3,
        timeout=180,
        interval=0.5,
    )
    assert wait_for(
        lambda: DailyRun.objects.get(pk=run.pk).finished_at is not None, timeout=180, interval=0.5
    )
    run.refresh_from_db()
    assert (run.status, run.digests_built, run.chunks_done) == ("succeeded", 3, run.chunks_total)
    assert len(smtp_server.messages) == 3
    for email, (_, expected_words) in PROFILES.items():
        [message] = smtp_server.handler.to(email)
        text, html = parts(message)
        titles = [
            line.split(". ", 1)[1]
            for line in text.splitlines()
            if line[:2].strip().rstrip(".").isdigit() and ". " in line
        ]
        # Five picks, then the day's three most upvoted other papers ("Trending today").
        assert len(titles) == 5 + 3 and "== Trending today ==" in text
        hits = [t for t in titles[:5] if any(word.lower() in t.lower() for word in expected_words)]
        assert len(hits) >= 3, (email, titles)
        assert titles[0] in html


@pytest.mark.django_db(transaction=True)
def test_it_sends_nothing_twice_when_the_daily_run_repeats(sample_papers, smtp_server):
    for email, (interests, _) in PROFILES.items():
        SubscriberFactory(email=email, profile__interests=interests)
    today = timezone.now().date()

    daily_run_start(edition_date=today)
    daily_run_start(edition_date=today)

    assert len(smtp_server.messages) == 3
    assert Digest.objects.filter(edition_date=today).count() == 3
    assert {m["To"] for m in smtp_server.messages} == set(PROFILES)


def test_ci_runs_on_postgresql():
    import os

    if os.environ.get("CI", "").lower() == "true":
        assert connection.vendor == "postgresql"
