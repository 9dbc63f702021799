"""The operator pages in a real headless Chromium, against a live server.

The data is a fortnight of realistic history: the sample corpus spread over 14
announcement days, subscribers with interests, digests whose picks match those
interests by keyword, runs and feedback. Screenshots land in test-artifacts/;
UPDATE_SCREENSHOTS=1 also copies them to docs/screenshots/ for the README.
"""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db.models import Count
from django.utils import timezone

from digest.data import SAMPLE_CORPUS
from digest.ingest import records_upsert
from digest.models import DailyRun, Digest, DigestItem, IngestRun, Paper, ScheduleSlot
from digest.sources.jsonfile import parse_json_papers
from ops.views import OPS_PERMISSIONS
from subscriptions.models import Feedback, Subscriber, SubscriberStatusChange
from tests.factories import (
    DailyRunFactory,
    DigestFactory,
    DigestItemFactory,
    FeedbackFactory,
    IngestRunFactory,
    SubscriberFactory,
)
from tests.support.screenshots import publish_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = settings.BASE_DIR / "test-artifacts"
HISTORY_DAYS = 14
PASSWORD = "correct horse battery staple"

# (email, interests): each line is a facet, with the title words that make a paper match it.
READERS = [
    (
        "ada@example.org",
        {"Retrieval and ranking": ("retriev", "rank"), "Sentence embeddings": ("embedding",)},
    ),
    (
        "ben@example.org",
        {"Neural PDE solvers": ("pde", "fluid", "physics"), "Graph neural networks": ("graph",)},
    ),
    (
        "chloe@example.org",
        {"Medical imaging": ("medical", "mri", "segmentation"), "Diffusion models": ("diffusion",)},
    ),
    (
        "dan@example.org",
        {"Efficient inference": ("quantiz", "pruning", "sparse", "efficient"), "Distillation": ("distill",)},
    ),
    (
        "eve@example.org",
        {"Reinforcement learning": ("reinforcement", "policy", "reward"), "Agents": ("agent",)},
    ),
    ("fay@example.org", {"Large language models": ("language model", "llm"), "Reasoning": ("reason",)}),
    ("gus@example.org", {"Video generation": ("video",), "3D vision": ("3d", "nerf", "gaussian")}),
    (
        "hana@example.org",
        {"Speech and audio": ("speech", "audio"), "Multilingual NLP": ("multilingual", "translation")},
    ),
]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user("operator", password=PASSWORD, is_staff=True)
    user.user_permissions.set(
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in (name.split(".") for name in OPS_PERMISSIONS)
    )
    return user


@pytest.fixture
def history():
    """A fortnight of papers, subscribers, digests, runs and feedback ending today."""
    rng = random.Random(7)
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in range(HISTORY_DAYS - 1, -1, -1)]
    _ingest_sample_corpus(days)
    readers = []
    for position, (email, facets) in enumerate(READERS):
        subscriber = SubscriberFactory(email=email, profile__interests="\n".join(facets))
        joined = days[min(position, len(days) - 1)]
        Subscriber.objects.filter(pk=subscriber.pk).update(
            created_at=_at(joined, 8), confirmed_at=_at(joined, 9)
        )
        readers.append((subscriber, facets, joined))
    for n, day in enumerate(days):
        if n % 3 == 0:
            waiting = SubscriberFactory(
                status=Subscriber.Status.PENDING, confirmed_at=None
            )  # not confirmed yet
            Subscriber.objects.filter(pk=waiting.pk).update(created_at=_at(day, 11))
        if n % 4 == 3:
            gone = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)
            Subscriber.objects.filter(pk=gone.pk).update(
                created_at=_at(days[0]), confirmed_at=_at(days[0], 13), unsubscribed_at=_at(day, 15)
            )
    Subscriber.objects.filter(email="hana@example.org").update(status=Subscriber.Status.PAUSED)
    _date_status_history(paused_on=_at(days[-3], 10))
    for day in days:
        _edition(day, readers, rng, failed_run=(day == days[-4]))
    return {"today": today, "days": days}


def _date_status_history(*, paused_on):
    """The trigger dated every status change today; date them as the backdated rows say."""
    SubscriberStatusChange.objects.all().delete()
    rows = []
    for sub in Subscriber.objects.order_by("pk"):
        steps = [("pending", sub.created_at)]
        if sub.confirmed_at:
            steps.append(("active", sub.confirmed_at))
        if sub.unsubscribed_at:
            steps.append(("unsubscribed", sub.unsubscribed_at))
        if sub.status == Subscriber.Status.PAUSED:
            steps.append(("paused", paused_on))
        previous = ""
        for status, when in steps:
            rows.append(
                SubscriberStatusChange(
                    subscriber=sub, status=status, previous_status=previous, changed_at=when
                )
            )
            previous = status
    SubscriberStatusChange.objects.bulk_create(rows)


