import html
import re
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from digest.models import Digest
from ops.views import OPS_PERMISSIONS
from tests.factories import DailyRunFactory, DigestFactory, DigestItemFactory, PaperFactory, SubscriberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]

PAGES = ["ops:dashboard", "ops:inspector", "ops:preview", "ops:runs"]


def _permissions(names):
    return [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in (name.split(".") for name in names)
    ]


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("ops", password="pw", is_staff=True)
    user.user_permissions.set(_permissions(OPS_PERMISSIONS))
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", PAGES)
def test_it_sends_anonymous_users_to_the_admin_login(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("name", PAGES)
def test_it_refuses_logged_in_users_who_are_not_staff(client, django_user_model, name):
    client.force_login(django_user_model.objects.create_user("reader", password="pw"))

    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_it_shows_the_dashboard_figures(staff_client):
    DigestFactory.create_batch(3, status=Digest.Status.SENT)
    DigestFactory(status=Digest.Status.FAILED)

    response = staff_client.get(reverse("ops:dashboard"), {"days": 7})

    assert response.status_code == 200
    assert b'data-figure="digests-today-sent">3<' in response.content
    assert b'data-figure="digests-today-failed">1<' in response.content
    assert b'data-figure="subscribers-active">4<' in response.content
    assert b"Digests per edition date (sent, failed, skipped, in flight)" in response.content


@pytest.mark.parametrize("name", ["ops:dashboard", "ops:inspector", "ops:runs"])
def test_its_pages_load_nothing_from_elsewhere_and_draw_charts_on_the_server(staff_client, name):
    DigestItemFactory()

    html = staff_client.get(reverse(name)).content.decode()

    assert not re.search(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""", html)
    if name == "ops:dashboard":
        assert html.count("chart-card") == 6 and "<svg" in html and "<script" not in html


def test_it_ignores_an_out_of_range_window(staff_client):
    response = staff_client.get(reverse("ops:dashboard"), {"days": "99999"})

    assert response.status_code == 200
    assert response.context["overview"].window.days == 30


def test_it_opens_the_single_subscriber_a_search_finds(staff_client):
    item = DigestItemFactory(why="graph neural networks", digest__subscriber__email="ada@example.org")

    response = staff_client.get(reverse("ops:inspector"), {"q": "ada@", "date": item.digest.edition_date})

    assert response.context["digest"] == item.digest
    assert [p.why for p in response.context["picks"]] == ["graph neural networks"]
    assert b"graph neural networks" in response.content


def test_it_lists_subscribers_when_a_search_finds_several(staff_client):
    SubscriberFactory(email="a1@lab.org")
    SubscriberFactory(email="a2@lab.org")

    response = staff_client.get(reverse("ops:inspector"), {"q": "lab.org"})

    assert b"2 subscribers match" in response.content
    assert "digest" not in response.context


def test_it_previews_what_a_subscriber_would_get_when_no_digest_exists(staff_client, monkeypatch):
    subscriber = SubscriberFactory(confirmed_at=datetime(2025, 6, 1, tzinfo=UTC))
    paper = DigestItemFactory().paper
    monkeypatch.setattr("ops.inspector.picks_for_subscriber", lambda sub, day: [(paper, 0.8, "transformers")])

    response = staff_client.get(reverse("ops:inspector"), {"subscriber": subscriber.pk, "date": "2026-01-05"})

    assert response.context["is_preview"] is True
    assert response.context["edition_date"] == date(2026, 1, 5)
    # Daily at 07:00 UTC: due on 5 January, and no digest: that slot did not run.
    assert b"Due at 2026-01-05 07:00 UTC (07:00 UTC), but no digest was built" in response.content
    assert b"what they would get now" in response.content and paper.title.encode() in response.content


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"frequency": "weekly", "weekly_day": 4},
            "Not due: a weekly reader, on Fridays only (Monday 2026-01-05).",
        ),
        ({"status": "paused"}, "Paused: no digest is built for this reader."),
    ],
)
def test_it_does_not_preview_a_reader_who_was_not_due(staff_client, monkeypatch, fields, reason):
    subscriber = SubscriberFactory(confirmed_at=datetime(2025, 6, 1, tzinfo=UTC), **fields)
    monkeypatch.setattr("ops.inspector.picks_for_subscriber", pytest.fail)

    response = staff_client.get(reverse("ops:inspector"), {"subscriber": subscriber.pk, "date": "2026-01-05"})

    assert "is_preview" not in response.context
    assert response.context["no_digest"].reason == reason and reason.encode() in response.content


def test_it_shows_the_readers_schedule_interests_and_why_a_digest_is_empty(staff_client):
    subscriber = SubscriberFactory(
        timezone="Europe/Berlin",
        send_hour=8,
        frequency="weekly",
        weekly_day=0,
        profile__interests="Sparse retrieval",
        profile__exclusions="speech",
    )
    DigestFactory(
        subscriber=subscriber,
        edition_date=date(2026, 1, 5),
        status=Digest.Status.SKIPPED,
        empty_reason="below_threshold",
        empty_detail="best score 0.31, threshold 0.50",
    )

    response = staff_client.get(reverse("ops:inspector"), {"subscriber": subscriber.pk, "date": "2026-01-05"})

    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())
    assert "Schedule Weekly, Mondays at 08:00 Europe/Berlin" in text
    assert "Interests Sparse retrieval" in text and "Exclusions speech" in text
    assert (
        "Why no papers Nothing scored above the reader's threshold (best score 0.31, threshold 0.50)" in text
    )


def test_it_previews_a_free_form_interests_text(staff_client, monkeypatch):
    calls = []

    paper = PaperFactory(title="Tiny LLMs")

    def picks(*, interests, exclusions, size):
        calls.append((interests, exclusions, size))
        return [(paper, 0.7, "small models")]

    monkeypatch.setattr("ops.inspector.picks_for_interests", picks)

    response = staff_client.get(
        reverse("ops:preview"), {"interests": "small models", "exclusions": "", "size": 3}
    )

    assert calls == [("small models", "", 3)]
    assert b"Tiny LLMs" in response.content and b"small models" in response.content


def test_it_shows_the_runs_page_with_the_failure_banner(staff_client):
    DailyRunFactory(status="failed", error="broker unreachable")

    response = staff_client.get(reverse("ops:runs"))

    assert b'data-banner="error"' in response.content
    assert b"broker unreachable" in response.content


@pytest.mark.parametrize("name", PAGES)
def test_it_refuses_staff_without_the_models_permissions(client, django_user_model, name):
    SubscriberFactory(email="secret@example.org")
    client.force_login(django_user_model.objects.create_user("bare", password="pw", is_staff=True))

    response = client.get(reverse(name), {"q": "@"})

    assert response.status_code == 403
    assert b"secret@example.org" not in response.content


def test_the_inspector_needs_permission_to_view_subscribers(client, django_user_model):
    SubscriberFactory(email="secret@example.org")
    user = django_user_model.objects.create_user("partial", password="pw", is_staff=True)
    user.user_permissions.set(_permissions(["digest.view_digest", "digest.view_paper"]))
    client.force_login(user)

    assert client.get(reverse("ops:inspector"), {"q": "@"}).status_code == 403
    user.user_permissions.add(*_permissions(["subscriptions.view_subscriber"]))
    assert b"secret@example.org" in client.get(reverse("ops:inspector"), {"q": "@"}).content


@pytest.mark.parametrize("name", ["ops:dashboard", "ops:inspector"])
def test_a_javascript_paper_url_is_never_a_live_link(staff_client, name):
    item = DigestItemFactory(
        paper__url="javascript:alert(document.cookie)",
        paper__arxiv_id=None,
        digest__status=Digest.Status.SENT,
    )
    query = (
        {"subscriber": item.digest.subscriber_id, "date": item.digest.edition_date}
        if name == "ops:inspector"
        else {}
    )

    html = staff_client.get(reverse(name), query).content.decode()

    assert item.paper.title in html
    assert "javascript:" not in html
