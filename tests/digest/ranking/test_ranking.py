"""digest.ranking on tiny hand-made vectors: a fake embedder maps topic words to axes."""

import numpy as np
import pytest

from digest import ranking
from digest.ranking import (
    build_paper_set,
    build_profile,
    interests_within,
    paper_text,
    profile_texts,
    rank,
    read_interests,
    split_exclusions,
    split_facets,
)
from digest.ranking.papers import POPULARITY_MAX_BONUS

AXES = {
    "retrieval": 0,
    "search": 0,
    "ranking": 0,
    "medical": 1,
    "mri": 1,
    "imaging": 1,
    "aerodynamic": 2,
    "car": 2,
    "cfd": 2,
    "drivaernet": 2,
    "pruning": 3,
    "sparse": 3,
    "compression": 3,
    "nas": 4,
    "architecture": 4,
    "reinforcement": 5,
    "robot": 5,
}
DIM = 8


def fake_embed(texts):
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().replace("+", " ").replace(",", " ").split():
            if word in AXES:
                out[i, AXES[word]] += 1
        out[i, DIM - 1] += 0.3  # a shared "it's a paper" direction
    return out / np.linalg.norm(out, axis=1, keepdims=True)


PAPERS = [
    (1, "Dense retrieval for search", "retrieval search ranking with dense vectors"),
    (2, "Learned sparse retrieval", "sparse retrieval search with inverted indexes"),
    (3, "MRI segmentation", "medical imaging mri segmentation network"),
    (4, "Medical retrieval", "medical imaging retrieval search of mri scans"),
    (5, "DrivAerNet: car aerodynamic CFD", "drivaernet car aerodynamic cfd dataset"),
    (6, "DrivAerNet++: car aerodynamic CFD", "drivaernet car aerodynamic cfd dataset larger"),
    (7, "CFD surrogate for car design", "cfd aerodynamic surrogate car shape"),
    (8, "Pruning with NAS", "pruning nas architecture compression"),
    (9, "Magnitude pruning", "pruning sparse compression of weights"),
    (10, "Robot reinforcement learning", "reinforcement robot control"),
]


def paperset(upvotes=None, vectors=None):
    texts = [paper_text(title, abstract) for _, title, abstract in PAPERS]
    return build_paper_set(
        ids=[pid for pid, _, _ in PAPERS],
        titles=[title for _, title, _ in PAPERS],
        abstracts=[abstract for _, _, abstract in PAPERS],
        vectors=fake_embed(texts) if vectors is None else vectors,
        upvotes=upvotes or [0] * len(PAPERS),
    )


def profile(interests, **kwargs):
    kwargs.setdefault("size", 3)
    return build_profile(key=kwargs.pop("key", 1), interests=interests, embed=fake_embed, **kwargs)


def scores_of(papers, profile):
    """Calibrated scores (one per paper) of a single profile."""
    return ranking.score_profiles(papers, [profile]).calibrated[0]


def ids(picks):
    return [p.paper_id for p in picks]


def vector_of(pid, papers):
    return papers.vectors[papers.column(pid)]


