"""Metric functions of digest.ranking.evaluation on hand-computed examples."""

import math

import numpy as np
import pytest

from digest.data import DEVSET, HELDOUT, HELDOUT2, HELDOUT3
from digest.ranking import evaluation


def test_ndcg_is_one_for_the_ideal_order_and_hand_computed_otherwise():
    judgments = {"a": 2, "b": 1}
    assert evaluation.ndcg_at_k(["a", "b", "c"], judgments, 10) == pytest.approx(1.0)
    # gains 0, 3, 1 at ranks 1..3 against the ideal 3, 1
    dcg = 3 / math.log2(3) + 1 / math.log2(4)
    ideal = 3 / math.log2(2) + 1 / math.log2(3)
    assert evaluation.ndcg_at_k(["c", "a", "b"], judgments, 10) == pytest.approx(dcg / ideal)
    assert evaluation.ndcg_at_k(["x"], {}, 10) == 0.0


def test_ndcg_only_looks_at_the_first_k():
    assert evaluation.ndcg_at_k(["x", "a"], {"a": 2}, 1) == 0.0


def test_precision_counts_any_positive_grade():
    assert evaluation.precision_at_k(["a", "x", "b", "y", "z"], {"a": 2, "b": 1}, 5) == pytest.approx(0.4)


def test_recall_at_k():
    assert evaluation.recall_at_k(["a", "x"], {"a": 1, "b": 2, "c": 1}, 20) == pytest.approx(1 / 3)
    assert evaluation.recall_at_k(["a"], {}, 20) == 0.0


def test_summarise_reports_means_and_the_worst_profile():
    results = [
        evaluation.ProfileResult("p1", "ours", 1.0, 1.0, 1.0),
        evaluation.ProfileResult("p2", "ours", 0.5, 0.2, 0.4),
    ]
    (row,) = evaluation.summarise(results)
    assert row["ndcg10"] == pytest.approx(0.75)
    assert row["worst_profile"] == "p2"
    assert "ours" in evaluation.format_table([row])


def test_fit_calibration_recovers_a_logistic():
    rng = np.random.default_rng(0)
    raw = rng.uniform(0, 1, 20000)
    relevant = rng.uniform(0, 1, 20000) < 1 / (1 + np.exp(-(raw - 0.4) / 0.05))
    center, scale = evaluation.fit_calibration(raw, relevant)
    assert center == pytest.approx(0.4, abs=0.01)
    assert scale == pytest.approx(0.05, abs=0.01)


@pytest.mark.parametrize(
    ("path", "splits"),
    [
        (DEVSET, {"tune", "holdout"}),
        (HELDOUT, {"heldout"}),
        (HELDOUT2, {"heldout2"}),
        (HELDOUT3, {"heldout3"}),
    ],
    ids=["devset", "heldout", "heldout2", "heldout3"],
)
def test_the_graded_sets_are_well_formed(path, splits):
    profiles, corpus = evaluation.load_devset(path)
    assert corpus.exists()
    assert len(profiles) >= 20
    assert {p.split for p in profiles} == splits
    ids = {line.split('"id": "')[1].split('"')[0] for line in corpus.read_text().splitlines() if line.strip()}
    for profile in profiles:
        assert profile.judgments and set(profile.judgments) <= ids
        assert set(profile.judgments.values()) <= {1, 2}
        # Seeds are the reader's own examples: never graded, and removed from every ranking.
        assert not set(profile.seeds) & set(profile.judgments)


def test_judgments_and_seeds_may_name_papers_by_title(tmp_path):
    corpus_file = tmp_path / "corpus.jsonl"
    corpus_file.write_text(
        '{"id": "a1", "title": "Dense Retrieval", "abstract": "dense retrieval of passages"}\n'
        '{"id": "b2", "title": "Robot  Control", "abstract": "reinforcement learning for robots"}\n'
    )
    corpus = evaluation.load_corpus(corpus_file, embed=lambda texts: np.eye(len(texts), 4, dtype=np.float32))
    profile = evaluation.DevProfile(
        "p",
        "tune",
        "retrieval",
        "",
        seeds=["robot control"],
        judgments={"dense retrieval": 2, "b2": 1, "Missing": 1},
    )
    assert corpus.judgments(profile) == ({"a1": 2, "b2": 1}, ["Missing"])
    assert evaluation._seed_columns(corpus, profile.seeds) == [1]


def _word_embed(texts):
    """Bag of a few words as unit vectors: enough for the ranking to tell topics apart."""
    words = ["retrieval", "search", "robot", "medical", "car"]
    out = np.array([[text.lower().count(w) for w in words] + [0.3] for text in texts], dtype=np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _small_corpus(tmp_path):
    rows = [
        ("r1", "Dense retrieval", "retrieval search"),
        ("r2", "Sparse retrieval", "retrieval search index"),
        ("r3", "Retrieval for robots", "retrieval robot"),
        ("m1", "Medical search", "medical search"),
        ("c1", "Car search", "car search"),
        ("b1", "Robot control", "robot"),
    ]
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(f'{{"id": "{i}", "title": "{t}", "abstract": "{a}"}}' for i, t, a in rows))
    return evaluation.load_corpus(path, embed=_word_embed)


def test_feedback_simulation_starts_equal_and_never_counts_sent_papers(tmp_path):
    corpus = _small_corpus(tmp_path)
    reader = evaluation.DevProfile("p", "tune", "retrieval search", "", [], {"r1": 2, "r2": 2, "r3": 1})
    (result,) = evaluation.simulate_feedback([reader], corpus, embed=_word_embed, rounds=2, digest_size=1)
    assert len(result.clicking) == len(result.twin) == 3
    assert result.clicking[0] == pytest.approx(result.twin[0])
    # Three relevant papers, one sent a day: on day 3 one is left for either twin, ranked first.
    assert result.clicking[2] == pytest.approx(1.0)
    # Both twins were sent the same first digest, so they are measured on the same pool on day 2.
    assert result.clicking_common[:2] == pytest.approx(result.clicking[:2])
    assert result.twin_common[:2] == pytest.approx(result.twin[:2])
    report = evaluation.format_feedback([result], report_rounds=(1, 2))
    assert "1 round" in report and "same pool" in report


def test_results_are_grouped_by_split_and_style():
    profiles = [
        evaluation.DevProfile("a", "tune", "x", "", [], {"r1": 1}, style="prose"),
        evaluation.DevProfile("b", "holdout", "x", "", [], {"r1": 1}, style="keywords"),
        evaluation.DevProfile("c", "holdout", "x", "", [], {"r1": 1}, style="prose"),
    ]
    labels = {label: [p.id for p in group] for label, group in evaluation.groups(profiles)}
    assert labels == {
        "split=holdout": ["b", "c"],
        "split=tune": ["a"],
        "style=keywords": ["b"],
        "style=prose": ["a", "c"],
    }
