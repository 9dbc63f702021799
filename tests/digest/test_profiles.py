"""digest.profiles: clicks move the profile's vectors; the stored reading and vectors, and when they are stale (real bundled model)."""

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from digest import candidates, profiles
from digest.embedding import paper_vectors, papers_embed
from digest.profiles import profiles_for, vectors_key
from digest.ranking import profile as ranking_profile
from digest.ranking import text as ranking_text
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


def _stored(subscriber) -> TopicProfile:
    profiles_for([subscriber], edition_date=EDITION)
    return TopicProfile.objects.get(subscriber=subscriber)


def test_the_daily_load_reads_the_stored_reading_and_parses_no_text(monkeypatch):
    subscriber = SubscriberFactory(profile__interests="retrieval and search; graph neural networks")
    expected = profiles_for([subscriber], edition_date=EDITION)[0]

    def parse(text):
        raise AssertionError("the stored reading should have been used")

    monkeypatch.setattr(ranking_profile, "read_interests", parse)
    (loaded,) = profiles_for([subscriber], edition_date=EDITION)

    assert loaded.reading == expected.reading
    assert loaded.facets == ["retrieval and search", "graph neural networks"]
    assert np.array_equal(loaded.facet_vectors, expected.facet_vectors)


def test_a_reading_made_under_other_rules_is_read_again_and_its_vectors_kept_when_its_texts_are_the_same(
    monkeypatch,
):
    subscriber = SubscriberFactory(profile__interests="retrieval and search. Not interested in robotics.")
    topic = _stored(subscriber)
    # As other rules stored it: another reading of the same words.
    layout = {**topic.vectors_layout, "rules": "older", "reading": {"facets": ["stale"], "exclusions": []}}
    TopicProfile.objects.filter(pk=topic.pk).update(vectors_layout=layout)

    def embed(texts):
        raise AssertionError("the texts did not change: the vectors should have been kept")

    monkeypatch.setattr(profiles, "embed_texts", embed)
    (profile,) = profiles_for([subscriber], edition_date=EDITION)

    assert profile.facets == ["retrieval and search"] and profile.exclusions == ["robotics"]
    stored = TopicProfile.objects.get(pk=topic.pk)
    assert stored.vectors_layout == topic.vectors_layout  # read again under these rules, written back
    assert bytes(stored.vectors) == bytes(topic.vectors)


def test_a_profile_stored_before_readings_were_kept_is_read_once_and_keeps_its_vectors(monkeypatch):
    subscriber = SubscriberFactory(profile__interests="retrieval and search; graph neural networks")
    topic = _stored(subscriber)
    # As rows were written before this change: the texts and their vectors, no reading, no rules.
    legacy = {"texts": topic.vectors_layout["texts"], "dim": topic.vectors_layout["dim"]}
    TopicProfile.objects.filter(pk=topic.pk).update(vectors_layout=legacy)

    def embed(texts):
        raise AssertionError("the texts did not change: the vectors should have been kept")

    monkeypatch.setattr(profiles, "embed_texts", embed)
    (profile,) = profiles_for([subscriber], edition_date=EDITION)

    assert profile.facets == ["retrieval and search", "graph neural networks"]
    assert TopicProfile.objects.get(pk=topic.pk).vectors_layout == topic.vectors_layout


def test_vectors_cached_under_other_reading_rules_are_embedded_again_once():
    subscriber = SubscriberFactory(profile__interests="retrieval and search. Not interested in robotics.")
    topic = _stored(subscriber)
    texts = topic.vectors_layout["texts"]
    # As an earlier version of the reading rules wrote it: the words and the key are current.
    TopicProfile.objects.filter(pk=topic.pk).update(
        vectors_layout={**topic.vectors_layout, "texts": ["older"], "rules": "older"}
    )

    profiles_for([subscriber], edition_date=EDITION)

    topic.refresh_from_db()
    assert topic.vectors_layout["texts"] == texts  # rewritten, so later runs use the cache again
    assert topic.vectors_layout["rules"] == profiles.READING_RULES
    assert topic.vectors_key == vectors_key(topic)


def test_the_reading_rules_fingerprint_changes_with_the_code_that_reads(monkeypatch, tmp_path):
    assert profiles._reading_rules() == profiles.READING_RULES
    changed = tmp_path / "text.py"
    changed.write_bytes(Path(ranking_text.__file__).read_bytes() + b"\nMAX_FACETS = 13\n")
    monkeypatch.setattr(ranking_text, "__file__", str(changed))

    assert profiles._reading_rules() != profiles.READING_RULES
