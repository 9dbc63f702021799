"""digest.embedding.embed_texts: small calls (a preview's typed words) are remembered per process."""

import numpy as np
import pytest

from digest import embedding


class _CountingModel:
    def __init__(self):
        self.calls = []

    def encode(self, texts, **kwargs):
        self.calls.append(list(texts))
        return np.array([[len(text), 1.0] for text in texts], dtype=np.float32)

    def get_sentence_embedding_dimension(self):
        return 2


@pytest.fixture
def model(monkeypatch):
    fake = _CountingModel()
    monkeypatch.setattr(embedding, "load_model", lambda name: fake)
    embedding._embed_small.cache_clear()
    yield fake
    embedding._embed_small.cache_clear()


def test_the_same_words_are_embedded_once(model):
    first = embedding.embed_texts(["protein design", "graph networks"], name="counting")
    again = embedding.embed_texts(["protein design", "graph networks"], name="counting")

    assert np.array_equal(first, again)
    assert model.calls == [["protein design", "graph networks"]]


def test_a_caller_scaling_its_rows_changes_no_later_answer(model):
    vectors = embedding.embed_texts(["protein design"], name="counting")
    vectors *= 0

    assert embedding.embed_texts(["protein design"], name="counting")[0, 0] == len("protein design")


def test_other_words_or_a_large_batch_are_encoded_afresh(model):
    embedding.embed_texts(["protein design"], name="counting")
    embedding.embed_texts(["protein folding"], name="counting")
    batch = [f"paper {n}" for n in range(embedding._SMALL_CALL_TEXTS + 1)]
    embedding.embed_texts(batch, name="counting")
    embedding.embed_texts(batch, name="counting")

    assert model.calls == [["protein design"], ["protein folding"], batch, batch]
