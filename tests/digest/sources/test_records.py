"""The one normalisation every source goes through: ids, whitespace, and LaTeX made readable."""

import json
import re
from datetime import date

import pytest

from digest.sources.arxiv_api import parse_arxiv_api
from digest.sources.hf_daily import parse_hf_daily
from digest.sources.records import RecordError, clean_abstract, clean_text, readable_latex, repair_encoding
from tests.digest.sources import read_fixture


@pytest.mark.parametrize(
    "latex, text",
    [
        (r"Remove the $\ln\ln T$ Term", "Remove the ln ln T Term"),
        (r"roughly $1/\sqrt{n}$. Finally", "roughly 1/√n. Finally"),
        (r"as $n \to \infty$.", "as n → ∞."),
        (r"Lion (Evo\textbf{Lved Sign Momentum})", "Lion (EvoLved Sign Momentum)"),
        (r"$\textit{memories}$ and \emph{skills}", "memories and skills"),
        (r"at 20{\deg}C", "at 20°C"),
        (r"{\it determinism}: almost", "determinism: almost"),
        (r"a dense Lexical Model {\Lambda} can", "a dense Lexical Model Λ can"),
        (r"one of the first ``deep'' learning methods", "one of the first “deep” learning methods"),
        (r"Pre-trained Transformers (\eg BERT)", "Pre-trained Transformers (e.g. BERT)"),
        (r"available at \url{https://github.com/jordane95/x}", "available at https://github.com/jordane95/x"),
        (r"P\'al and Erd\H{o}s and B\"ack", "Pál and Erdős and Bäck"),
        (r"$O(n^{2})$ time, 10\% fewer, \$5", "O(n^2) time, 10% fewer, $5"),
        (r"the \overfeat network", "the overfeat network"),
    ],
)
def test_it_makes_common_latex_readable(latex, text):
    assert clean_text(latex) == text


# What a full-day arXiv feed still showed readers with the hand-written cleaner (issue 17).
ISSUE_QUIRKS = [
    (
        r"Measurements of t\bar{t} in association with a W boson",
        "Measurements of tt\u0304 in association with a W boson",
    ),
    (r"constraints on $\Lambda$CDM", "constraints on ΛCDM"),
    (r"Planetary Nebul{ae} in the Bulge", "Planetary Nebulae in the Bulge"),
    (r"collisions at $ √s = 13$ TeV", "collisions at √s = 13 TeV"),
    (r"collisions at $\sqrt{s} = 13$ TeV", "collisions at √s = 13 TeV"),
    (r"V. Frol\'{i}k and J. Pol\'a\v{c}ek", "V. Frolík and J. Poláček"),
    (r"$D = diag\left(\exp(QK^\top) \mathbf{1}_n\right)$", "D = diag(exp(QK^⊤) 1_n)"),
    (r"decays to D_s^{(\ast)} mesons", "decays to D_s^(*) mesons"),
    (r"in $n^{1+o(1)}$ time", "in n^(1+o(1)) time"),
    (r"r_E^p = 0.84_{-0.01}^{+0.01} fm", "r_E^p = 0.84_(-0.01)^(+0.01) fm"),
    (r"60% larger and 10\% smaller", "60% larger and 10% smaller"),
    (r"R&D at ~100 GPUs, see Fig.~1", "R&D at ~100 GPUs, see Fig. 1"),
    (r"code at https://x.org/~me/a_b%20c", "code at https://x.org/~me/a_b%20c"),
    ('a ``slow" neural net', "a “slow” neural net"),
]


@pytest.mark.parametrize("latex, text", ISSUE_QUIRKS)
def test_it_leaves_no_latex_residue_for_the_quirks_of_a_real_feed(latex, text):
    assert clean_text(latex) == text


def test_it_renders_a_math_environment_without_macro_names():
    raw = (
        r"the system \begin{equation*} \left\{\begin{array}l \dot{x} = \alpha x \\ "
        r"\dot{y} = -\beta y \end{array}\right. \end{equation*} has a solution"
    )

    text = clean_text(raw)

    assert text.startswith("the system ") and text.endswith(" has a solution")
    assert "α x" in text and "β y" in text
    assert not re.search(r"\\|[{}]|begin|end|left|right|array", text)


def test_it_leaves_text_the_converter_cannot_parse_as_written():
    deep = "{" * 3000 + "x" + "}" * 3000

    assert readable_latex(deep) == deep


@pytest.mark.parametrize(
    "kept",
    [
        "costs $5 and $10 a month",  # money, not math
        "a {weird} brace, labels {yes, no}, C++ & <tags> #1",  # literal braces and specials
        "Σ-Mem and β-OPSD",
    ],
)
def test_it_leaves_plain_text_as_written(kept):
    assert readable_latex(kept) == kept


def test_it_keeps_the_name_of_a_macro_it_does_not_know():
    assert (
        clean_text(r"$\myspace{g}$-modules and the \overfeat network")
        == "myspace g-modules and the overfeat network"
    )


