"""From a feed to the reader: what the normalisation makes of LaTeX and mojibake is what the digest shows."""

import re

import pytest

from digest.delivery import digest_message
from digest.ingest import records_upsert
from digest.models import Paper
from digest.sources.arxiv_api import parse_arxiv_api
from tests.digest.sources import read_fixture
from tests.factories import DigestFactory, DigestItemFactory

pytestmark = pytest.mark.django_db

# What readers were shown: macros, math delimiters, braces, "diagleft(", "(ast)".
RESIDUE = re.compile(r"\\[A-Za-z]|\$|[{}]|left\(|right\)|\bast\b|Ã|begin|array")


def _strip_html(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(style|head)\b.*?</\1>", " ", html, flags=re.DOTALL))


def test_the_digest_carries_no_latex_residue_from_the_feed():
    records, errors = parse_arxiv_api(read_fixture("arxiv_api_synthetic_latex-quirks.atom.xml"))
    assert errors == []
    records_upsert(records)
    digest = DigestFactory()
    for rank, arxiv_id in enumerate(("2606.90001", "2606.90002"), start=1):
        DigestItemFactory(digest=digest, paper=Paper.objects.get(arxiv_id=arxiv_id), rank=rank)

    message = digest_message(digest)
    html = message.alternatives[0][0]

    assert "Measurements of tt\u0304 in association with a W boson at √s = 13 TeV"[:40] in message.subject
    # The text part is wrapped at 78 columns: phrases are compared with their spaces collapsed.
    for body in (" ".join(message.body.split()), _strip_html(html)):
        assert not RESIDUE.search(body), RESIDUE.search(body)
        assert "D_s^(*) mesons" in body
        assert "diag(exp(QK^⊤) 1_n)" in body
        assert "n^(1+o(1))" in body
        assert "Testing ΛCDM with Planetary Nebulae" in body
        assert "at 20°C in “closed form”" in body
        assert "V. Frolík" in body and "Johannes Weißl" in body
    assert not RESIDUE.search(message.subject)