class TestFacets:
    def test_it_splits_lines_bullets_semicolons_and_sentences(self):
        text = "- dense retrieval\n* medical imaging; car aerodynamics. Reinforcement learning for robots."
        assert split_facets(text) == [
            "dense retrieval",
            "medical imaging",
            "car aerodynamics",
            "Reinforcement learning for robots",
        ]

    def test_it_splits_keyword_lists_but_not_prose(self):
        assert split_facets("dense retrieval, SPLADE, hybrid search") == [
            "dense retrieval",
            "SPLADE",
            "hybrid search",
        ]
        assert split_facets("pruning, quantization and distillation") == [
            "pruning",
            "quantization",
            "distillation",
        ]
        prose = (
            "I work on making large language models cheaper to run at inference time on commodity hardware"
        )
        # How the reader introduces the interest ("I work on") is not part of its name.
        assert split_facets(prose) == [prose.removeprefix("I work on ")]
        clause = (
            "retrieval, although anything that makes search engines rank documents "
            "better for long and ambiguous queries is welcome"
        )
        assert split_facets("I mostly read about " + clause) == [clause]

    def test_it_splits_a_headed_list_and_keeps_parentheses_whole(self):
        text = "how to train deep nets well: optimizers, normalization layers, curriculum / ordering of training data"
        assert split_facets(text) == [
            "how to train deep nets well",
            "optimizers",
            "normalization layers",
            "curriculum",
            "ordering of training data",
        ]
        assert split_facets("word embeddings (skip-gram, GloVe), contextual word representations") == [
            "word embeddings (skip-gram, GloVe)",
            "contextual word representations",
        ]

    def test_it_keeps_a_shared_noun_together(self):
        assert split_facets("pretext tasks, masked or replaced-token objectives") == [
            "pretext tasks",
            "masked or replaced-token objectives",
        ]
        assert split_facets("ranking, medical image segmentation and MRI reconstruction") == [
            "ranking",
            "medical image segmentation",
            "MRI reconstruction",
        ]

    def test_pieces_without_content_words_are_not_facets(self):
        assert split_facets("Anything on pruning. I am interested in") == ["Anything on pruning"]

    def test_it_drops_duplicates_and_empties(self):
        assert split_facets("retrieval\n\nRetrieval;  ;-") == ["retrieval"]

    def test_it_reads_exclusions_typed_into_the_interests(self):
        cases = {
            "computer vision. Medical imaging is out of scope for me.": ["Medical imaging"],
            "retrieval; not interested in recommender systems": ["recommender systems"],
            "distilling big models into small ones - anything but dataset distillation": [
                "dataset distillation"
            ],
            "RNNs. I'm not interested in state space models like S4 or Mamba.": [
                "state space models",
                "S4",
                "Mamba",
            ],
            "theory of deep learning. No surveys please.": ["surveys"],
            "Pruning and quantization are out of scope": ["Pruning", "quantization"],
        }
        for text, excluded in cases.items():
            reading = read_interests(text)
            assert list(reading.exclusions) == excluded, text
            assert not {e.lower() for e in excluded} & {f.lower() for f in reading.facets}, text

    def test_it_reads_mid_sentence_exclusions_and_the_verb_like(self):
        assert read_interests("I like RL but not robotics") == read_interests("RL. Not robotics.")
        reading = read_interests("Anything on LLM agents except benchmarks")
        assert (reading.facets, reading.exclusions) == (("Anything on LLM agents",), ("benchmarks",))
        assert read_interests("No particular preference; graph learning").exclusions == ()

    def test_it_reads_exclusions_stated_the_other_way_round(self):
        cases = {
            "dictionary learning. I do NOT mean sparse autoencoders, and not lexicons either.": [
                "sparse autoencoders",
                "lexicons",
            ],
            "pretraining recipes. Multimodal or vision-language models, no please.": [
                "Multimodal models",
                "vision-language models",
            ],
            "state space models; vision adaptations of Mamba don't interest me, and neither do LSTM papers": [
                "vision adaptations of Mamba",
                "LSTM papers",
            ],
            "text models. CNNs for images are not what I mean.": ["CNNs for images"],
            "compression. Pruning I already follow elsewhere, no need for it here.": [
                "Pruning I already follow elsewhere"
            ],
        }
        for text, excluded in cases.items():
            reading = read_interests(text)
            assert list(reading.exclusions) == excluded, text
            assert len(reading.facets) == 1, text

    def test_it_reads_someone_elses_topic_and_a_trailing_also_not_as_exclusions(self):
        reading = read_interests(
            "My research is dictionary learning. Sparse autoencoders for LLMs is a different community, "
            "not for me. Word dictionaries / lexicons also not."
        )
        assert reading.facets == ("dictionary learning",)
        assert reading.exclusions == ("Sparse autoencoders for LLMs", "Word dictionaries", "lexicons")

    def test_another_field_the_reader_follows_stays_a_topic(self):
        for text, topic in {
            "Diffusion models. Graph theory is another field I follow closely.": "Graph theory",
            "Speech synthesis, and robotics is another topic I like": "robotics",
        }.items():
            reading = read_interests(text)
            assert reading.exclusions == (), text
            assert any(facet.startswith(topic) for facet in reading.facets), text

    def test_so_i_would_rather_skip_is_not_a_situation(self):
        reading = read_interests("Causal inference, so I'd rather skip pure prediction")
        assert reading.context == ()
        assert reading.facets[0] == "Causal inference"

    def test_many_negated_topics_are_read_without_recursion(self):
        reading = read_interests("graphs" + ", x no" * 800)
        assert reading.facets == ("graphs",)

    def test_the_situation_before_so_i_would_like_is_context_and_the_rest_the_topics(self):
        reading = read_interests(
            "I'm writing my thesis on NLP before transformers, so I'd like to collect the recurrent models "
            "for text: LSTMs for tagging, convolutional language models"
        )
        assert reading.context == ("I'm writing my thesis on NLP before transformers",)
        assert reading.facets == (
            "the recurrent models for text",
            "LSTMs for tagging",
            "convolutional language models",
        )

    def test_where_the_reader_stands_is_context(self):
        reading = read_interests("state space models. I'm on the language modelling side.")
        assert reading.facets == ("state space models",)
        assert reading.context == ("I'm on the language modelling side",)

    def test_examples_in_parentheses_do_not_make_a_list_item_prose(self):
        text = (
            "sparse coding in the classical sense (signal processing, learning a dictionary so that signals "
            "are sparse combinations of atoms), and also matrix factorization, low-rank decomposition"
        )
        assert read_interests(text).facets[1:] == ("matrix factorization", "low-rank decomposition")

    def test_question_scaffolding_is_not_part_of_the_topic(self):
        assert read_interests("What's new in dictionary learning?").facets == ("dictionary learning?",)
        assert read_interests("Looking for work on scaling laws").facets == ("work on scaling laws",)
        assert read_interests("What I care about most is hybrid retrieval").facets == ("hybrid retrieval",)
        assert read_interests("I'd like to read robot learning papers").facets == ("robot learning papers",)

    def test_scaffolding_and_qualifiers_are_not_topics(self):
        reading = read_interests(
            "Computational mechanics postdoc here. The questions I care about: neural operators, PDE solvers. "
            "Mostly for fluid dynamics, but the same ideas for weather are welcome."
        )
        assert reading.facets == ("neural operators", "PDE solvers")
        assert reading.context == ("for fluid dynamics", "but the same ideas for weather are welcome")
        assert reading.ignored == ("Computational mechanics postdoc here", "The questions I care about")
        assert (
            "for fluid dynamics"
            in profile_texts(interests="neural operators. Mostly for fluid dynamics.")[-1]
        )

    def test_a_place_after_a_topic_is_context_but_a_topic_that_starts_with_a_preposition_is_a_topic(self):
        assert read_interests("robotics, in Bangalore").context == ("in Bangalore",)
        assert read_interests("I'm an engineer in Bangalore. Robotics.").context == ("in Bangalore",)
        for text in (
            "in silico drug design",
            "in context learning",
            "on device LLMs",
            "at scale pretraining",
        ):
            assert read_interests(text).facets == (text,), text

    def test_a_text_read_only_as_qualifiers_keeps_them_as_topics(self):
        # No topic at all would mean an empty digest every day.
        reading = read_interests("For language model pretraining.")
        assert reading.facets == ("For language model pretraining",)
        assert reading.context == ()

    def test_the_reason_after_a_negated_topic_is_not_a_topic(self):
        for line in (
            "medical imaging is not for me since it is too applied",
            "medical imaging is out of scope here as I said",
            "medical imaging is irrelevant to my work on compilers",
        ):
            reading = read_interests(f"robotics\n{line}")
            assert reading.facets == ("robotics",), line
            assert reading.exclusions == ("medical imaging",), line
        assert read_interests("robotics\npruning - I don't need it").exclusions == ("pruning",)

    def test_hostile_text_is_read_in_linear_time(self):
        # (?:\S+\s*){1,3}$ once tried every split of a long word: minutes for this text.
        # Runs of blanks were quadratic in several patterns.
        reading = read_interests("robotics, in " + "a" * 3000 + " b c d e")
        assert reading.facets[0] == "robotics"
        assert read_interests("a" + " " * 4000 + "n").facets == ("a n",)

    def test_it_leaves_negation_words_inside_topics_alone(self):
        reading = read_interests("word embeddings (skip-gram, GloVe); not only vision but also language")
        assert reading.exclusions == ()
        assert reading.facets[0] == "word embeddings (skip-gram, GloVe)"

    def test_it_drops_greetings_thanks_and_self_introductions(self):
        reading = read_interests(
            "Hi there! I'm a postdoc in a robotics lab. Reinforcement learning for control please. Thanks a lot!"
        )
        assert reading.facets == ("Reinforcement learning for control",)
        assert reading.ignored == ("Hi there", "I'm a postdoc in a robotics lab", "Thanks a lot")
        assert read_interests("I'm a PhD student working on sparse networks").facets == ("sparse networks",)

    def test_a_hedged_interest_is_a_side_facet_without_its_condition(self):
        reading = read_interests(
            "neural PDE solvers. Weather and climate forecasting is fine too if it is a learned model."
        )
        assert reading.facets == ("neural PDE solvers", "Weather and climate forecasting")
        assert reading.side == (False, True)

    def test_a_text_cut_to_fewer_topics_is_read_as_the_original_was(self):
        text = (
            "Hi! retrieval, ranking, search. Weather models are fine too if learned. Not interested in robotics. "
            "Mostly for e-commerce."
        )
        cut, excluded = interests_within(text, max_facets=4, max_chars=80)
        original, again = read_interests(text), read_interests(cut)
        assert again.facets == original.facets == ("retrieval", "ranking", "search", "Weather models")
        assert again.side == original.side == (False, False, False, True)
        assert again.context == original.context == ("for e-commerce",)
        assert excluded == ("robotics",)
        assert read_interests(interests_within(text, max_facets=2, max_chars=4)[0]).facets == ("retr", "rank")

    def test_exclusions_strip_negations(self):
        assert split_exclusions("not medical imaging, no NAS") == ["medical imaging", "NAS"]
        assert split_exclusions("without surveys\nexcept robotics") == ["surveys", "robotics"]

    def test_exclusions_split_alternatives(self):
        assert split_exclusions("nothing on pruning or quantization") == ["pruning", "quantization"]
        assert split_exclusions("no state space models (S4, Mamba)") == ["state space models", "S4", "Mamba"]
        assert split_exclusions("not dataset distillation / dataset condensation") == [
            "dataset distillation",
            "dataset condensation",
        ]