def _ingest_sample_corpus(days):
    lines = SAMPLE_CORPUS.read_text().splitlines()
    for n, day in enumerate(days):
        records, _ = parse_json_papers("\n".join(lines[n :: len(days)]), announced_on=day)
        for source, part in (("hf_page", records[::2]), ("file", records[1::2])):
            counts = records_upsert(part)
            run = IngestRunFactory(
                source=source,
                params={"day": day.isoformat()},
                fetched=len(part),
                created=counts.created,
                updated=counts.updated,
                unchanged=counts.unchanged,
                failed=counts.failed,
            )
            IngestRun.objects.filter(pk=run.pk).update(
                started_at=_at(day, 5), finished_at=_at(day, 5) + timedelta(seconds=40 + len(part))
            )


def _edition(day, readers, rng, *, failed_run):
    papers = list(Paper.objects.filter(announced_on=day).order_by("pk"))
    run = DailyRunFactory(
        edition_date=day, papers=len(papers), subscribers=0, digests_built=0, digests_skipped=0
    )
    built = skipped = 0
    for subscriber, facets, joined in readers:
        if joined > day:
            continue
        picks = _keyword_picks(papers, facets, rng)
        status = Digest.Status.SENT if picks else Digest.Status.SKIPPED
        if picks and rng.random() < 0.08:
            status = Digest.Status.FAILED
        digest = DigestFactory(
            subscriber=subscriber,
            edition_date=day,
            status=status,
            attempts=1 + (status == Digest.Status.FAILED) * 4,
            last_error="550 5.1.1 mailbox unavailable" if status == Digest.Status.FAILED else "",
        )
        if status == Digest.Status.SENT:
            Digest.objects.filter(pk=digest.pk).update(sent_at=_at(day, 7, minute=rng.randrange(60)))
        for rank, (score, paper, why) in enumerate(picks, 1):
            DigestItemFactory(digest=digest, paper=paper, rank=rank, score=score, why=why)
            if rng.random() < 0.25:
                feedback = FeedbackFactory(
                    subscriber=subscriber,
                    paper=paper,
                    signal=Feedback.Signal.MORE if rng.random() < 0.75 else Feedback.Signal.LESS,
                )
                Feedback.objects.filter(pk=feedback.pk).update(
                    created_at=_at(day, 9, minute=rng.randrange(60))
                )
        built, skipped = built + bool(picks), skipped + (not picks)
    DailyRun.objects.filter(pk=run.pk).update(
        started_at=_at(day, 6),
        finished_at=_at(day, 6) + timedelta(seconds=95 + 3 * built),
        subscribers=built + skipped,
        digests_built=built,
        digests_skipped=skipped,
        **(
            {
                "status": DailyRun.Status.FAILED,
                "error": "SMTPServerDisconnected: Connection unexpectedly closed",
            }
            if failed_run
            else {}
        ),
    )


def _keyword_picks(papers, facets, rng, size=5):
    picks = []
    for paper in papers:
        text = f"{paper.title} {paper.abstract}".lower()
        for facet, words in facets.items():
            hits = sum(text.count(word) for word in words)
            if hits:
                picks.append((round(min(0.35 + 0.06 * hits + rng.uniform(0, 0.15), 0.95), 3), paper, facet))
                break
    return sorted(picks, key=lambda pick: (-pick[0], pick[1].pk))[:size]


