"""digest.profiles: Feedback rows reach the ranking profile as moved vectors, not as anchors (real bundled model)."""

from datetime import date

import numpy as np
import pytest

from digest import candidates
from digest.embedding import paper_vectors, papers_embed
from digest.profiles import profiles_for, vectors_key
from subscriptions.models import TopicProfile
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
    # The liked paper's words make a query of their own; the disliked one's do not.
    assert moved.liked_texts == ("Learned sparse retrieval with expansion. SPLADE for search.",)
    assert plain.liked_texts == ()


def test_vectors_cached_under_other_reading_rules_are_embedded_again_once():
    subscriber = SubscriberFactory(profile__interests="retrieval and search. Not interested in robotics.")
    profiles_for([subscriber], edition_date=EDITION)
    topic = TopicProfile.objects.get(subscriber=subscriber)
    texts = topic.vectors_layout["texts"]
    # As an earlier version of the reading rules wrote it: the words and the key are current.
    TopicProfile.objects.filter(pk=topic.pk).update(
        vectors_layout={**topic.vectors_layout, "texts": ["older"]}
    )

    profiles_for([subscriber], edition_date=EDITION)

    topic.refresh_from_db()
    assert topic.vectors_layout["texts"] == texts  # rewritten, so later runs use the cache again
    assert topic.vectors_key == vectors_key(topic)
