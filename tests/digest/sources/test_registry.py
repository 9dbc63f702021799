import io
from unittest import mock

import pytest
import requests

from digest.sources.collect import collect
from digest.sources.registry import FILE_ONLY_SOURCES, SOURCES, source_label
from tests.digest.sources import FIXTURES


def test_every_source_has_a_label_readers_see():
    assert {name: source.label for name, source in SOURCES.items()} == {
        "hf_daily": "Hugging Face Daily Papers",
        "arxiv_api": "arXiv",
        "arxiv_rss": "arXiv",
        "arxiv_oai": "arXiv",
        "hf_page": "Hugging Face Daily Papers",
        "file": "Sample corpus",
    }


def test_the_fetchable_sources_are_the_daily_ones_and_the_api():
    assert set(SOURCES) - set(FILE_ONLY_SOURCES) == {"hf_daily", "arxiv_api", "arxiv_rss"}


def test_a_source_since_removed_shows_as_its_name():
    assert source_label("citeseer") == "citeseer"


@pytest.mark.parametrize("name", ["arxiv_oai", "hf_page", "file"])
def test_a_file_only_source_asks_for_a_path(name):
    assert name in FILE_ONLY_SOURCES
    with pytest.raises(ValueError, match="reads a file: give a path"):
        collect(name)


def test_every_source_reads_a_saved_response():
    for name, fixture in [
        ("hf_daily", "hf_daily_papers_2026-07-31_subset.json"),
        ("arxiv_api", "arxiv_api_idlist_one-missing_2026-04-12.atom.xml"),
        ("arxiv_rss", "arxiv_rss_cs.AI_2026-04-27_3items.xml"),
        ("arxiv_oai", "arxiv_oai_ListRecords_arXiv_physics-plasm-ph_2026-01-05.xml"),
        ("hf_page", "hf_page_synthetic_2024-05-06.txt"),
    ]:
        collected = collect(name, path=FIXTURES / fixture)
        assert collected.records, name
        assert {r.source for r in collected.records} == {name}


def test_ids_are_fetched_without_a_date(settings):
    settings.SOURCES_ARXIV_MIN_INTERVAL = 0
    response = requests.Response()
    response.status_code = 200
    response.raw = io.BytesIO((FIXTURES / "arxiv_api_idlist_one-missing_2026-04-12.atom.xml").read_bytes())

    with mock.patch("requests.Session.get", return_value=response) as get:
        collected = collect("arxiv_api", ids=["2604.00001", "2604.99999"])

    assert get.call_args.kwargs["params"]["id_list"] == "2604.00001,2604.99999"
    assert len(collected.records) == 1
