"""What a subscriber sees in the digest email, received by a real SMTP server."""

import datetime as dt
import re
from email.utils import parsedate_to_datetime

import pytest
from django.test import Client
from django.utils import timezone

from digest.delivery import digests_send
from digest.models import Digest
from digest.pipeline import daily_run_start
from subscriptions.models import Feedback, Subscriber
from tests.factories import (
    DigestFactory,
    DigestItemFactory,
    PaperFactory,
    SubscriberFactory,
    TopicProfileFactory,
)
from tests.support.smtp import parts

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]

HREF = re.compile(r'href="([^"]+)"')


def _digest(email="reader@example.org", interests="graph neural networks for chemistry", **subscriber):
    profile = TopicProfileFactory(
        subscriber__email=email, interests=interests, **{f"subscriber__{k}": v for k, v in subscriber.items()}
    )
    return DigestFactory(subscriber=profile.subscriber)


def _send(digest, smtp_server):
    assert digests_send(digest_ids=[digest.pk]).sent == [digest.pk]
    return smtp_server.messages[-1]


def test_it_shows_each_paper_with_its_link_authors_excerpt_source_popularity_and_why(smtp_server):
    digest = _digest()
    paper = PaperFactory(
        title="Equivariant message passing for molecules",
        external_id="2611.01234",
        url="https://arxiv.org/abs/2611.01234",
        authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
        abstract="We propose an equivariant network. " + "It predicts molecular properties well. " * 30,
        source="hf_daily",
        upvotes=42,
        num_comments=7,
    )
    DigestItemFactory(
        digest=digest, paper=paper, rank=1, score=0.83, why="graph neural networks for chemistry"
    )

    text, html = parts(_send(digest, smtp_server))

    for body in (text, html):
        assert "Equivariant message passing for molecules" in body
        assert "https://arxiv.org/abs/2611.01234" in body
        assert "Ada Lovelace, Alan Turing, Grace Hopper et al." in body
        assert "Hugging Face Daily Papers" in body and "42 upvotes" in body and "7 comments" in body
        assert "Why you got this: graph neural networks for chemistry" in body
        assert "We propose an equivariant network." in body
    assert '<a class="title" href="https://arxiv.org/abs/2611.01234"' in html
    # An excerpt, not the whole abstract.
    assert html.count("It predicts molecular properties well.") < 30


def test_it_groups_papers_in_sections_by_the_interest_they_matched(smtp_server):
    digest = _digest(interests="graph neural networks\nprotein design")
    DigestItemFactory(digest=digest, rank=1, why="graph neural networks", paper=PaperFactory(title="GNN one"))
    DigestItemFactory(digest=digest, rank=2, why="protein design", paper=PaperFactory(title="Protein one"))
    DigestItemFactory(digest=digest, rank=3, why="graph neural networks", paper=PaperFactory(title="GNN two"))

    text, html = parts(_send(digest, smtp_server))

    assert re.search(
        r"== graph neural networks ==.*GNN one.*GNN two.*== protein design ==.*Protein one", text, re.S
    )
    sections = re.findall(r'<td class="section"[^>]*>([^<]+)</td>', html)
    assert sections == ["graph neural networks", "protein design"]


def test_it_says_what_is_inside_in_the_subject(smtp_server):
    digest = _digest()
    DigestItemFactory(
        digest=digest, rank=1, paper=PaperFactory(title="Equivariant message passing for molecules")
    )
    DigestItemFactory(digest=digest, rank=2)

    message = _send(digest, smtp_server)

    assert message["Subject"].strip() == (
        f"2 new papers for you: Equivariant message passing for molecules · "
        f"{digest.edition_date:%A} {digest.edition_date.day} {digest.edition_date:%B %Y}"
    )


def test_it_keeps_a_full_digest_under_100_kb(smtp_server):
    digest = _digest(digest_size=20)
    for rank in range(1, 21):
        DigestItemFactory(
            digest=digest,
            rank=rank,
            why=f"facet number {rank % 4} " * 10,
            paper=PaperFactory(
                title="A very long title about many things " * 8,
                abstract="word " * 2000,
                authors=[f"Author {n}" for n in range(40)],
                upvotes=999,
                num_comments=99,
            ),
        )

    text, html = parts(_send(digest, smtp_server))

    assert html.count('class="paper"') == 20
    assert len(html.encode()) < 100_000 and len(text.encode()) < 100_000


def test_it_escapes_hostile_text_from_papers_and_profiles(smtp_server):
    digest = _digest(interests='<img src=x onerror="alert(1)"> graph networks')
    paper = PaperFactory(
        title='<script>alert("t")</script> Attention\r\nBcc: victim@example.org',
        abstract="<iframe src=https://evil.example></iframe> We study attention.",
        authors=["<b>Mallory</b>"],
        url="javascript:alert(1)",
    )
    DigestItemFactory(digest=digest, rank=1, paper=paper, why='<a href="https://evil.example">why</a>')

    message = _send(digest, smtp_server)
    text, html = parts(message)

    for hostile in (
        "<script",
        "<img src=x",
        "<iframe",
        "<b>Mallory",
        '<a href="https://evil.example"',
        "javascript:",
    ):
        assert hostile not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html and "&lt;b&gt;Mallory" in html
    # A title cannot add headers or recipients.
    assert message["Bcc"] is None and "\n" not in message["Subject"]
    assert smtp_server.messages[-1]["X-Envelope-To"] == "reader@example.org"


