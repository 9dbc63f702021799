import re
from datetime import date

import pytest

from digest.sources.arxiv_api import parse_arxiv_api, parse_arxiv_api_page
from digest.sources.records import FetchError
from tests.digest.sources import read_fixture


def _by_id(records):
    return {record.arxiv_id: record for record in records}


def test_it_parses_a_current_category_query_with_cross_lists():
    page = parse_arxiv_api_page(read_fixture("arxiv_api_query_cs.LG-OR-cs.AI_2026-04-30.atom.xml"))

    assert (len(page.records), page.errors, page.entries, page.total_results) == (20, [], 20, 364218)
    by_id = _by_id(page.records)
    tide = by_id["2604.26951"]
    assert tide.version == 1
    assert tide.title.startswith("Turning the TIDE: Cross-Architecture Distillation")
    assert tide.categories == ("cs.CL", "cs.AI", "cs.LG")
    assert tide.primary_category == "cs.CL"
    assert tide.published_on == tide.announced_on == date(2026, 4, 29)
    assert tide.url == "https://arxiv.org/abs/2604.26951v1"
    assert tide.pdf_url == "https://arxiv.org/pdf/2604.26951v1"
    assert tide.extra["comment"] == "15 pages, 3 figures. Code: https://github.com/PKU-YuanGroup/TIDE"
    assert {by_id[i].primary_category for i in ("2604.26932", "2604.26903", "2604.26898", "2604.26881")} == {
        "math.OC",
        "eess.SP",
        "math.PR",
        "cs.DC",
    }
    assert (
        by_id["2604.26926"].title == "A Note on How to Remove the ln ln T Term from the Squint Bound"
    )  # was $\ln\ln T$
    assert by_id["2604.26888"].extra["journal_ref"].startswith("In: Bäck, T. et al. (eds.)")
    assert [r.arxiv_id for r in page.records if "doi" in r.extra] == ["2604.26888", "2604.26851"]
    assert "\n\n" in by_id["2604.26922"].abstract  # two paragraphs kept apart


def test_it_decodes_entities_exactly_once():
    records, _ = parse_arxiv_api(read_fixture("arxiv_api_query_transformer-AND-cs.LG_2026-06-14.atom.xml"))

    mana = _by_id(records)["2606.13677"]
    assert "functional affordances (<1 minute per tool)" in mana.abstract
    assert mana.categories[0] == mana.primary_category == "cs.RO"
    assert len(records) == 5


def test_it_reads_old_style_ids_and_links_without_rel_from_the_november_2025_format():
    page = parse_arxiv_api_page(read_fixture("arxiv_api_query_electron-AND-proton_2025-11-11.atom.xml"))

    assert (len(page.records), page.errors, page.total_results) == (10, [], 7432)
    by_id = _by_id(page.records)
    old = by_id["nucl-ex/0408020"]
    assert old.version == 1
    assert old.pdf_url == "https://arxiv.org/pdf/nucl-ex/0408020v1"
    assert old.categories == ("nucl-ex", "hep-ph")
    assert by_id["nucl-th/9910021"].version == 3
    assert "p + p -> D + positron + neutrino" in by_id["nucl-th/9910021"].abstract
    assert sum("journal_ref" in r.extra for r in page.records) == 6
    assert sum("doi" in r.extra for r in page.records) == 7
    assert by_id["1309.4668"].extra["affiliations"] == {
        "A. Pertica": ["Rutherford"],
        "S. J. Payne": ["Rutherford"],
    }


def test_it_unwraps_the_legacy_format():
    records, errors = parse_arxiv_api(
        read_fixture("arxiv_api_legacy_query_electron-AND-proton_2025-08-20.atom.xml")
    )

    assert (len(records), errors) == (10, [])
    by_id = _by_id(records)
    assert set(by_id) >= {"astro-ph/9904306", "hep-ph/9411242", "astro-ph/9901367"}
    assert by_id["hep-ph/9411242"].url == "https://arxiv.org/abs/hep-ph/9411242v1"  # http upgraded
    assert by_id["hep-ph/9411242"].extra["affiliations"] == {"Raimo Vuopionperä": ["SEFT, Univ. Helsinki"]}
    assert not any("\n" in r.title for r in records)
    assert not any(r.abstract.startswith(" ") or r.abstract.endswith("\n") for r in records)


