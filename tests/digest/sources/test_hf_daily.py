from datetime import date

import pytest

from digest.sources.hf_daily import parse_hf_daily
from digest.sources.records import FetchError
from tests.digest.sources import read_fixture


def _by_id(records):
    return {record.arxiv_id: record for record in records}


def test_it_parses_every_item_of_the_current_schema():
    records, errors = parse_hf_daily(read_fixture("hf_daily_papers_2026-06-12.json"))

    assert (len(records), errors) == (30, [])
    first = _by_id(records)["2606.00467"]
    assert first.title == (
        "On the Limits of LLM Adaptability: Impact of Model-Internalized Priors on Annotation Task Performance"
    )
    assert first.source == "hf_daily"
    assert first.version is None
    assert first.authors == ("Etienne Casanova", "Rafal Kocielnik", "R. Michael Alvarez")
    assert first.announced_on == date(2026, 6, 12)  # submittedOnDailyAt, not the arXiv date
    assert first.published_on == date(2026, 5, 30)
    assert (first.upvotes, first.num_comments) == (0, 2)  # paper.upvotes, top-level numComments
    assert first.url == "https://arxiv.org/abs/2606.00467"
    assert first.extra["hf_url"] == "https://huggingface.co/papers/2606.00467"
    assert first.extra["hf_edition_on"] == "2026-06-12"
    assert first.extra["ai_summary"].startswith("Large language models exhibit limited ability")
    assert "decision stickiness" in first.extra["ai_keywords"]
    assert all(record.announced_on == date(2026, 6, 12) for record in records)


def test_it_keeps_github_and_project_links_when_present():
    records, _ = parse_hf_daily(read_fixture("hf_daily_papers_2026-06-12.json"))

    with_repo = [r for r in records if "github_repo" in r.extra]
    assert len(with_repo) == 16
    assert all(isinstance(r.extra["github_stars"], int) for r in with_repo)
    assert len([r for r in records if "project_page" in r.extra]) == 13
    assert len([r for r in records if "organization" in r.extra]) == 16


def test_it_keeps_greek_letters_and_tolerates_missing_ai_fields():
    records, errors = parse_hf_daily(read_fixture("hf_daily_papers_2026-07-31_subset.json"))

    assert (len(records), errors) == (5, [])
    by_id = _by_id(records)
    assert by_id["2607.27958"].title.startswith("Σ-Mem: An Online Reliability Memory")
    assert by_id["2607.28582"].title.startswith("β-OPSD: Deriving with Policy Optimization")
    assert (by_id["2607.28582"].upvotes, by_id["2607.28582"].num_comments) == (17, 2)
    assert not any("ai_summary" in r.extra for r in records)


def test_it_reads_the_2024_schema_with_the_edition_day_from_the_top_level_date():
    records, errors = parse_hf_daily(read_fixture("hf_daily_papers_2024-05-29_legacy.json"))

    assert (len(records), errors) == (8, [])
    pcm = _by_id(records)["2405.18407"]
    assert pcm.title == "Phased Consistency Model"
    assert pcm.announced_on == date(2024, 5, 29)
    assert pcm.published_on == date(2024, 5, 28)
    assert (pcm.upvotes, pcm.num_comments) == (18, 5)
    assert len(pcm.authors) == 12
    # Titles and abstracts of 2024 carry arXiv's hard wraps: unwrapped here.
    assert not any("\n" in r.title for r in records)
    assert not any("\n" in r.abstract.replace("\n\n", "") for r in records)


def test_it_treats_an_empty_list_as_a_day_without_papers():
    assert parse_hf_daily(b"[]", day=date(2026, 8, 1)) == ([], [])


def test_it_counts_a_bad_item_and_keeps_the_rest():
    body = (
        b'[{"paper": {"id": 2503.0213, "title": "Float id"}},'
        b' {"paper": {"id": "2503.02130", "title": "String id", "upvotes": 3}, "numComments": 1},'
        b' {"paper": {"id": "2503.02131", "title": "Negative", "upvotes": -1}}, "nonsense"]'
    )

    records, errors = parse_hf_daily(body, day=date(2025, 3, 5))

    assert [r.arxiv_id for r in records] == ["2503.02130"]
    assert records[0].announced_on == date(2025, 3, 5)
    assert len(errors) == 3
    assert "not a string" in errors[0]


@pytest.mark.parametrize(
    "body, message",
    [
        (b'{"error": "Invalid date"}', "Invalid date"),
        (b'[{"paper": {"id": "2606.00467"', "malformed JSON"),
        (b"", "empty response"),
        ('[{"paper": {"title": "caf\u00e9"}}]'.encode("latin-1"), "not UTF-8"),
        (b"<html>502 Bad Gateway</html>", "malformed JSON"),
    ],
)
def test_it_fails_the_whole_response_when_it_is_not_a_list_of_papers(body, message):
    with pytest.raises(FetchError, match=message):
        parse_hf_daily(body)