def test_it_sends_from_the_configured_address_with_a_date_and_a_stable_message_id(smtp_server, settings):
    settings.DEFAULT_FROM_EMAIL = "Research Digest <news@digest.example.com>"
    digest = _digest()
    DigestItemFactory(digest=digest, rank=1)

    message = _send(digest, smtp_server)

    assert message["From"] == "Research Digest <news@digest.example.com>"
    assert message["Message-ID"] == f"<digest-{digest.pk}-{digest.edition_date:%Y%m%d}@digest.example.com>"
    assert message["Date"].endswith("+0000")
    assert abs(parsedate_to_datetime(message["Date"]) - timezone.now()) < dt.timedelta(minutes=1)
    assert message["List-Id"] == "Paper Digest daily digest <digest.testserver>"
    digest.refresh_from_db()
    assert digest.message_id == message["Message-ID"]


def test_every_link_in_the_email_works(smtp_server):
    digest = _digest()
    paper = PaperFactory(title="Equivariant message passing for molecules")
    DigestItemFactory(digest=digest, rank=1, paper=paper)
    text, html = parts(_send(digest, smtp_server))
    ours = [url for url in HREF.findall(html) if url.startswith("http://testserver/")]
    by_text = {
        # Each link on a line of its own, under its label.
        name: re.search(rf"^ *{name}:\r?\n *(\S+)\r?$", text, re.M).group(1)
        for name in (
            "View in browser",
            "Change your interests or schedule",
            "Past digests and liked papers",
            "Atom feed of your picks",
            "Unsubscribe",
            "More like this",
            "Less like this",
        )
    }
    assert set(by_text.values()) == set(ours)
    client = Client()

    page = client.get(by_text["View in browser"])
    assert page.status_code == 200 and "Equivariant message passing for molecules" in page.content.decode()
    assert client.get(by_text["Change your interests or schedule"]).status_code == 200
    assert client.get(by_text["Past digests and liked papers"]).status_code == 200
    assert client.get(by_text["Atom feed of your picks"])["Content-Type"].startswith("application/atom+xml")
    # Opening a feedback link asks; the landing page's button records.
    assert client.get(by_text["More like this"]).status_code == 200
    assert not Feedback.objects.exists()
    assert client.post(by_text["More like this"]).status_code == 200
    assert Feedback.objects.get(subscriber=digest.subscriber, paper=paper).signal == 1
    assert client.post(by_text["Less like this"]).status_code == 200
    assert Feedback.objects.get(subscriber=digest.subscriber, paper=paper).signal == -1
    # A GET (a link scanner) only asks; the button POSTs.
    assert client.get(by_text["Unsubscribe"]).status_code == 200
    assert Subscriber.objects.get(pk=digest.subscriber_id).status == Subscriber.Status.ACTIVE
    assert client.post(by_text["Unsubscribe"]).status_code == 200
    assert Subscriber.objects.get(pk=digest.subscriber_id).status == Subscriber.Status.UNSUBSCRIBED


def test_it_refuses_the_browser_view_once_the_digest_is_gone(smtp_server):
    digest = _digest()
    DigestItemFactory(digest=digest, rank=1)
    text, _ = parts(_send(digest, smtp_server))
    url = re.search(r"View in browser:\r?\n(\S+)", text).group(1)

    Digest.objects.filter(pk=digest.pk).delete()

    assert Client().get(url).status_code == 400


def test_it_sends_nothing_on_a_day_without_new_papers(smtp_server, django_capture_on_commit_callbacks):
    SubscriberFactory(email="reader@example.org")
    saturday = dt.date(2026, 11, 28)

    with django_capture_on_commit_callbacks(execute=True):
        daily_run_start(edition_date=saturday)

    assert smtp_server.messages == []
    assert Digest.objects.get(edition_date=saturday).status == Digest.Status.SKIPPED


def test_it_sends_a_short_nothing_new_note_to_subscribers_who_asked_for_one(
    smtp_server, django_capture_on_commit_callbacks
):
    SubscriberFactory(email="quiet@example.org")
    SubscriberFactory(email="noted@example.org", send_empty_note=True)
    saturday = dt.date(2026, 11, 28)

    with django_capture_on_commit_callbacks(execute=True):
        daily_run_start(edition_date=saturday)
        daily_run_start(edition_date=saturday)

    [message] = smtp_server.messages
    text, html = parts(message)
    assert message["To"] == "noted@example.org"
    assert message["Subject"].strip() == "Nothing new for you today · Saturday 28 November 2026"
    assert "No new papers were announced today" in text and "No new papers were announced today" in html
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert 'class="paper"' not in html