class TestScoring:
    def test_scores_are_calibrated_between_zero_and_one(self):
        papers = paperset(upvotes=[0, 500, 0, 0, 0, 0, 0, 0, 0, 0])
        scores = scores_of(papers, profile("retrieval search", exclusions="not medical"))
        assert scores.min() >= 0.0 and scores.max() <= 1.0
        assert scores[0] > 0.5 > scores[9]

    def test_each_pick_says_which_facet_matched(self):
        picks = rank(paperset(), [profile("dense retrieval\ncar aerodynamic CFD", size=4)])[1]
        whys = {p.paper_id: p.why for p in picks}
        assert whys[1] == "dense retrieval"
        assert whys[5] == "car aerodynamic CFD"
        assert all(0.0 <= p.score <= 1.0 for p in picks)

    def test_every_facet_of_a_multi_topic_profile_is_served(self):
        picks = rank(paperset(), [profile("retrieval search\ncar aerodynamic\nreinforcement robot", size=3)])[
            1
        ]
        assert {p.why for p in picks} == {"retrieval search", "car aerodynamic", "reinforcement robot"}

    def test_exclusions_push_matching_papers_down(self):
        papers = paperset()
        plain = scores_of(papers, profile("retrieval search"))
        excluded = scores_of(papers, profile("retrieval search", exclusions="not medical imaging"))
        medical = papers.column(4)
        assert excluded[medical] < plain[medical] - 0.3
        assert 4 not in ids(
            rank(papers, [profile("retrieval search", exclusions="no medical imaging", size=3)])[1]
        )

    def test_an_exclusion_is_matched_as_a_phrase(self):
        texts = [
            "Dataset distillation. We distill a large dataset into a few synthetic images.",
            "Knowledge distillation of BERT. We distill a teacher into a student on the GLUE dataset.",
            *(
                f"{title}. Unrelated."
                for title in ("Robot control", "Protein folding", "Weather models", "Graph theory")
            ),
        ]
        lexical = ranking.LexicalIndex(texts)
        present = lexical.phrase_present(["dataset distillation", "distillation", "teacher student", "zebra"])
        assert present[:, :2].tolist() == [[True, False], [True, True], [False, True], [False, False]]
        # Every text embeds alike (the shared direction): only the words tell the papers apart.
        vectors = np.tile(np.eye(DIM, dtype=np.float32)[DIM - 1 :], (len(texts), 1))
        papers = build_paper_set(
            ids=range(1, len(texts) + 1),
            titles=texts,
            abstracts=[""] * len(texts),
            vectors=vectors,
            upvotes=[0] * len(texts),
        )
        excluded = ranking.score_profiles(
            papers, [profile("knowledge distillation", exclusions="no dataset distillation")]
        )
        baseline = ranking.score_profiles(papers, [profile("knowledge distillation")])
        penalty = baseline.raw[0] - excluded.raw[0]
        # The dataset-distillation paper loses much more than the KD paper that merely
        # says "dataset" somewhere (both lose the same embedding-based share).
        assert penalty[0] > penalty[1] + 0.2

    def test_a_paper_covering_several_parts_of_a_profile_gains_from_the_whole_query(self, monkeypatch):
        papers = paperset()
        text = "medical imaging and retrieval search for radiology"
        with_whole = ranking.score_profiles(papers, [profile(text)])
        monkeypatch.setattr("digest.ranking.score.WHOLE_QUERY_WEIGHT", 0.0)
        without = ranking.score_profiles(papers, [profile(text)])
        gain = with_whole.relevance[0] - without.relevance[0]
        # Medical retrieval covers both parts; MRI segmentation and dense retrieval one each.
        assert gain[papers.column(4)] > max(gain[papers.column(3)], gain[papers.column(1)])
        assert gain[papers.column(10)] < 0  # a paper matching nothing falls below the day's mean
        # It orders the day's papers; the calibrated score does not depend on the day's other papers.
        assert with_whole.calibrated == pytest.approx(without.calibrated)

    def test_seed_papers_count_as_positives(self):
        papers = paperset()
        seed = [("Magnitude pruning", vector_of(9, papers))]
        picks = rank(papers, [profile("dense retrieval", positives=seed, size=4)])[1]
        assert 8 in ids(picks)
        assert "like: Magnitude pruning" in {p.why for p in picks}

    def test_less_like_this_moves_the_profile_away_from_the_paper(self):
        papers = paperset()
        plain = scores_of(papers, profile("retrieval search medical"))
        less = scores_of(papers, profile("retrieval search medical", negatives=[vector_of(3, papers)]))
        assert less[papers.column(3)] < plain[papers.column(3)]
        # A move of the whole profile, not a penalty on look-alikes: the
        # retrieval papers gain.
        assert less[papers.column(1)] > plain[papers.column(1)]

    def test_more_like_this_moves_the_profile_toward_the_paper_without_becoming_an_anchor(self):
        papers = paperset()
        plain = profile("medical imaging")
        more = profile("medical imaging", more=[vector_of(4, papers)] * 3)
        before, after = scores_of(papers, plain), scores_of(papers, more)
        assert after[papers.column(1)] > before[papers.column(1)]  # retrieval, like paper 4
        assert after[papers.column(10)] < before[papers.column(10)]  # unrelated
        assert {p.why for p in rank(papers, [more])[1]} <= {"medical imaging"}

    def test_liked_papers_count_as_a_query_that_grows_with_the_clicks(self, monkeypatch):
        monkeypatch.setattr("digest.ranking.profile.MORE_WEIGHT", 0.0)  # the liked query alone
        papers = paperset()
        raw = {
            clicks: ranking.score_profiles(
                papers, [profile("medical imaging", more=[vector_of(4, papers)] * clicks)]
            ).relevance[0][papers.column(1)]
            for clicks in (0, 1, 6)
        }
        assert raw[0] < raw[1] < raw[6]  # dense retrieval, like the liked medical retrieval paper
        assert (
            build_profile(key=1, interests="x", more=[vector_of(4, papers)] * 6, embed=fake_embed).liked_count
            == 6
        )

    def test_liked_papers_words_are_a_query_too(self, monkeypatch):
        monkeypatch.setattr("digest.ranking.profile.MORE_WEIGHT", 0.0)
        monkeypatch.setattr("digest.ranking.score.LIKED_WEIGHT", 0.0)  # the words alone
        papers = paperset()
        liked = papers.texts[papers.column(5)]  # DrivAerNet
        relevance = {
            with_texts: ranking.score_profiles(
                papers,
                [
                    profile(
                        "medical imaging",
                        more=[vector_of(5, papers)] * 4,
                        more_texts=[liked] * 4 if with_texts else (),
                    )
                ],
            ).relevance[0]
            for with_texts in (False, True)
        }
        gain = relevance[True] - relevance[False]
        # DrivAerNet++ shares its words; the CFD surrogate fewer; the robot paper none.
        assert gain[papers.column(6)] > gain[papers.column(7)] > gain[papers.column(10)]

    def test_a_hedged_side_interest_counts_less(self):
        papers = paperset()
        core = scores_of(papers, profile("pruning. reinforcement robot"))
        hedged = scores_of(papers, profile("pruning. reinforcement robot is fine too"))
        assert hedged[papers.column(10)] < core[papers.column(10)]
        assert hedged[papers.column(9)] == pytest.approx(core[papers.column(9)], abs=1e-3)

    def test_popularity_only_breaks_ties(self):
        papers = paperset(upvotes=[0, 0, 0, 0, 0, 0, 0, 0, 0, 10_000])
        scores = scores_of(papers, profile("retrieval search"))
        assert scores[papers.column(10)] < scores[papers.column(1)]
        assert papers.popularity.max() <= POPULARITY_MAX_BONUS + 1e-6


