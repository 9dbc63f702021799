"""BM25 over a PaperSet's texts as one sparse matrix, plus exact-phrase checks for exclusions."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from digest.ranking.text import tokenize

# BM25 parameters (Lucene variant, as in bm25s).
BM25_K1 = 1.2
BM25_B = 0.75
# A paper that matches a query's IDEAL_WORDS most specific words (highest idf)
# is a full lexical match: a long facet ("initialization and parametrization of
# deep nets") must not need all its words to score, or its lexical half would
# shrink beside the cosine half as the facet grows. 2..4 are within a point.
IDEAL_WORDS = 3


class LexicalIndex:
    """BM25 (bm25s, Lucene variant) as a sparse matrix: vocab x papers.

    A facet's lexical score for every paper is then one sparse product. Scores
    are divided by the facet's ideal score (its IDEAL_WORDS most specific words
    present once in a paper of average length: the sum of their idf), then
    saturated with 1 - exp(-x), so a facet's lexical score is in 0..1 whatever
    its length.
    """

    def __init__(self, texts: Sequence[str]):
        import bm25s

        corpus = [list(tokenize(text)) or ["\0"] for text in texts]
        self._tokens = corpus
        retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene")
        retriever.index(corpus, show_progress=False)
        scores = retriever.scores
        self.n_docs = int(scores["num_docs"])
        terms = len(scores["indptr"]) - 1
        # bm25s adds an empty-string entry past the last scored token; drop it.
        self.vocab: dict[str, int] = {t: i for t, i in retriever.vocab_dict.items() if t and i < terms}
        # bm25s stores one row per token (CSR over tokens, columns are papers).
        self.weights = sp.csr_matrix(
            (scores["data"], scores["indices"], scores["indptr"]),
            shape=(terms, self.n_docs),
            dtype=np.float32,
        )
        df = np.diff(self.weights.indptr).astype(np.float64)
        self.idf = np.log1p((self.n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        # A query word no paper contains still counts in the ideal: a facet's
        # score must not rise on days when half its words are absent.
        self.unseen_idf = float(math.log1p((self.n_docs + 0.5) / 0.5))

    def query_matrix(self, queries: Sequence[str]) -> sp.csr_matrix:
        """queries x vocab, each row's weights summing to 1/ideal per present word."""
        indptr, indices, data = [0], [], []
        for query in queries:
            words = dict.fromkeys(tokenize(query))
            ids = [self.vocab[w] for w in words if w in self.vocab]
            idf = sorted(
                [*self.idf[ids].tolist(), *[self.unseen_idf] * (len(words) - len(ids))], reverse=True
            )
            ideal = float(sum(idf[:IDEAL_WORDS]))
            if ids and ideal > 0:
                indices.extend(ids)
                data.extend([1.0 / ideal] * len(ids))
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
            shape=(len(queries), self.weights.shape[0]),
        )

    def bm25(self, queries: Sequence[str]) -> np.ndarray:
        """(queries, papers) plain BM25: every query word counts once, nothing saturates.

        Unlike `scores`, a paper that matches more of a long query's words
        scores higher however many it already matches: how much of a whole
        profile a paper covers.
        """
        indptr: list[int] = [0]
        indices: list[int] = []
        for query in queries:
            indices.extend(self.vocab[w] for w in dict.fromkeys(tokenize(query)) if w in self.vocab)
            indptr.append(len(indices))
        matrix = sp.csr_matrix(
            (
                np.ones(len(indices), dtype=np.float32),
                np.asarray(indices, dtype=np.int32),
                np.asarray(indptr),
            ),
            shape=(len(queries), self.weights.shape[0]),
        )
        return (matrix @ self.weights).toarray()

    @functools.cached_property
    def _average_length(self) -> float:
        return float(np.mean([len(words) for words in self._tokens])) if self._tokens else 1.0

    @functools.cached_property
    def _text_rows(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per text already weighed (terms_bm25): its words' vocab ids and BM25 weights."""
        return {}

    def _text_weights(self, texts: Sequence[str]) -> sp.csr_matrix:
        """(texts, vocab) each text's BM25 weight per word it has, as the index would weigh it (today's idf)."""
        rows = self._text_rows
        for text in texts:
            if text not in rows:
                words = tokenize(text)
                # Integer ids even when no word is in today's vocabulary (an all-stopword title).
                known = np.fromiter((self.vocab[w] for w in words if w in self.vocab), dtype=np.int64)
                ids, counts = np.unique(known, return_counts=True)
                norm = BM25_K1 * (1 - BM25_B + BM25_B * len(words) / self._average_length)
                tf = counts * (BM25_K1 + 1) / (counts + norm)
                rows[text] = (ids.astype(np.int32), (self.idf[ids] * tf).astype(np.float32))
        parts = [rows[text] for text in texts]
        indptr = np.concatenate([[0], np.cumsum([len(ids) for ids, _ in parts], dtype=np.int64)])
        return sp.csr_matrix(
            (
                np.concatenate([w for _, w in parts] or [np.zeros(0, np.float32)]),
                np.concatenate([ids for ids, _ in parts] or [np.zeros(0, np.int32)]),
                indptr,
            ),
            shape=(len(texts), self.weights.shape[0]),
        )

    def terms_bm25(self, texts_per_query: Sequence[Sequence[str]], *, top: int) -> np.ndarray:
        """(queries, papers) plain BM25 of each query's characteristic words, weighted.

        A query is a few papers' texts (a reader's liked papers): each word
        weighs its mean BM25 weight in those texts (today's idf), and the `top`
        heaviest are the query, so the words the liked papers share and that
        few papers use count most. Words no paper of today has cannot score.
        Each distinct text is weighed once per index, however many readers liked it.
        """
        # Sorted texts and sorted words: a reader's row is summed and cut the same
        # way whatever block it is scored in (rank and rank_batch must agree on ties).
        unique = sorted({text for texts in texts_per_query for text in texts})
        column = {text: i for i, text in enumerate(unique)}
        owner = [q for q, texts in enumerate(texts_per_query) for _ in texts]
        share = [1.0 / len(texts) for texts in texts_per_query for _ in texts]
        mean = sp.csr_matrix(
            (
                np.asarray(share, dtype=np.float32),
                (np.asarray(owner, dtype=np.int64), [column[t] for texts in texts_per_query for t in texts]),
            ),
            shape=(len(texts_per_query), len(unique)),
        ) @ self._text_weights(unique)
        mean.sort_indices()
        for q in range(mean.shape[0]):  # keep each query's `top` heaviest words
            row = mean.data[mean.indptr[q] : mean.indptr[q + 1]]
            if len(row) > top:
                row[np.argpartition(-row, top - 1)[top:]] = 0
        mean.eliminate_zeros()
        return (mean @ self.weights).toarray()

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """(queries, papers) lexical scores in 0..1."""
        raw = (self.query_matrix(queries) @ self.weights).toarray()
        return -np.expm1(-raw, dtype=np.float32)

    def scores_and_bm25(self, queries: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(scores(queries), bm25(queries)) at once: the same words, weighted 1/ideal and 1.

        digest.ranking.batch needs both for every reader's whole-profile text. The
        words the queries use are taken as dense rows and multiplied sparse-by-dense
        (2-3x faster than sparse-by-sparse at a block of 256 readers): each output
        still sums its query's words in the same order, so both are exactly what
        the two methods return.
        """
        weighted = self.query_matrix(queries)
        words, columns = np.unique(weighted.indices, return_inverse=True)
        columns = columns.astype(np.int32)
        plain = np.ones_like(weighted.data)
        stacked = sp.csr_matrix(
            (
                np.concatenate([weighted.data, plain]),
                np.concatenate([columns, columns]),
                np.concatenate([weighted.indptr, weighted.indptr[1:] + weighted.nnz]),
            ),
            shape=(2 * len(queries), len(words)),
        )
        both = stacked @ self.weights[words].toarray()
        return -np.expm1(-both[: len(queries)], dtype=np.float32), both[len(queries) :]

    @functools.cached_property
    def _bigram_index(self) -> tuple[dict[tuple[str, str], int], sp.csr_matrix]:
        """Adjacent word pairs per paper (pairs x papers, 1 where present); built on the first phrase check."""
        bigrams: dict[tuple[str, str], int] = {}
        rows, cols = [], []
        for column, words in enumerate(self._tokens):
            for pair in set(zip(words, words[1:], strict=False)):
                rows.append(bigrams.setdefault(pair, len(bigrams)))
                cols.append(column)
        presence = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(bigrams), len(self._tokens))
        )
        return bigrams, presence

    def phrase_present(self, phrases: Sequence[str]) -> np.ndarray:
        """(phrases, papers) True where the paper has the phrase's words in order, adjacent.

        "dataset distillation" must not match every paper that says "distillation"
        and, somewhere else, "dataset". Stopwords are dropped on both sides, so
        "state of the art" matches "state-of-the-art".
        """
        present = np.zeros((len(phrases), self.n_docs), dtype=bool)
        for row, phrase in enumerate(phrases):
            words = tokenize(phrase)
            if len(words) == 1:
                matrix, keys = self.weights, [self.vocab.get(words[0])]
            else:
                bigrams, matrix = self._bigram_index
                keys = [bigrams.get(pair) for pair in zip(words, words[1:], strict=False)]
            if not keys or None in keys:
                continue  # a word or pair that no paper has
            present[row] = np.asarray((matrix[keys] > 0).sum(axis=0)).ravel() >= len(keys)
        return present