def _at(day, hour=12, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _login(page, live_server, username, password=PASSWORD):
    page.goto(f"{live_server.url}/admin/login/?next=/ops/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    publish_screenshot(ARTIFACTS / f"{name}.png", f"{name}.png")


def _figure(page, name) -> int:
    return int(page.locator(f'[data-figure="{name}"]').inner_text())


def test_it_shows_the_dashboard_figures_of_the_database(page, live_server, staff, history):
    today = history["today"]
    _login(page, live_server, staff.username)
    page.goto(f"{live_server.url}/ops/?days={HISTORY_DAYS}")

    assert page.locator("h1").inner_text() == "Dashboard"
    for status in Subscriber.Status:
        expected = Subscriber.objects.filter(status=status).count()
        assert _figure(page, f"subscribers-{status.label.lower().replace(' ', '-')}") == expected
    for name, status in (("sent", "sent"), ("failed", "failed"), ("skipped", "skipped")):
        assert (
            _figure(page, f"digests-today-{name}")
            == Digest.objects.filter(edition_date=today, status=status).count()
        )

    # The digests chart's data table, row by row, against a count per edition date.
    table = page.locator('table[data-chart="digests-per-edition-date"]')
    headers = [h.strip() for h in table.locator("thead th").all_text_contents()]
    sent_column = headers.index("sent")
    for day in history["days"]:
        row = table.locator("tbody tr", has=page.locator(f'th:text-is("{day:%m-%d}")'))
        cells = row.locator("th, td").all_text_contents()
        assert int(cells[sent_column]) == Digest.objects.filter(edition_date=day, status="sent").count()

    # The subscribers chart's last day is today's exact split by status.
    table = page.locator('table[data-chart="subscribers-over-time"]')
    headers = [h.strip() for h in table.locator("thead th").all_text_contents()]
    last = table.locator("tbody tr").last.locator("th, td").all_text_contents()
    assert last[0] == f"{today:%m-%d}"
    for status in Subscriber.Status:
        assert int(last[headers.index(status.value)]) == Subscriber.objects.filter(status=status).count()

    expected_top = list(
        DigestItem.objects.filter(digest__edition_date=today)
        .values_list("paper_id")
        .annotate(n=Count("digest"))
        .order_by("-n", "paper_id")[:10]
    )
    rows = page.locator("#top-papers tbody tr")
    shown = [
        (int(rows.nth(i).get_attribute("data-paper-id")), int(rows.nth(i).locator("td.num").inner_text()))
        for i in range(rows.count())
    ]
    assert shown == expected_top
    _shot(page, "ops-dashboard")


def test_it_shows_what_a_subscriber_got_and_why(page, live_server, staff, history):
    digest = (
        Digest.objects.filter(subscriber__email="ada@example.org", status="sent", items__isnull=False)
        .order_by("-edition_date")
        .first()
    )
    _login(page, live_server, staff.username)
    page.goto(f"{live_server.url}/ops/inspector/")
    page.fill("#id_q", "ada@")
    page.fill("#id_date", digest.edition_date.isoformat())
    page.get_by_role("button", name="Inspect", exact=True).click()

    assert page.locator('[data-field="status"]').inner_text() == "Sent"
    assert int(page.locator('[data-field="attempts"]').inner_text()) == digest.attempts
    rows = page.locator("#digest-items tbody tr")
    shown = [
        (rows.nth(i).locator("td.title").inner_text(), rows.nth(i).locator("td.why").inner_text())
        for i in range(rows.count())
    ]
    expected = [
        (item.paper.title, item.why) for item in digest.items.select_related("paper").order_by("rank")
    ]
    assert shown == expected
    _shot(page, "ops-inspector")


def test_it_tells_a_failed_run_from_a_day_without_papers(page, live_server, staff, history):
    _login(page, live_server, staff.username)
    page.goto(f"{live_server.url}/ops/runs/")

    assert page.locator("[data-banner]").get_attribute("data-banner") == "ok"
    assert page.locator("#daily-runs tbody tr").count() == HISTORY_DAYS
    assert page.locator("#daily-runs").get_by_text("SMTPServerDisconnected").count() == 1
    _shot(page, "ops-runs")

    DailyRun.objects.filter(edition_date=history["today"]).update(papers=0)
    page.reload()
    assert page.locator("[data-banner]").inner_text().startswith("No papers today")


def test_it_refuses_a_user_who_is_not_staff(page, live_server, django_user_model):
    django_user_model.objects.create_user("reader", password=PASSWORD)
    _login(page, live_server, "reader")

    assert "staff account" in page.content()
    page.goto(f"{live_server.url}/ops/")
    assert page.url.startswith(f"{live_server.url}/admin/login/")
    page.goto(f"{live_server.url}/ops/inspector/?q=ada")
    assert page.url.startswith(f"{live_server.url}/admin/login/")


def test_the_banner_is_red_for_a_failed_ingest_and_amber_for_a_late_slot(page, live_server, staff, settings):
    """The banner shows the worst current state, whatever the latest run says."""
    settings.SOURCES_DAILY = ["hf_daily"]
    now = timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    ScheduleSlot.objects.create(at=hour)
    DailyRunFactory(edition_date=now.date(), papers=12, digests_built=3)
    IngestRunFactory(source="hf_daily", status=IngestRun.Status.FAILED, errors=["HTTP 503 from the source"])
    _login(page, live_server, staff.username)
    page.goto(f"{live_server.url}/ops/runs/")

    banner = page.locator("[data-banner]")
    assert banner.get_attribute("data-banner") == "error"
    assert banner.inner_text().startswith("Ingest of hf_daily failed")
    red = banner.evaluate("element => getComputedStyle(element).backgroundColor")
    _shot(page, "ops-banner-failed-ingest")

    # The source recovers; a slot missed in an outage went out three hours late.
    IngestRunFactory(source="hf_daily")
    DailyRunFactory(
        edition_date=now.date(),
        slot=f"{hour - timedelta(hours=3):%H}:00 UTC",
        scheduled_for=hour - timedelta(hours=3),
    )
    page.reload()

    assert banner.get_attribute("data-banner") == "warning"
    assert banner.inner_text().startswith("Sent late")
    amber = banner.evaluate("element => getComputedStyle(element).backgroundColor")
    assert amber != red
    assert page.locator("#daily-runs [data-late]").count() == 1
    _shot(page, "ops-banner-late-slot")