class TestSelection:
    def test_already_sent_papers_are_never_picked(self):
        picks = rank(paperset(), [profile("retrieval search", size=5, exclude_ids=frozenset({1, 2}))])[1]
        assert not {1, 2} & set(ids(picks))
        assert picks

    def test_mmr_keeps_near_duplicates_apart_when_a_third_relevant_paper_exists(self):
        papers = paperset()
        # DrivAerNet and DrivAerNet++ read alike (cosine ~0.99); the surrogate
        # paper is on the same topic but distinct (cosine ~0.7).
        car, other, shared = np.eye(DIM, dtype=np.float32)[[2, 3, DIM - 1]]
        for pid, vector in (
            (5, car + 0.3 * shared),
            (6, car + 0.05 * other + 0.3 * shared),
            (7, car + other + 0.3 * shared),
        ):
            papers.vectors[papers.column(pid)] = vector / np.linalg.norm(vector)
        picks = ids(rank(papers, [profile("car aerodynamic CFD", size=2)])[1])
        assert len(picks) == 2
        assert not {5, 6} <= set(picks)
        assert 7 in picks

    def test_threshold_zero_means_top_n_and_a_high_threshold_drops_weak_papers(self):
        papers = paperset()
        assert len(rank(papers, [profile("reinforcement robot", size=5)])[1]) == 5
        strict = rank(papers, [profile("reinforcement robot", size=5, threshold=0.5)])[1]
        assert ids(strict) == [10]
        assert all(p.score >= 0.5 for p in strict)

    def test_vectorised_rank_matches_one_profile_at_a_time(self, monkeypatch):
        papers = paperset()
        profiles = [
            profile("retrieval search", key=1),
            profile("car aerodynamic\npruning", key=2, exclusions="no NAS", size=2),
            profile(
                "medical",
                key=3,
                positives=[("seed", vector_of(10, papers))],
                negatives=[vector_of(3, papers)],
            ),
            profile("", key=4),
            profile("reinforcement robot", key=5, exclude_ids=frozenset({10}), threshold=0.2),
        ]
        monkeypatch.setattr("digest.ranking.selection.SCORE_BLOCK", 2)
        together = rank(papers, profiles)
        for p in profiles:
            alone = rank(papers, [p])[p.key]
            assert ids(alone) == ids(together[p.key])
            assert [x.score for x in alone] == pytest.approx([x.score for x in together[p.key]], abs=1e-6)
            assert [x.why for x in alone] == [x.why for x in together[p.key]]
        assert together[4] == []

    def test_an_empty_paper_set_gives_empty_digests(self):
        empty = build_paper_set(ids=[], titles=[], abstracts=[], vectors=np.zeros((0, DIM)), upvotes=[])
        assert rank(empty, [profile("retrieval")]) == {1: []}


