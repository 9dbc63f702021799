"""The candidate papers of one run as arrays: ids, texts, unit vectors, upvotes."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from digest.ranking.lexical import LexicalIndex
from digest.ranking.text import paper_text

# Upvotes are a tie-breaker only: at most this much calibrated score, reached
# at POPULARITY_SATURATION upvotes (log scale).
POPULARITY_MAX_BONUS = 0.02
POPULARITY_SATURATION = 100


@dataclass
class PaperSet:
    """The candidate papers of one run, loaded once and shared by every profile."""

    ids: np.ndarray  # (n,) int64 paper ids
    titles: list[str]
    texts: list[str]  # title + abstract
    vectors: np.ndarray  # (n, d) float32 unit rows
    upvotes: np.ndarray  # (n,) float32, 0 where unknown
    _lexical: LexicalIndex | None = field(default=None, repr=False, compare=False)
    _column: dict[int, int] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def lexical(self) -> LexicalIndex:
        """Built on first use, then shared by every profile scored against this set."""
        if self._lexical is None:
            self._lexical = LexicalIndex(self.texts)
        return self._lexical

    def column(self, paper_id: int) -> int | None:
        if self._column is None:
            self._column = {int(pid): i for i, pid in enumerate(self.ids)}
        return self._column.get(int(paper_id))

    @functools.cached_property
    def popularity(self) -> np.ndarray:
        """Bounded tie-breaker from upvotes, 0..POPULARITY_MAX_BONUS."""
        upvotes = np.clip(np.nan_to_num(np.asarray(self.upvotes, dtype=np.float32)), 0, None)
        return (
            POPULARITY_MAX_BONUS * np.minimum(1.0, np.log1p(upvotes) / math.log1p(POPULARITY_SATURATION))
        ).astype(np.float32)


def build_paper_set(
    *,
    ids: Sequence[int],
    titles: Sequence[str],
    abstracts: Sequence[str],
    vectors: np.ndarray,
    upvotes: Sequence[float | None],
) -> PaperSet:
    """The one way to make a PaperSet: every text from paper_text, the formula the stored vectors used.

    digest.candidates loads the daily run's papers through it; the evaluation and
    the benchmarks build theirs from files with it.
    """
    return PaperSet(
        ids=np.asarray(ids, dtype=np.int64),
        titles=list(titles),
        texts=[paper_text(title, abstract) for title, abstract in zip(titles, abstracts, strict=True)],
        vectors=np.asarray(vectors, dtype=np.float32),
        upvotes=np.asarray([u or 0 for u in upvotes], dtype=np.float32),
    )
