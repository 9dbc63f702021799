"""The fast path (ranking.batch.rank_batch) against the reference (ranking.rank): the same picks."""

import dataclasses
import functools
import random

import numpy as np
import pytest

from digest import ranking
from digest.data import DEVSET, HELDOUT, HELDOUT2
from digest.embedding import embed_texts
from digest.ranking import batch, evaluation
from digest.ranking.score import hybrid


@functools.cache
def _corpus_and_readers() -> tuple[evaluation.Corpus, list[ranking.Profile]]:
    """Every dev and held-out reader over the sample corpus, as digest.profiles builds them, in many variants.

    Each reader comes as written (seeds included), then with synthetic "more /
    less like this" clicks, with papers already sent, with an exclusion added,
    and with each digest size and threshold a subscriber can choose.
    """
    corpus = evaluation.load_corpus(evaluation.SAMPLE_CORPUS, embed=embed_texts)
    rankers = evaluation.Rankers(corpus, embed_texts)
    dev = [reader for path in (DEVSET, HELDOUT, HELDOUT2) for reader in evaluation.load_devset(path)[0]]
    rng = random.Random(19)
    columns = range(len(corpus.papers))
    readers = []
    for written in dev:
        clicks = {c: rng.choice((1, -1)) for c in rng.sample(columns, rng.randint(1, 6))}
        sent = frozenset(rng.sample(columns, 20))
        excluding = dataclasses.replace(written, exclusions=written.exclusions + ", not robotics")
        for built in (
            rankers.profile(written),
            rankers.profile(written, signals=clicks),
            rankers.profile(written, sent=sent),
            rankers.profile(excluding, signals=clicks, sent=sent),
        ):
            for size, threshold in ((3, 0.0), (5, 0.3), (10, 0.5), (5, 0.0)):
                readers.append(dataclasses.replace(built, key=len(readers), size=size, threshold=threshold))
    return corpus, readers


@pytest.mark.slow
def test_rank_batch_picks_what_rank_picks_on_the_dev_set():
    corpus, readers = _corpus_and_readers()
    assert any(len(r.positive_labels) for r in readers)
    assert any(len(r.exclusions) for r in readers)
    assert any(r.facet_bias is not None and r.facet_bias.any() for r in readers)
    assert any(r.liked_texts for r in readers)  # the liked query read as words too
    assert len(readers) > 2 * batch.BLOCK  # several blocks, of mixed widths

    expected = ranking.rank(corpus.papers, readers)
    for attempt in ("rows computed", "rows reused"):
        got = batch.rank_batch(corpus.papers, readers)
        assert list(got) == list(expected), attempt
        for key, picks in expected.items():
            assert [(p.paper_id, p.why) for p in got[key]] == [(p.paper_id, p.why) for p in picks], (
                attempt,
                key,
            )
            np.testing.assert_allclose(
                [p.score for p in got[key]], [p.score for p in picks], rtol=0, atol=1e-6, err_msg=str(key)
            )
    assert sum(map(len, expected.values())) > len(readers)  # the comparison is about real digests


def _papers(texts):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(texts), 8)).astype(np.float32)
    return ranking.build_paper_set(
        ids=range(100, 100 + len(texts)),
        titles=texts,
        abstracts=[""] * len(texts),
        vectors=vectors / np.linalg.norm(vectors, axis=1, keepdims=True),
        upvotes=[0] * len(texts),
    )


def test_text_rows_keep_a_row_once_a_second_reader_needs_it():
    papers = _papers(["dense retrieval", "robot control", "medical imaging"])
    rows = batch.TextRows(papers, penalty=False)
    unit = np.eye(8, dtype=np.float32)
    first = rows.rows(["retrieval", "robot", "retrieval"], unit[[0, 1, 0]])
    assert rows.count == 1  # "retrieval" twice in one call; "robot" once, not kept yet
    again = rows.rows(["robot", "retrieval", "retrieval"], unit[[1, 0, 2]])
    assert rows.count == 2  # "robot" seen before, now kept; ("retrieval", e2) is another vector
    expected = hybrid(unit[0] @ papers.vectors.T, papers.lexical.scores(["retrieval"])[0])
    np.testing.assert_array_equal(first[0], expected)
    np.testing.assert_array_equal(first[2], expected)
    np.testing.assert_array_equal(again[1], expected)
    np.testing.assert_array_equal(again[0], first[1])
    assert not np.array_equal(again[2], expected)


def test_rank_batch_with_no_papers_or_no_anchors_picks_nothing():
    papers = _papers(["dense retrieval", "robot control"])
    empty = ranking.Profile(key=7, facets=[], facet_vectors=np.zeros((0, 8), dtype=np.float32))
    assert batch.rank_batch(papers, [empty]) == {7: []}
    assert batch.rank_batch(dataclasses.replace(papers, ids=papers.ids[:0]), [empty]) == {7: []}