def test_it_gives_the_same_text_when_cleaned_twice():
    # The sample corpus stores cleaned text and is cleaned again when loaded.
    raws = [r"``not-so-surprising'' finding, {\it model size}, $\ln\ln T$ and \$5", "plain text"]
    for raw in raws + [latex for latex, _ in ISSUE_QUIRKS]:
        once = clean_abstract(raw)
        assert clean_abstract(once) == once


def test_it_gives_the_same_text_when_cleaning_again_what_every_recorded_feed_gave():
    # Stored text is cleaned again when a file of papers is loaded (the sample corpus).
    texts = []
    for name in (
        "arxiv_api_query_testing_100entries_2026-04-12.atom.xml",
        "arxiv_api_query_cs.LG-OR-cs.AI_2026-04-30.atom.xml",
    ):
        texts += [(r.title, r.abstract) for r in parse_arxiv_api(read_fixture(name))[0]]
    texts += [
        (r.title, r.abstract) for r in parse_hf_daily(read_fixture("hf_daily_papers_2026-06-12.json"))[0]
    ]

    for title, abstract in texts:
        assert (clean_text(title), clean_abstract(abstract)) == (title, abstract)


def test_it_makes_the_latex_of_a_recorded_api_response_readable():
    records, _ = parse_arxiv_api(read_fixture("arxiv_api_query_cs.LG-OR-cs.AI_2026-04-30.atom.xml"))

    note = next(r for r in records if r.title.startswith("A Note on How to Remove the"))
    assert "ln ln T Term" in note.title and "$" not in note.title
    assert any("roughly 1/√n." in r.abstract for r in records)
    assert any("n → ∞" in r.abstract for r in records)


@pytest.mark.parametrize(
    "broken, repaired",
    [
        (
            "Johannes Wei\u00c3\u009fl",
            "Johannes Weißl",
        ),  # UTF-8 read as Latin-1: the C1 byte 0x9F must survive
        ("Zolt\u00c3\u00a1n Harm\u00c3\u00a1n", "Zoltán Harmán"),
        ("J\u00c3\u00bcrgen M\u00c3\u00bcller", "Jürgen Müller"),
        ("na\u00c3\u00afve \u00e2\u0080\u009cdeep\u00e2\u0080\u009d models", "naïve “deep” models"),
    ],
)
def test_it_repairs_mojibake_instead_of_stripping_it(broken, repaired):
    assert clean_text(broken) == repaired
    assert clean_abstract(broken) == repaired


@pytest.mark.parametrize("kept", ["Weißl, Zoltán, Σ-Mem", "“curly” quotes, ﬁ ligature, ＡＩ", "&lt;1 minute"])
def test_it_leaves_correct_text_alone(kept):
    assert repair_encoding(kept) == kept


def test_it_reads_a_lone_c1_byte_as_the_windows_1252_character_it_was():
    assert clean_text("Results \x96 and more\x85") == "Results – and more…"


@pytest.mark.parametrize("broken", ["Wei\x81l and Smith", "a title\x8d", "\x90"])
def test_it_rejects_a_control_character_that_no_repair_explains(broken):
    # 0x81, 0x8D, 0x90 are unassigned in Windows-1252: nothing to repair them to.
    with pytest.raises(RecordError, match="broken text encoding"):
        clean_text(broken)


def test_a_parser_repairs_a_mis_decoded_name_from_a_response():
    body = json.dumps(
        [
            {
                "paper": {
                    "id": "2606.00001",
                    "title": "A paper",
                    "summary": "Text.",
                    "authors": [{"name": "Johannes Wei\u00c3\u009fl"}],
                },
                "publishedAt": "2026-06-12T00:00:00.000Z",
            }
        ]
    )

    records, errors = parse_hf_daily(body.encode(), day=date(2026, 6, 12))

    assert errors == [] and records[0].authors == ("Johannes Weißl",)


def test_a_parser_rejects_one_record_with_unrepairable_text_and_keeps_the_rest():
    items = [
        {
            "paper": {"id": f"2606.0000{n}", "title": title, "summary": "Text.", "authors": []},
            "publishedAt": "2026-06-12T00:00:00.000Z",
        }
        for n, title in ((1, "Broken \x81 title"), (2, "Fine title"))
    ]

    records, errors = parse_hf_daily(json.dumps(items).encode(), day=date(2026, 6, 12))

    assert [r.title for r in records] == ["Fine title"]
    assert len(errors) == 1 and "broken text encoding" in errors[0]


def test_a_backslash_before_a_url_leaves_no_private_marker():
    # Found by test_parsers_hypothesis: the converter spaced out the held URL's marker.
    for text in ("\\https://x.org/~a", "see \\https://x.org/~a and $x$"):
        cleaned = clean_abstract(text)
        assert "https://x.org/~a" in cleaned
        assert not any(mark in cleaned for mark in "\ue000\ue001")


def test_private_use_characters_are_dropped():
    # They render as boxes, and the LaTeX converter uses that range for its markers.
    assert clean_abstract("a\ue000b \uf8ff$x$") == "ab x"
