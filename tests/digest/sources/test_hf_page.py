from datetime import date

from digest.sources.hf_page import parse_page_text
from tests.digest.sources import read_fixture

DAY = date(2024, 5, 6)


def test_it_reads_titles_abstracts_and_the_lines_that_follow_them():
    records, errors = parse_page_text(
        read_fixture("hf_page_synthetic_2024-05-06.txt").decode(), announced_on=DAY
    )

    assert [r.title for r in records] == [
        "Σ-Net: Tied Layers for Cheap Depth",
        "To Retrieve or Not to Retrieve",
    ]
    first, second = records
    assert first.abstract.startswith("We introduce Σ-Net") and "(<1B parameters)" in first.abstract
    assert first.extra["author_count"] == 5
    assert first.published_on == date(2022, 11, 27)
    assert second.upvotes == 12
    assert all(r.announced_on == DAY and r.arxiv_id is None for r in records)
    assert errors == ["title without an abstract: 'A Title That Lost Its Abstract'"]


def test_it_reports_an_impossible_date_instead_of_crashing():
    abstract = "x" * 250
    records, errors = parse_page_text(f"A Paper\n\n{abstract}\n\nFeb 30, 2024\n", announced_on=DAY)

    assert [r.title for r in records] == ["A Paper"]
    assert records[0].published_on is None
    assert errors == ["not a date: 'Feb 30, 2024'"]


def test_it_reports_a_title_without_letters_and_goes_on():
    abstract = "An abstract long enough to be one. " * 8
    records, errors = parse_page_text(f"!!! ???\n{abstract}\nA Real Title\n{abstract}\n", announced_on=DAY)

    assert [r.title for r in records] == ["A Real Title"]
    assert errors == ["missing title"]
