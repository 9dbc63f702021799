"""The "Trending today" section: built with the digest, sent after the personal picks."""

import re
from datetime import UTC, date, datetime

import pytest
import time_machine

from digest.build import digests_build, trending_why
from digest.delivery import digests_send
from digest.models import Digest, DigestItem
from subscriptions.models import Subscriber
from tests.factories import DigestFactory, DigestItemFactory, PaperFactory, SubscriberFactory
from tests.support.smtp import parts

pytestmark = pytest.mark.django_db

EDITION = date(2026, 6, 12)
PROTEIN = [
    ("Protein structure prediction with diffusion models", "We fold proteins with a diffusion model."),
    ("Designing binding proteins with generative models", "Generative protein design for binders."),
]
POPULAR = [
    ("A new open weights language model", "We release a large language model.", 212),
    ("Deep learning for MRI reconstruction in medical imaging", "Medical imaging with neural networks.", 180),
    ("Video generation at scale", "A video diffusion model.", 95),
    ("Agents that use web browsers", "LLM agents browse the web.", 40),
    ("Speculative decoding for faster inference", "Draft models speed up decoding.", 1),
]


@pytest.fixture
def day():
    """Two protein papers (no upvotes) and five popular papers on other topics."""
    with time_machine.travel(datetime(2026, 6, 12, 12, tzinfo=UTC), tick=False):
        papers = {}
        for title, abstract in PROTEIN:
            papers[title] = PaperFactory(
                title=title, abstract=abstract, announced_on=EDITION, source="hf_daily"
            )
        for title, abstract, upvotes in POPULAR:
            papers[title] = PaperFactory(
                title=title, abstract=abstract, announced_on=EDITION, source="hf_daily", upvotes=upvotes
            )
        yield papers


def _reader(**fields):
    return SubscriberFactory(
        **{
            "timezone": "UTC",
            "threshold_mode": Subscriber.ThresholdMode.RECOMMENDED,
            "digest_size": 2,
            "profile__interests": "protein structure prediction\nprotein design",
            **fields,
        }
    )


def _items(subscriber):
    return list(
        DigestItem.objects.filter(digest__subscriber=subscriber).order_by("rank").select_related("paper")
    )


def test_it_adds_the_most_upvoted_papers_after_the_personal_picks(day):
    reader = _reader()

    digests_build(subscriber_ids=[reader.pk], edition_date=EDITION)

    items = _items(reader)
    assert [(i.paper.title, i.trending) for i in items] == [
        *[(title, False) for title, _ in sorted(PROTEIN, key=lambda p: p[0] != items[0].paper.title)],
        ("A new open weights language model", True),
        ("Deep learning for MRI reconstruction in medical imaging", True),
        ("Video generation at scale", True),
    ]
    assert items[2].why == "trending: 212 upvotes" and items[2].score == 0.0


def test_the_reader_chooses_how_many_or_none(day):
    one, none = _reader(trending_size=1), _reader(trending_size=0)

    digests_build(subscriber_ids=[one.pk, none.pk], edition_date=EDITION)

    assert [i.paper.title for i in _items(one) if i.trending] == ["A new open weights language model"]
    assert [i for i in _items(none) if i.trending] == []


def test_trending_papers_obey_exclusions_and_never_send_twice(day):
    reader = _reader()
    reader.profile.exclusions = "medical imaging"
    reader.profile.save()
    earlier = DigestFactory(subscriber=reader, edition_date=date(2026, 6, 11), status=Digest.Status.SENT)
    DigestItemFactory(digest=earlier, paper=day["A new open weights language model"])

    digests_build(subscriber_ids=[reader.pk], edition_date=EDITION)

    assert [i.paper.title for i in _items(reader) if i.trending and i.digest.edition_date == EDITION] == [
        "Video generation at scale",
        "Agents that use web browsers",
        "Speculative decoding for faster inference",
    ]


@pytest.mark.parametrize(
    "quiet_days, status", [(True, Digest.Status.PENDING), (False, Digest.Status.SKIPPED)]
)
def test_a_day_with_nothing_personal_sends_trending_only_if_the_reader_chose_so(day, quiet_days, status):
    reader = _reader(trending_on_quiet_days=quiet_days)
    reader.profile.interests = "medieval Latin palaeography"
    reader.profile.save()

    digests_build(subscriber_ids=[reader.pk], edition_date=EDITION)

    digest = Digest.objects.get(subscriber=reader)
    assert digest.status == status
    assert [i.trending for i in _items(reader)] == ([True, True, True] if quiet_days else [])


def test_the_email_shows_trending_under_its_own_heading_with_its_why(day, smtp_server):
    reader = _reader()
    pending, _ = digests_build(subscriber_ids=[reader.pk], edition_date=EDITION)

    digests_send(digest_ids=pending)
    message = smtp_server.messages[-1]
    text, html = parts(message)

    assert re.search(r'<td class="section"[^>]*>Trending today</td>', html)
    assert "== Trending today ==" in text
    for body in (text, html):
        assert "Why you got this: trending: 212 upvotes" in body
        assert "2 new papers picked for you" in body
    assert html.count("relevance ") == 2, "trending papers have no relevance score"


def test_a_trending_only_email_says_so(day, smtp_server):
    reader = _reader()
    reader.profile.interests = "medieval Latin palaeography"
    reader.profile.save()
    pending, _ = digests_build(subscriber_ids=[reader.pk], edition_date=EDITION)

    digests_send(digest_ids=pending)
    message = smtp_server.messages[-1]
    text, _ = parts(message)

    assert message["Subject"].strip().startswith("Trending today: A new open weights language model")
    assert "Nothing new matched your interests today. Here are today's 3 most upvoted papers." in " ".join(
        text.split()
    )


def test_trending_why_pluralises():
    assert (trending_why(1), trending_why(212)) == ("trending: 1 upvote", "trending: 212 upvotes")


def test_only_likely_papers_in_the_recommended_mode_and_the_top_n_otherwise(day):
    likely = _reader(trending_size=0)
    top_n = _reader(trending_size=0, threshold_mode=Subscriber.ThresholdMode.TOP_N)
    for reader in (likely, top_n):
        reader.profile.interests = "medieval Latin palaeography"
        reader.profile.save()

    digests_build(subscriber_ids=[likely.pk, top_n.pk], edition_date=EDITION)

    assert _items(likely) == []
    assert len(_items(top_n)) == 2 and all(i.score < 0.5 for i in _items(top_n))
