from datetime import date

import pytest

from digest.sources.arxiv_oai import parse_arxiv_oai
from digest.sources.records import FetchError
from tests.digest.sources import read_fixture


def test_it_reads_a_list_records_page():
    records, errors = parse_arxiv_oai(
        read_fixture("arxiv_oai_ListRecords_arXiv_physics-plasm-ph_2026-01-05.xml")
    )

    assert (len(records), errors) == (3, [])
    table, turing, reconnection = records
    assert table.arxiv_id == "2504.11237"
    assert table.title == "Periodic table for highly charged ions"
    assert table.authors == ("Chunhai Lyu", "Christoph H. Keitel", "Zoltán Harman")
    assert table.categories[0] == table.primary_category == "physics.atom-ph"
    assert table.announced_on == table.published_on == date(2025, 4, 15)  # created, not the datestamp
    assert table.abstract.startswith("Mendeleev's periodic table")  # &#39; decoded once
    assert table.extra["doi"] == "10.1103/bppp-53g1"
    # Replaced on the harvest day: the latest version's date is kept, not lost.
    assert {r.extra["updated_on"] for r in records} == {"2026-01-05"}
    assert "O'Donnell" in " ".join(reconnection.authors)
    assert turing.categories == (
        "physics.comp-ph",
        "cond-mat.soft",
        "cond-mat.stat-mech",
        "nlin.CD",
        "physics.plasm-ph",
    )


def test_it_reads_no_records_for_the_day_as_zero_papers():
    body = b"""<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-01-05T00:00:00Z</responseDate>
    <error code="noRecordsMatch">No records</error></OAI-PMH>"""

    assert parse_arxiv_oai(body) == ([], [])


def test_it_fails_the_fetch_on_any_other_oai_error():
    body = b"""<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><error code="badResumptionToken">expired</error></OAI-PMH>"""

    with pytest.raises(FetchError, match="badResumptionToken"):
        parse_arxiv_oai(body)


def test_it_has_no_updated_date_for_a_paper_never_replaced():
    body = read_fixture("arxiv_oai_ListRecords_arXiv_physics-plasm-ph_2026-01-05.xml").replace(
        b"<updated>2026-01-05</updated>", b""
    )

    records, errors = parse_arxiv_oai(body)

    assert errors == [] and all("updated_on" not in r.extra for r in records)


def test_it_counts_a_record_with_a_malformed_updated_date():
    body = read_fixture("arxiv_oai_ListRecords_arXiv_physics-plasm-ph_2026-01-05.xml").replace(
        b"<updated>2026-01-05</updated>", b"<updated>soon</updated>", 1
    )

    records, errors = parse_arxiv_oai(body)

    assert len(records) == 2 and errors == ["record 1: not a date: 'soon'"]