def test_it_reads_a_partly_missing_id_list_in_both_formats():
    current = parse_arxiv_api_page(read_fixture("arxiv_api_idlist_partly-missing_2025-11-11.atom.xml"))
    legacy = parse_arxiv_api_page(read_fixture("arxiv_api_legacy_idlist_partly-missing_2025-08-24.atom.xml"))

    assert (len(current.records), current.errors, current.total_results) == (1, [], 1)
    assert (len(legacy.records), len(legacy.errors), legacy.entries, legacy.total_results) == (1, 3, 4, 4)
    assert all("did not find" in error for error in legacy.errors)
    for page in (current, legacy):
        paper = page.records[0]
        assert paper.arxiv_id == "2201.13452"
        assert paper.title == (
            "Asymptotic Analysis for a Nonlinear Reaction-Diffusion System Modeling an Infectious Disease"
        )
        assert paper.published_on == date(2022, 1, 31)
        assert paper.categories == ("math.AP",)
    assert legacy.records[0].extra["other_classes"] == ["35"]  # an MSC code is not an arXiv category


def test_it_finds_nothing_for_a_missing_id_whatever_total_results_says():
    current = parse_arxiv_api_page(read_fixture("arxiv_api_idlist_not-found_2025-11-11.atom.xml"))
    legacy = parse_arxiv_api_page(read_fixture("arxiv_api_legacy_idlist_not-found_2025-08-20.atom.xml"))

    assert (current.records, current.errors, current.total_results) == ([], [], 0)
    assert (legacy.records, legacy.errors, legacy.total_results) == ([], [], 1)


def test_it_fails_the_fetch_on_an_api_error_entry():
    with pytest.raises(FetchError, match="arXiv API error: incorrect id format for bogus"):
        parse_arxiv_api(read_fixture("arxiv_api_synthetic_error-entry.atom.xml"))


@pytest.mark.parametrize(
    "body, message",
    [
        (b"Rate exceeded.", "malformed XML"),
        (read_fixture("arxiv_api_query_transformer-AND-cs.LG_2026-06-14.atom.xml")[:5000], "malformed XML"),
        (b"<rss version='2.0'><channel/></rss>", "expected an Atom feed"),
        (b"", "empty response"),
    ],
)
def test_it_fails_the_fetch_on_a_body_that_is_not_a_feed(body, message):
    with pytest.raises(FetchError, match=message):
        parse_arxiv_api(body)


def test_it_reads_a_full_100_entry_page_with_no_markup_left():
    page = parse_arxiv_api_page(read_fixture("arxiv_api_query_testing_100entries_2026-04-12.atom.xml"))

    assert (len(page.records), page.errors, page.entries, page.total_results) == (100, [], 100, 214881)
    for record in page.records:
        assert not re.search(r"\\[A-Za-z]|\$", record.title + record.abstract), record.arxiv_id
    tolerant = _by_id(page.records)["2106.13414"]
    assert "over {1, …, n}, is it ε_1-close to or ε_2-far" in tolerant.abstract  # \{1, \ldots, n\}: a set


def test_it_repairs_the_mojibake_arxiv_itself_sent():
    # The recorded body has "\tilde Î\x98\left(": a Θ (CE 98) read as Latin-1 on arXiv's side.
    raw = read_fixture("arxiv_api_query_testing_100entries_2026-04-12.atom.xml")
    assert "\\tilde \u00ce\u0098\\left(".encode() in raw

    tolerant = _by_id(parse_arxiv_api(raw)[0])["2106.13414"]

    assert "sample complexity to be Θ̃((√n)/(ε_2^2) + n/(log n)· max {" in tolerant.abstract


def test_it_fails_the_fetch_on_the_recorded_http_400_error_body():
    # Since 2026 a malformed id is answered with HTTP 400 and the same Error entry.
    with pytest.raises(FetchError, match="arXiv API error: incorrect id format for abc"):
        parse_arxiv_api(read_fixture("arxiv_api_http400_incorrect-id-format_2026-04-12.atom.xml"))


def test_it_reads_an_old_style_id_from_a_2026_response():
    records, errors = parse_arxiv_api(read_fixture("arxiv_api_idlist_old-style-id_2026-05-11.atom.xml"))

    assert errors == []
    (record,) = records
    assert (record.arxiv_id, record.version, record.primary_category) == ("astro-ph/0601001", 1, "astro-ph")
    assert record.published_on == date(2006, 1, 2)
    assert "(1/310)(1^(+1.39)_(-0.59)) for HJs" in record.abstract


def test_it_leaves_out_a_missing_id_of_a_current_id_list():
    page = parse_arxiv_api_page(read_fixture("arxiv_api_idlist_one-missing_2026-04-12.atom.xml"))

    assert [r.arxiv_id for r in page.records] == ["1707.08567"]
    assert (page.errors, page.total_results) == ([], 1)
