"""The one normalisation every source goes through: ids, whitespace, and LaTeX made readable."""

import pytest

from digest.sources.arxiv_api import parse_arxiv_api
from digest.sources.records import clean_abstract, clean_text, readable_latex
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


@pytest.mark.parametrize(
    "kept",
    [
        r"$\mathfrak{g}$-modules",  # unknown command with an argument: left as written
        "costs $5 and $10 a month",  # money, not math
        "a {weird} brace, C++ & <tags>",
        "Σ-Mem and β-OPSD",
    ],
)
def test_it_leaves_what_it_does_not_recognise(kept):
    assert readable_latex(kept) == kept.replace(r"$\mathfrak{g}$", r"\mathfrak{g}")


def test_it_gives_the_same_text_when_cleaned_twice():
    # The sample corpus stores cleaned text and is cleaned again when loaded.
    for raw in (r"``not-so-surprising'' finding, {\it model size}, $\ln\ln T$ and \$5", "plain text"):
        once = clean_abstract(raw)
        assert clean_abstract(once) == once


def test_it_makes_the_latex_of_a_recorded_api_response_readable():
    records, _ = parse_arxiv_api(read_fixture("arxiv_api_query_cs.LG-OR-cs.AI_2026-04-30.atom.xml"))

    note = next(r for r in records if r.title.startswith("A Note on How to Remove the"))
    assert "ln ln T Term" in note.title and "$" not in note.title
    assert any("roughly 1/√n." in r.abstract for r in records)
    assert any("n → ∞" in r.abstract for r in records)
