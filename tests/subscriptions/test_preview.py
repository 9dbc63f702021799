"""The anonymous /preview costs a bounded amount per request and per client (issue 15, item 3, 8 and Low)."""

import pytest
from django.core.cache import cache

from subscriptions import preview_budget
from subscriptions.forms import PREVIEW_MAX_EXCLUSIONS, PREVIEW_MAX_FACETS, PREVIEW_MAX_PHRASE_CHARS
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

# Twelve long facets and twelve exclusions: ~80 times the work of a typical preview before the bounds.
HEAVY_INTERESTS = "\n".join(
    f"facet {n} " + "graph neural networks for molecular property prediction " * 4 for n in range(12)
)
HEAVY_EXCLUSIONS = "\n".join(f"exclusion {n} medical imaging segmentation" for n in range(12))


@pytest.fixture
def calls(monkeypatch):
    seen = []
    paper = PaperFactory(url="https://arxiv.org/abs/1")

    def picks_for_interests(*, interests, exclusions="", size=5, threshold_mode):
        seen.append((interests, exclusions))
        return [(paper, 0.5, "x")]

    monkeypatch.setattr("subscriptions.views.picks_for_interests", picks_for_interests)
    monkeypatch.setattr("subscriptions.views.papers_per_day", lambda **kwargs: 1)
    return seen


def test_the_preview_is_a_post_so_its_text_stays_out_of_urls_and_access_logs(client, calls):
    assert client.get("/preview", {"interests": "molecules"}).status_code == 405
    # 4,000 characters on many lines: a request line gunicorn would refuse (414) as a GET.
    long_text = "\n".join(["graph neural networks for molecules"] * 110)[:4000]
    response = client.post("/preview", {"interests": long_text})
    assert response.status_code == 200 and response.json()["papers"]


def test_the_work_per_request_is_bounded(client, calls):
    response = client.post("/preview", {"interests": HEAVY_INTERESTS, "exclusions": HEAVY_EXCLUSIONS})

    assert response.status_code == 200
    ((interests, exclusions),) = calls
    facets, excluded = interests.split("\n"), exclusions.split("\n")
    assert len(facets) == PREVIEW_MAX_FACETS and len(excluded) == PREVIEW_MAX_EXCLUSIONS
    assert max(len(piece) for piece in facets + excluded) <= PREVIEW_MAX_PHRASE_CHARS


def test_a_client_that_spent_its_budget_waits_and_others_do_not(client, calls, monkeypatch):
    clock = iter(range(0, 10_000, 2))  # every request "takes" 2 s
    monkeypatch.setattr(preview_budget, "perf_counter", lambda: next(clock))
    monkeypatch.setattr(preview_budget, "wall_clock", lambda: 1_000_000.0 * preview_budget.WINDOW_SECONDS)

    codes = [client.post("/preview", {"interests": "molecules"}).status_code for _ in range(3)]

    assert codes == [200, 200, 429]
    limited = client.post("/preview", {"interests": "molecules"})
    assert int(limited["Retry-After"]) == preview_budget.WINDOW_SECONDS
    assert limited.json() == {"error": "preview budget spent", "retry_after": preview_budget.WINDOW_SECONDS}
    assert len(calls) == 2, "a spent budget runs no ranking at all"
    # Counted in the shared cache (Redis in production), so every worker process sees it.
    assert cache.get(preview_budget._key("127.0.0.1", 1_000_000)) == 4000
    other = client.post("/preview", {"interests": "molecules"}, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 200
    # The page itself, and signing up, never depend on the preview.
    assert client.get("/").status_code == 200


def test_the_budget_comes_back_in_the_next_window():
    now = 1_000_000 * preview_budget.WINDOW_SECONDS + 5.0
    preview_budget.spend("198.51.100.1", preview_budget.BUDGET_SECONDS, now=now)
    assert (
        preview_budget.seconds_until_available("198.51.100.1", now=now) == preview_budget.WINDOW_SECONDS - 5
    )
    assert (
        preview_budget.seconds_until_available("198.51.100.1", now=now + preview_budget.WINDOW_SECONDS) == 0
    )


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,x",
        "//evil.example/x",
    ],
)
def test_the_preview_json_never_returns_a_non_http_url(client, monkeypatch, url):
    paper = PaperFactory(url=url, arxiv_id=None)
    monkeypatch.setattr("subscriptions.views.picks_for_interests", lambda **kwargs: [(paper, 0.5, "x")])
    assert client.post("/preview", {"interests": "molecules"}).json()["papers"][0]["url"] == ""
