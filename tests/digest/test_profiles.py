"""digest.profiles: Feedback rows reach the ranking profile as moved vectors, not as anchors (real bundled model)."""

from datetime import date
from types import SimpleNamespace

import numpy as np
import pytest

from digest import candidates
from digest.embedding import paper_vectors, papers_embed
from digest.profiles import profiles_for, vectors_key
from tests.factories import FeedbackFactory, PaperFactory, SubscriberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EDITION = date(2026, 3, 4)


def test_clicks_move_the_profile_toward_more_and_away_from_less():
    candidates._paper_sets.clear()
    liked = PaperFactory(title="Learned sparse retrieval with expansion", abstract="SPLADE for search.")
    disliked = PaperFactory(title="Deep learning for MRI reconstruction", abstract="Accelerated MRI.")
    papers_embed()
    clicker = SubscriberFactory(profile__interests="retrieval and search. Not interested in robotics.")
    twin = SubscriberFactory(profile__interests="retrieval and search. Not interested in robotics.")
    FeedbackFactory(subscriber=clicker, paper=liked, signal=1)
    FeedbackFactory(subscriber=clicker, paper=disliked, signal=-1)

    moved, plain = sorted(
        profiles_for([clicker, twin], edition_date=EDITION), key=lambda p: p.key != clicker.pk
    )

    assert moved.reading.exclusions == ("robotics",) and moved.exclusions == ["robotics"]
    assert moved.positive_labels == []  # a click is not an anchor of its own
    assert {liked.pk, disliked.pk} <= moved.exclude_ids
    vectors = paper_vectors([liked.pk, disliked.pk])
    liked_vector, disliked_vector = vectors[liked.pk], vectors[disliked.pk]
    assert float(moved.summary_vector @ liked_vector) > float(plain.summary_vector @ liked_vector)
    assert float(moved.summary_vector @ disliked_vector) < float(plain.summary_vector @ disliked_vector)
    assert np.allclose(np.linalg.norm(moved.facet_vectors, axis=1), 1.0, atol=1e-5)


def test_the_vectors_cache_key_follows_the_texts_embedded_not_the_words_typed(monkeypatch):
    def topic(interests):
        return SimpleNamespace(interests=interests, exclusions="")

    # Filler the reading drops does not change what is embedded.
    assert vectors_key(topic("Hi! retrieval; robotics")) == vectors_key(topic("retrieval; robotics"))
    before = vectors_key(topic("retrieval; robotics"))
    # New reading rules that read the same words otherwise: the key changes, so the
    # next run re-embeds once instead of embedding per reader every day.
    monkeypatch.setattr("digest.profiles.ranking.profile_texts", lambda **_: ["retrieval; robotics"])
    assert vectors_key(topic("retrieval; robotics")) != before
