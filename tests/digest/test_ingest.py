import io
from datetime import date
from unittest import mock

import pytest
import requests

from digest.data import SAMPLE_CORPUS
from digest.ingest import ingest_daily, ingest_source, records_upsert
from digest.models import IngestRun, Paper
from digest.sources.records import PaperRecord
from tests.digest.sources import FIXTURES
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


# (source, fixture, fetched, created, failed): every recorded response, into an empty database.
EVERY_FIXTURE = [
    ("hf_daily", "hf_daily_papers_2026-06-12.json", 30, 30, 0),
    ("hf_daily", "hf_daily_papers_2026-07-31_subset.json", 5, 5, 0),
    ("hf_daily", "hf_daily_papers_2024-05-29_legacy.json", 8, 8, 0),
    ("arxiv_api", "arxiv_api_query_cs.LG-OR-cs.AI_2026-04-30.atom.xml", 20, 20, 0),
    ("arxiv_api", "arxiv_api_query_transformer-AND-cs.LG_2026-06-14.atom.xml", 5, 5, 0),
    ("arxiv_api", "arxiv_api_query_electron-AND-proton_2025-11-11.atom.xml", 10, 10, 0),
    ("arxiv_api", "arxiv_api_idlist_partly-missing_2025-11-11.atom.xml", 1, 1, 0),
    ("arxiv_api", "arxiv_api_idlist_not-found_2025-11-11.atom.xml", 0, 0, 0),
    ("arxiv_api", "arxiv_api_legacy_query_electron-AND-proton_2025-08-20.atom.xml", 10, 10, 0),
    ("arxiv_api", "arxiv_api_legacy_idlist_partly-missing_2025-08-24.atom.xml", 4, 1, 3),
    ("arxiv_api", "arxiv_api_legacy_idlist_not-found_2025-08-20.atom.xml", 0, 0, 0),
    ("arxiv_api", "arxiv_api_idlist_synthetic_hf-overlap.atom.xml", 1, 1, 0),
    ("arxiv_api", "arxiv_api_synthetic_latex-quirks.atom.xml", 2, 2, 0),
    ("arxiv_api", "arxiv_api_query_testing_100entries_2026-04-12.atom.xml", 100, 100, 0),
    ("arxiv_api", "arxiv_api_idlist_old-style-id_2026-05-11.atom.xml", 1, 1, 0),
    ("arxiv_api", "arxiv_api_idlist_one-missing_2026-04-12.atom.xml", 1, 1, 0),
    ("arxiv_rss", "arxiv_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_4items.xml", 4, 4, 0),
    ("arxiv_rss", "arxiv_rss_cs.AI_2026-04-27_3items.xml", 3, 3, 0),
    ("arxiv_rss", "arxiv_rss_cs.CL_2026-08-01_weekend-empty.xml", 0, 0, 0),
    ("arxiv_rss", "arxiv_rss_synthetic_replace-cross.xml", 2, 1, 1),
    ("arxiv_rss", "arxiv_rss1_hep-ex_2018-05-23_3items.rdf.xml", 3, 3, 0),
    ("arxiv_rss", "arxiv_rss1_hep-ex_2021-07-08_3items.rdf.xml", 3, 3, 0),
    ("arxiv_oai", "arxiv_oai_ListRecords_arXiv_physics-plasm-ph_2026-01-05.xml", 3, 3, 0),
    ("hf_page", "hf_page_synthetic_2024-05-06.txt", 3, 2, 1),
]


def _snapshot() -> list[tuple]:
    return list(
        Paper.objects.order_by("external_id").values_list(
            "external_id",
            "title",
            "abstract",
            "authors",
            "categories",
            "primary_category",
            "version",
            "announced_on",
            "sources",
            "upvotes",
            "num_comments",
            "extra",
            "updated_at",
        )
    )


def test_every_fixture_file_is_ingested_by_this_test():
    # The error bodies fail the whole fetch; their tests are in tests/digest/sources.
    errors = {
        "arxiv_api_synthetic_error-entry.atom.xml",
        "arxiv_api_http400_incorrect-id-format_2026-04-12.atom.xml",
    }
    covered = {name for _, name, *_ in EVERY_FIXTURE} | errors
    assert covered == {path.name for path in FIXTURES.iterdir() if path.name != "README.md"}


