"""Score papers against subscriber profiles and pick each digest: the pure ranking core.

Pure functions over numpy/scipy arrays: no Django and no ORM here, and the
embedder is always passed in, so the same code serves the daily run, the
sign-up preview and the offline evaluation (digest.ranking.evaluation).
Type-checked by mypy in CI (.ci/run).

Modules: text (facets, tokens, a paper's text), lexical (BM25 index), papers
(PaperSet), profile (Profile, build_profile), score (hybrid similarity,
calibration), selection (threshold, MMR, rank: the reference), batch
(rank_batch: the daily run's fast path, same picks), evaluation (the dev set).

How a paper is scored for one profile (docs/RANKING.md has the figures):

1. Anchors. Every facet of the interests text is an anchor, and so is every
   positive example (a seed paper or a "more like this" click).
2. Hybrid similarity per facet anchor: a weighted sum of the embedding cosine
   and a saturated, self-normalised BM25 score of the facet's words against the
   paper (`LexicalIndex`). Seed anchors have only a vector, so they use an
   affine map of paper-to-paper cosine onto the same scale.
3. The paper's raw relevance is the best anchor's similarity (max over facets),
   minus penalties for exclusions ("not medical imaging") and "less like this"
   papers that the paper resembles beyond a margin.
4. A fixed logistic maps raw relevance to a calibrated 0..1 score, fitted once
   on the tune half of the dev set: it reads as "probability the subscriber
   would call this paper relevant", the same across profiles and days, so a
   subscriber threshold of 0.5 means the same thing for everyone.
5. Selection: never-sent-before, threshold, then a greedy MMR that also charges
   for a facet already served, so a subscriber with three topics gets all three
   and near-duplicates (DrivAerNet, DrivAerNet++) don't crowd one digest.

`rank` scores a block of profiles with one dense product for all anchors of
the block and one sparse product for their words, then selects per profile.
`rank_batch` makes the same picks from one row per distinct text and day,
selecting for a whole block at once (digest/ranking/batch.py says how).
"""

from digest.ranking.batch import rank_batch
from digest.ranking.lexical import LexicalIndex
from digest.ranking.papers import PaperSet, build_paper_set
from digest.ranking.profile import Profile, build_profile, describe_interests, profile_texts, reader_examples
from digest.ranking.score import Scores, calibrate, score_profiles
from digest.ranking.selection import Pick, rank, select
from digest.ranking.text import (
    Reading,
    interests_within,
    paper_text,
    read_interests,
    split_exclusions,
    split_facets,
    tokenize,
)

__all__ = [
    "LexicalIndex",
    "PaperSet",
    "Pick",
    "Profile",
    "Reading",
    "Scores",
    "build_paper_set",
    "build_profile",
    "calibrate",
    "describe_interests",
    "interests_within",
    "paper_text",
    "profile_texts",
    "rank",
    "rank_batch",
    "read_interests",
    "reader_examples",
    "score_profiles",
    "select",
    "split_exclusions",
    "split_facets",
    "tokenize",
]
