from datetime import date

import pytest

from digest.sources.arxiv_rss import parse_arxiv_rss
from digest.sources.records import FetchError
from tests.digest.sources import read_fixture


def _by_id(records):
    return {record.arxiv_id: record for record in records}


def test_it_reads_new_cross_and_replace_items():
    records, errors = parse_arxiv_rss(
        read_fixture("arxiv_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_4items.xml")
    )

    assert (len(records), errors) == (4, [])
    by_id = _by_id(records)
    drift = by_id["2609.26811"]
    assert drift.title == "The Drift Contract: Spectral Updates for Depth-Robust Local Learning"
    assert drift.version == 1
    assert drift.authors == ("Fabien Polly",)
    assert drift.abstract.startswith("Local learning trains each layer")
    assert drift.announced_on == date(2026, 9, 24)
    assert drift.url == "https://arxiv.org/abs/2609.26811"
    assert drift.pdf_url == "https://arxiv.org/pdf/2609.26811v1"
    assert drift.extra["announce_type"] == "new"

    cross = by_id["2205.06398"]
    assert (cross.version, cross.extra["announce_type"]) == (2, "cross")
    assert cross.categories == ("stat.ME", "stat.AP", "stat.ML")
    assert cross.primary_category == "stat.ME"
    assert cross.extra["doi"] == "10.1093/bioinformatics/btac431"
    assert cross.authors == ("Pritam Dey", "Zhengwu Zhang", "David B. Dunson")

    replaced = by_id["2009.13987"]
    assert (replaced.version, replaced.extra["announce_type"]) == (3, "replace")
    # A replacement is not news: first announced in the month its id names.
    assert replaced.announced_on == date(2020, 9, 1)
    assert replaced.extra["listed_on"] == "2026-09-24"


def test_it_splits_a_long_creator_list_and_makes_latex_readable():
    records, errors = parse_arxiv_rss(read_fixture("arxiv_rss_cs.AI_2026-04-27_3items.xml"))

    assert (len(records), errors) == (3, [])
    by_id = _by_id(records)
    assert len(by_id["2604.21936"].authors) == 18
    assert by_id["2604.21936"].authors[:2] == ("Lianrui Zuo", "Yihao Liu")
    assert not any("\\" in r.abstract for r in records)
    assert any("become central: adaptability, the abil" in r.abstract for r in records)
    assert all(r.announced_on == date(2026, 4, 27) for r in records)
    assert by_id["2604.21935"].categories == ("cs.AI", "cs.LG")


def test_it_reads_an_empty_weekend_feed_as_zero_papers_not_an_error():
    assert parse_arxiv_rss(read_fixture("arxiv_rss_cs.CL_2026-08-01_weekend-empty.xml")) == ([], [])


def test_it_reads_replace_cross_items_with_old_style_ids_and_counts_an_item_without_an_id():
    records, errors = parse_arxiv_rss(read_fixture("arxiv_rss_synthetic_replace-cross.xml"))

    assert [r.arxiv_id for r in records] == ["hep-th/9711200"]
    paper = records[0]
    assert (paper.version, paper.extra["announce_type"]) == (3, "replace-cross")
    assert paper.announced_on == date(1997, 11, 1)
    assert paper.abstract == "We show that the large N limit of certain conformal field theories & more."
    assert len(errors) == 1


@pytest.mark.parametrize(
    "body, message",
    [
        (b"Rate exceeded.", "malformed XML"),
        (read_fixture("arxiv_rss_cs.AI_2026-04-27_3items.xml")[:3000], "malformed XML"),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "expected an RSS 2.0 channel"),
    ],
)
def test_it_fails_the_fetch_on_a_body_that_is_not_a_feed(body, message):
    with pytest.raises(FetchError, match=message):
        parse_arxiv_rss(body)


def test_it_reads_an_archived_rss_1_0_feed_with_html_descriptions():
    records, errors = parse_arxiv_rss(read_fixture("arxiv_rss1_hep-ex_2018-05-23_3items.rdf.xml"))

    assert (len(records), errors) == (3, [])
    by_id = _by_id(records)
    spin = by_id["1805.08875"]
    assert spin.title == "Measurement of Transverse Single Spin Asymmetries"  # the "(arXiv:…)" suffix gone
    assert spin.version == 1
    assert spin.authors == ("Christopher Dilks",)  # "(STAR Collaboration)" is not an author
    assert spin.categories == ("hep-ex",) and spin.primary_category == "hep-ex"
    # <p> markup gone, "&amp;lt;" decoded once by XML and once by HTML, LaTeX readable.
    assert spin.abstract.startswith("In 2015 the first collisions")
    assert "range of 2.6<η<4. Within" in spin.abstract
    assert "energy of √(s_NN)=200 GeV" in spin.abstract
    assert not any(mark in spin.abstract for mark in ("<p>", "$", "\\"))
    # Mailed at 20:30 US Eastern on the 23rd: the listing of the 24th.
    assert spin.announced_on == date(2018, 5, 24)
    assert spin.pdf_url == "https://arxiv.org/pdf/1805.08875v1"
    assert spin.extra == {"announce_type": "new", "listed_on": "2018-05-24"}

    assert by_id["1805.09166"].extra["announce_type"] == "cross"
    updated = by_id["1805.06430"]
    assert (updated.version, updated.extra["announce_type"], updated.primary_category) == (
        2,
        "replace",
        "nucl-th",
    )
    assert updated.announced_on == date(2018, 5, 1)  # a replacement is not news
    assert updated.authors[0] == "Shu-Sheng Xu" and len(updated.authors) == 6


def test_it_reads_latex_in_rss_1_0_titles_and_linked_author_lists():
    records, errors = parse_arxiv_rss(read_fixture("arxiv_rss1_hep-ex_2021-07-08_3items.rdf.xml"))

    assert errors == []
    lhcb = _by_id(records)["2107.03419"]
    assert lhcb.title == "Observation of excited Ω_c^0 baryons in Ω_b^- → Ξ_c^+ K^-π^- decays"
    # "LHCb collaboration: R. Aaij, et al. (909 additional authors not shown)": the linked names only.
    assert lhcb.authors == ("LHCb collaboration", "R. Aaij")
    assert {r.announced_on for r in records if r.extra["announce_type"] != "replace"} == {date(2021, 7, 9)}
    assert _by_id(records)["2106.00550"].primary_category == "math.GR"


def test_it_counts_an_rss_1_0_item_without_an_arxiv_id_and_keeps_the_rest():
    body = read_fixture("arxiv_rss1_hep-ex_2018-05-23_3items.rdf.xml").replace(
        b"(arXiv:1805.09166v1 [hep-ex] CROSS LISTED)", b""
    )

    records, errors = parse_arxiv_rss(body)

    assert len(records) == 2
    assert errors == ["item 2: title without an arXiv id: 'Recent Top quark results from the Tevatron.'"]