@pytest.mark.parametrize("source, name, fetched, created, failed", EVERY_FIXTURE)
def test_it_ingests_each_fixture_with_exact_counts_and_a_second_time_changes_nothing(
    source, name, fetched, created, failed
):
    run = ingest_source(source, path=FIXTURES / name, day=date(2024, 5, 6))

    assert run.status == IngestRun.Status.SUCCEEDED
    assert (run.fetched, run.created, run.updated, run.unchanged, run.failed) == (
        fetched,
        created,
        0,
        0,
        failed,
    )
    assert len(run.errors) == failed
    assert Paper.objects.count() == created
    before = _snapshot()

    again = ingest_source(source, path=FIXTURES / name, day=date(2024, 5, 6))

    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, created, failed)
    assert _snapshot() == before


def test_it_stores_the_fields_a_digest_needs():
    ingest_source("arxiv_api", path=FIXTURES / "arxiv_api_query_electron-AND-proton_2025-11-11.atom.xml")
    ingest_source("arxiv_api", path=FIXTURES / "arxiv_api_query_transformer-AND-cs.LG_2026-06-14.atom.xml")
    ingest_source("hf_daily", path=FIXTURES / "hf_daily_papers_2026-07-31_subset.json")

    old = Paper.objects.get(arxiv_id="nucl-th/9910021")
    assert (old.external_id, old.version, old.primary_category) == ("nucl-th/9910021", 3, "nucl-th")
    assert old.published_on == date(1999, 10, 7)
    mana = Paper.objects.get(arxiv_id="2606.13677")
    assert "(<1 minute per tool)" in mana.abstract
    assert mana.categories == ["cs.RO", "cs.AI", "cs.CV", "cs.LG"]
    sigma = Paper.objects.get(arxiv_id="2607.27958")
    assert sigma.title.startswith("Σ-Mem:")
    assert (sigma.upvotes, sigma.num_comments, sigma.announced_on) == (11, 2, date(2026, 7, 31))
    assert sigma.sources == ["hf_daily"]


def test_it_makes_one_enriched_row_of_a_paper_met_on_hugging_face_and_on_arxiv():
    ingest_source("hf_daily", path=FIXTURES / "hf_daily_papers_2026-06-12.json")
    run = ingest_source("arxiv_api", path=FIXTURES / "arxiv_api_idlist_synthetic_hf-overlap.atom.xml")

    assert (run.created, run.updated) == (0, 1)
    assert Paper.objects.filter(arxiv_id="2606.00467").count() == 1
    paper = Paper.objects.get(arxiv_id="2606.00467")
    assert paper.sources == ["hf_daily", "arxiv_api"]
    # arXiv adds what HF lacks; HF's popularity and extras stay.
    assert (paper.version, paper.primary_category, paper.categories) == (2, "cs.CL", ["cs.CL", "cs.AI"])
    assert paper.pdf_url == "https://arxiv.org/pdf/2606.00467v2"
    assert paper.extra["doi"] == "10.0000/synthetic.2606.00467"
    assert paper.extra["ai_summary"].startswith("Large language models")
    assert (paper.upvotes, paper.num_comments) == (0, 2)
    # The earliest announcement wins; the Daily Papers day stays on record.
    assert paper.announced_on == date(2026, 5, 29)
    assert paper.extra["hf_edition_on"] == "2026-06-12"
    # v2 is newer than what HF described, so its title and abstract win.
    assert paper.abstract.startswith(
        "Large Language Models (LLMs) are increasingly used for zero-shot annotation & LLM"
    )
    assert Paper.objects.count() == 30


def test_it_lets_a_new_version_update_the_row_and_an_older_one_change_nothing():
    ingest_source("arxiv_api", path=FIXTURES / "arxiv_api_idlist_synthetic_hf-overlap.atom.xml")
    older = PaperRecord(
        source="arxiv_api",
        title="An older title",
        arxiv_id="2606.00467",
        version=1,
        announced_on=date(2026, 5, 29),
    )
    newer = PaperRecord(
        source="arxiv_rss",
        title="A retitled v3",
        arxiv_id="2606.00467",
        version=3,
        announced_on=date(2026, 7, 1),
    )

    assert records_upsert([older]).unchanged == 1
    assert records_upsert([newer]).updated == 1
    paper = Paper.objects.get(arxiv_id="2606.00467")
    assert (paper.title, paper.version, paper.announced_on) == ("A retitled v3", 3, date(2026, 5, 29))
    assert paper.abstract.startswith("Large Language Models")  # v3 brought no abstract: the old one stays


