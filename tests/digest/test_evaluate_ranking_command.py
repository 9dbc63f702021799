"""manage.py evaluate_ranking: results on stdout, the long steps named on stderr."""

import json
from io import StringIO

from django.core.management import call_command


def test_it_prints_the_table_and_says_what_takes_long(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "\n".join(
            json.dumps({"id": pid, "title": title, "abstract": ""})
            for pid, title in [
                ("p1", "Dense passage retrieval for open-domain question answering"),
                ("p2", "Physics-informed neural networks for fluid dynamics"),
                ("p3", "Learned sparse representations for first-stage retrieval"),
            ]
        )
    )
    devset = tmp_path / "devset.json"
    devset.write_text(
        json.dumps(
            {
                "corpus": str(corpus),
                "profiles": [{"id": "ir", "interests": "neural retrieval", "judgments": {"p1": 2, "p3": 1}}],
            }
        )
    )
    out, err = StringIO(), StringIO()

    call_command("evaluate_ranking", "--devset", str(devset), stdout=out, stderr=err)

    assert f"{devset} split=all: 1 profiles, 3 papers" in out.getvalue()
    assert "ours" in out.getvalue() and "bm25" in out.getvalue()
    assert err.getvalue().splitlines() == [
        f"Embedding the 3 papers of {corpus}...",
        "Ranking the corpus for 1 profiles with each method...",
    ]
