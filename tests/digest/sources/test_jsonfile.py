from datetime import date

import pytest

from digest.data import SAMPLE_CORPUS as SAMPLE
from digest.sources.jsonfile import parse_json_papers
from digest.sources.records import FetchError

DAY = date(2026, 6, 12)


def test_it_reads_the_shipped_sample_corpus():
    records, errors = parse_json_papers(SAMPLE.read_bytes(), announced_on=DAY)

    assert (len(records), errors) == (343, [])
    first = records[0]
    assert first.title.startswith("DrivAerNet: A Parametric Car Dataset")
    assert first.source_id == "hfp-95a97aee39cc"
    assert first.arxiv_id is None
    assert first.announced_on == DAY
    assert len({r.source_id for r in records}) == 343


def test_it_reads_a_json_array_and_an_object_with_papers():
    array = b'[{"title": "One", "arxiv_id": "hep-th/9901001v2", "categories": ["hep-th", "gr-qc"]}]'
    wrapped = (
        b'{"papers": [{"title": "One", "arxiv_id": "hep-th/9901001v2", "categories": ["hep-th", "gr-qc"]}]}'
    )

    for body in (array, wrapped):
        (record,), errors = parse_json_papers(body, announced_on=DAY)
        assert (record.arxiv_id, record.version, record.primary_category, errors) == (
            "hep-th/9901001",
            2,
            "hep-th",
            [],
        )


def test_it_counts_bad_lines_and_keeps_the_good_ones():
    body = "\n".join(
        [
            '{"title": "Good", "authors": "A. One, B. Two", "upvotes": "4"}',
            '{"title": "Truncated", "abs',
            '{"title": ""}',
            '{"title": "Float id", "arxiv_id": 2503.0213}',
            '{"title": "Huge count", "upvotes": 99999999999999}',
            '{"title": "Bad date", "published_on": "2024-13-45"}',
            "[1, 2]",
        ]
    ).encode()

    records, errors = parse_json_papers(body, announced_on=DAY)

    assert [(r.title, r.authors, r.upvotes) for r in records] == [("Good", ("A. One", "B. Two"), 4)]
    assert len(errors) == 6
    assert errors[0].startswith("record 2: malformed JSON line")


@pytest.mark.parametrize(
    "body, message",
    [
        (b'[{"title": "One"}', "malformed JSON"),
        (b'{"papers": {"title": "One"}}', "expected a JSON array"),
        (b"\xff\xfe{", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON"),
    ],
)
def test_it_fails_a_file_that_is_unreadable_as_a_whole(body, message):
    with pytest.raises(FetchError, match=message):
        parse_json_papers(body, announced_on=DAY)


def test_it_reads_a_json_lines_file_of_one_paper():
    body = b'{"title": "Only one", "abstract": "A single line.", "arxiv_id": "2606.00001"}\n'

    records, errors = parse_json_papers(body, announced_on=DAY)

    assert errors == [] and [r.title for r in records] == ["Only one"]