def test_it_merges_a_paper_seen_on_two_hugging_face_days_into_one_row(tmp_path):
    body = (
        (FIXTURES / "hf_daily_papers_2026-06-12.json")
        .read_text()
        .replace("2026-06-12T00:00:00", "2026-06-13T00:00:00")
    )
    (tmp_path / "next_day.json").write_text(body, encoding="utf-8")
    next_day = ingest_source("hf_daily", path=tmp_path / "next_day.json")
    first_day = ingest_source("hf_daily", path=FIXTURES / "hf_daily_papers_2026-06-12.json")

    assert (next_day.created, first_day.created, first_day.updated) == (30, 0, 30)
    assert set(Paper.objects.values_list("announced_on", flat=True)) == {date(2026, 6, 12)}


@pytest.mark.parametrize("authority", ["arxiv_api", "arxiv_oai"])
def test_it_lets_arxiv_metadata_replace_the_rss_guess_of_the_primary_category(authority):
    ingest_source("arxiv_rss", path=FIXTURES / "arxiv_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_4items.xml")
    records_upsert(
        [
            PaperRecord(
                source=authority,
                title="Outlier Detection for Multi-Network Data",
                arxiv_id="2205.06398",
                version=2,
                categories=("stat.ML", "stat.ME"),
                primary_category="stat.ML",
                announced_on=date(2022, 5, 13),
            )
        ]
    )

    paper = Paper.objects.get(arxiv_id="2205.06398")
    assert (paper.primary_category, paper.categories) == ("stat.ML", ["stat.ML", "stat.ME"])
    assert paper.sources == ["arxiv_rss", authority]


def test_it_keeps_the_first_categories_when_a_later_source_only_lists_them():
    ingest_source("arxiv_rss", path=FIXTURES / "arxiv_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_4items.xml")
    before = Paper.objects.get(arxiv_id="2205.06398")
    records_upsert(
        [
            PaperRecord(
                source="hf_daily",
                title="Outlier Detection for Multi-Network Data",
                arxiv_id="2205.06398",
                version=2,
                categories=("cs.CV",),
                primary_category="cs.CV",
                announced_on=date(2022, 5, 13),
            )
        ]
    )

    paper = Paper.objects.get(arxiv_id="2205.06398")
    assert (paper.primary_category, paper.categories) == (before.primary_category, before.categories)


def test_it_loads_the_shipped_sample_corpus_once():
    first = ingest_source("file", path=SAMPLE_CORPUS, day=date(2026, 6, 12))
    second = ingest_source("file", path=SAMPLE_CORPUS, day=date(2026, 6, 12))

    assert (first.fetched, first.created, first.failed) == (343, 343, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 343)
    assert Paper.objects.filter(announced_on=date(2026, 6, 12), arxiv_id__isnull=True).count() == 343


def test_it_records_a_malformed_response_as_a_failed_run_and_touches_nothing():
    ingest_source("hf_daily", path=FIXTURES / "hf_daily_papers_2026-07-31_subset.json")
    before = _snapshot()

    run = ingest_source("arxiv_api", path=FIXTURES / "arxiv_api_synthetic_error-entry.atom.xml")

    assert run.status == IngestRun.Status.FAILED
    assert run.errors == ["arXiv API error: incorrect id format for bogus"]
    assert (run.fetched, run.created, run.updated, run.failed) == (0, 0, 0, 0)
    assert run.finished_at is not None
    assert _snapshot() == before


def test_it_fails_a_run_for_a_missing_file():
    run = ingest_source("file", path="/nonexistent/papers.jsonl")

    assert run.status == IngestRun.Status.FAILED
    assert "cannot read /nonexistent/papers.jsonl" in run.errors[0]


def test_it_refuses_arguments_that_make_no_request():
    with pytest.raises(ValueError, match="hf_daily needs a date"):
        ingest_source("hf_daily")
    with pytest.raises(ValueError, match="unknown source"):
        ingest_source("twitter")
    assert IngestRun.objects.filter(status=IngestRun.Status.FAILED).count() == 2


def test_it_reports_progress_in_batches():
    ticks = []

    ingest_source("file", path=SAMPLE_CORPUS, progress=lambda done, total: ticks.append((done, total)))

    assert ticks == [(200, 343), (343, 343)]