class TestLexical:
    def test_bm25_scores_are_bounded_and_favour_matching_papers(self):
        papers = paperset()
        scores = papers.lexical.scores(["sparse retrieval", "zebra"])
        assert scores.shape == (2, len(PAPERS))
        assert scores.min() >= 0 and scores.max() <= 1
        assert scores[0].argmax() == papers.column(2)
        assert scores[1].max() == 0

    def test_plain_bm25_counts_every_word_of_a_long_query(self):
        papers = paperset()
        plain = papers.lexical.bm25(["medical imaging retrieval search"])[0]
        saturated = papers.lexical.scores(["medical imaging retrieval search"])[0]
        both, one = papers.column(4), papers.column(3)  # medical retrieval vs MRI segmentation
        assert plain[both] > 1.5 * plain[one]
        assert plain[papers.column(10)] == 0
        assert saturated[both] - saturated[one] < (plain[both] - plain[one]) / plain.max()

    def test_a_few_papers_words_as_a_query_weigh_the_words_they_share(self):
        papers = paperset()
        texts = [papers.texts[papers.column(3)], papers.texts[papers.column(4)]]  # MRI papers
        rows = papers.lexical.terms_bm25([texts, []], top=3)
        assert rows.shape == (2, len(PAPERS))
        assert rows[0].argmax() in (papers.column(3), papers.column(4))
        assert rows[0][papers.column(10)] == 0
        assert not rows[1].any()
        # Only the top words count: one word is a narrower query than all of them.
        one = papers.lexical.terms_bm25([texts], top=1)[0]
        assert np.count_nonzero(one) <= np.count_nonzero(rows[0])

    def test_liked_papers_with_no_word_of_the_day_weigh_nothing(self):
        papers = paperset()
        rows = papers.lexical.terms_bm25(
            [["zzzz qqqq"], ["the of and", ""], [papers.texts[papers.column(3)]]], top=10
        )
        assert not rows[0].any() and not rows[1].any()
        assert rows[2].argmax() == papers.column(3)

    def test_it_matches_word_forms_but_keeps_distinct_words_apart(self):
        assert ranking.tokenize("Quantized models") == ranking.tokenize("quantization of the model")
        assert ranking.tokenize("retrieval")[0] == ranking.tokenize("retrieve")[0]
        assert ranking.tokenize("sparse") != ranking.tokenize("sparsity")
        assert ranking.tokenize("papers I am interested in") == ()

    def test_it_stems_safely_from_many_threads(self):
        from concurrent.futures import ThreadPoolExecutor

        texts = [f"pruning networks number {i}" for i in range(400)]
        ranking.tokenize.cache_clear()
        with ThreadPoolExecutor(8) as pool:
            out = list(pool.map(ranking.tokenize, texts))
        assert out == [("prune", "network", "number", str(i)) for i in range(400)]
