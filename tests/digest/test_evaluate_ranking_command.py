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


def test_it_reports_by_split_and_style_and_simulates_clicks(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "\n".join(
            json.dumps({"id": f"p{i}", "title": title, "abstract": ""})
            for i, title in enumerate(
                [
                    "Dense passage retrieval for open-domain question answering",
                    "Learned sparse representations for first-stage retrieval",
                    "Physics-informed neural networks for fluid dynamics",
                    "Neural surrogates of car aerodynamics",
                ]
            )
        )
    )
    readers = [
        ("ir", "tune", "prose", "I mostly read about neural retrieval.", {"p0": 2, "p1": 1}),
        ("cfd", "holdout", "keywords", "fluid dynamics, aerodynamics", {"p2": 2, "p3": 2}),
    ]
    held = tmp_path / "held.json"
    held.write_text(
        json.dumps(
            {
                "corpus": str(corpus),
                "profiles": [
                    {"id": i, "split": s, "style": st, "interests": text, "judgments": j}
                    for i, s, st, text, j in readers
                ],
            }
        )
    )
    out = StringIO()

    call_command(
        "evaluate_ranking", "--set", str(held), "--feedback-rounds", "1", stdout=out, stderr=StringIO()
    )

    text = out.getvalue()
    for label in ("split=holdout (1 profiles)", "split=tune (1 profiles)", "style=prose (1 profiles)"):
        assert label in text
    assert "feedback: 1 days of 5-paper digests" in text
    assert "1 round" in text