def _ok(body: bytes, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.raw = io.BytesIO(body)
    return response


def _fake_get(routes: dict[str, bytes]):
    def get(url, **kwargs):
        for prefix, body in routes.items():
            if url.startswith(prefix):
                return _ok(body)
        raise AssertionError(f"unexpected request to {url}")

    return get


def test_ingest_daily_fetches_hugging_face_and_the_rss_categories(settings):
    settings.SOURCES_ARXIV_MIN_INTERVAL = 0
    routes = {
        settings.SOURCES_HF_DAILY_URL: (FIXTURES / "hf_daily_papers_2026-07-31_subset.json").read_bytes(),
        settings.SOURCES_ARXIV_RSS_URL: (FIXTURES / "arxiv_rss_cs.AI_2026-04-27_3items.xml").read_bytes(),
    }
    with mock.patch("requests.Session.get", side_effect=_fake_get(routes)) as get:
        runs = ingest_daily(date(2026, 7, 31))

    assert [(r.source, r.status, r.created) for r in runs] == [
        ("hf_daily", IngestRun.Status.SUCCEEDED, 5),
        ("arxiv_rss", IngestRun.Status.SUCCEEDED, 3),
    ]
    assert get.call_args_list[0].kwargs["params"] == {"date": "2026-07-31"}
    assert get.call_args_list[1].args[0] == settings.SOURCES_ARXIV_RSS_URL + "cs.LG+cs.AI+cs.CL+stat.ML"
    assert runs[0].params == {"day": "2026-07-31"}


def test_ingest_daily_goes_on_when_one_source_is_throttled(settings):
    settings.SOURCES_ARXIV_MIN_INTERVAL = 0
    settings.SOURCES_HTTP_RETRIES = 0

    def get(url, **kwargs):
        return _ok(b"Rate exceeded.", 429) if "arxiv" in url else _ok(b"[]")

    with mock.patch("requests.Session.get", side_effect=get):
        hf_run, rss_run = ingest_daily(date(2026, 8, 1))

    assert (hf_run.status, hf_run.fetched) == (IngestRun.Status.SUCCEEDED, 0)
    assert rss_run.status == IngestRun.Status.FAILED
    assert "HTTP 429 throttled (Rate exceeded.)" in rss_run.errors[0]


def test_it_pages_through_an_api_query_until_an_empty_page(settings):
    settings.SOURCES_ARXIV_MIN_INTERVAL = 0
    settings.SOURCES_ARXIV_PAGE_SIZE = 10
    responses = [
        _ok((FIXTURES / name).read_bytes())
        for name in (
            "arxiv_api_query_electron-AND-proton_2025-11-11.atom.xml",
            "arxiv_api_legacy_query_electron-AND-proton_2025-08-20.atom.xml",
            "arxiv_api_idlist_not-found_2025-11-11.atom.xml",
        )
    ]

    with mock.patch("requests.Session.get", side_effect=responses) as get:
        run = ingest_source("arxiv_api", query="all:electron AND all:proton")

    assert [c.kwargs["params"]["start"] for c in get.call_args_list] == [0, 10, 20]
    assert (run.fetched, run.created, run.unchanged) == (20, 19, 1)  # 1602.03411 is on both pages


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "data:text/html,<b>x</b>",
        "//evil.example/x",
    ],
)
def test_it_stores_only_http_urls(url):
    record = PaperRecord(
        source="hf_daily", title="A hostile feed's paper", announced_on=date(2026, 2, 3), url=url, pdf_url=url
    )
    safe = PaperRecord(
        source="hf_daily",
        title="An honest paper",
        announced_on=date(2026, 2, 3),
        url="https://example.org/p",
        pdf_url="http://example.org/p.pdf",
    )

    records_upsert([record, safe])

    hostile = Paper.objects.get(title="A hostile feed's paper")
    assert (hostile.url, hostile.pdf_url, hostile.link) == ("", "", "")
    honest = Paper.objects.get(title="An honest paper")
    assert (honest.url, honest.pdf_url) == ("https://example.org/p", "http://example.org/p.pdf")


def test_a_stored_javascript_url_is_never_a_paper_link():
    """Rows stored before ingest checked schemes: the one link property falls back to arXiv, or to none."""
    with_arxiv = PaperFactory(url="javascript:alert(1)", arxiv_id="2611.00001")
    without = PaperFactory(url="javascript:alert(1)", arxiv_id=None)
    assert with_arxiv.link == "https://arxiv.org/abs/2611.00001"
    assert without.link == ""
