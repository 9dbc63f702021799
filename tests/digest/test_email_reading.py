"""How the emails read: plurals, the wrapped text part, links per paper, dark mode and the sender footer."""

import re

import pytest

from core.emails import TEXT_WIDTH, render_parts, wrap
from digest.delivery import digests_send
from digest.paper_links import paper_links, paper_thumbnail
from digest.render import digest_context
from tests.factories import DigestFactory, DigestItemFactory, PaperFactory, TopicProfileFactory
from tests.support.smtp import parts

pytestmark = pytest.mark.django_db

THUMB = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2606.12730.png"


def _hf_paper(**fields):
    return PaperFactory(
        **{
            "source": "hf_daily",
            "url": "https://arxiv.org/abs/2606.12730",
            "pdf_url": "https://arxiv.org/pdf/2606.12730",
            "extra": {
                "hf_url": "https://huggingface.co/papers/2606.12730",
                "github_repo": "https://github.com/psychology-of-AI/eval",
                "thumbnail": THUMB,
            },
            **fields,
        }
    )


def _digest(**subscriber):
    profile = TopicProfileFactory(
        interests="graph neural networks for chemistry",
        **{f"subscriber__{key}": value for key, value in subscriber.items()},
    )
    return DigestFactory(subscriber=profile.subscriber)


def _sent(digest, smtp_server):
    assert digests_send(digest_ids=[digest.pk]).sent == [digest.pk]
    return smtp_server.messages[-1]


@pytest.mark.parametrize(
    "upvotes, comments, expected",
    [(1, 1, ("1 upvote", "1 comment")), (4, 2, ("4 upvotes", "2 comments"))],
)
def test_it_pluralises_counts(smtp_server, upvotes, comments, expected):
    digest = _digest()
    DigestItemFactory(digest=digest, paper=PaperFactory(upvotes=upvotes, num_comments=comments))

    message = _sent(digest, smtp_server)
    text, html = parts(message)

    for body in (text, html):
        for phrase in expected:
            assert re.search(rf"\b{phrase}\b(?!s)", body), phrase
    assert "1 new paper picked for you" in text and "1 new papers" not in text
    assert message["Subject"].strip().startswith("1 new paper for you:")


def test_it_wraps_the_text_part_at_78_and_puts_each_link_on_its_own_line(smtp_server):
    digest = _digest()
    for rank in (1, 2):
        DigestItemFactory(
            digest=digest,
            rank=rank,
            why="a facet that is long enough to need wrapping " * 3,
            paper=_hf_paper(
                title="A title that goes on and on about equivariant message passing " * 3,
                external_id=f"2606.1273{rank}",
                abstract="A sentence of the abstract that keeps going. " * 20,
                authors=[f"Author Number {n}" for n in range(3)],
            ),
        )

    text, _ = parts(_sent(digest, smtp_server))
    lines = text.splitlines()

    urls = [line.strip() for line in lines if "://" in line]
    assert all(re.fullmatch(r"https?://\S+", url) for url in urls), "a link shares a line with words"
    assert len(urls) >= 2 * 6 + 5  # per paper: abstract, HF, PDF, code, more, less; the footer's five
    too_long = [
        line for line in lines if len(line) > TEXT_WIDTH and not re.fullmatch(r" *https?://\S+", line)
    ]
    assert too_long == []
    assert "   Hugging Face:" in lines and "   https://huggingface.co/papers/2606.12730" in lines


def test_wrap_keeps_long_words_whole_and_indents():
    url = "https://example.org/" + "x" * 100
    assert wrap(f"see {url} now", indent=3) == f"   see\n   {url}\n   now"
    assert wrap("one two three", indent=0, hanging=3) == "one two three"
    assert max(len(line) for line in wrap("word " * 100, indent=3).splitlines()) <= TEXT_WIDTH


def test_each_paper_links_to_its_abstract_hugging_face_page_pdf_and_code_with_a_thumbnail(smtp_server):
    digest = _digest()
    DigestItemFactory(digest=digest, paper=_hf_paper(title="Rethinking psychometric evaluation"))

    text, html = parts(_sent(digest, smtp_server))

    for label, url in (
        ("Abstract", "https://arxiv.org/abs/2606.12730"),
        ("Hugging Face", "https://huggingface.co/papers/2606.12730"),
        ("PDF", "https://arxiv.org/pdf/2606.12730"),
        ("Code", "https://github.com/psychology-of-AI/eval"),
    ):
        assert f'<a href="{url}"' in html and f">{label}</a>" in html
        assert f"   {label}:\n   {url}\n" in text.replace("\r\n", "\n")
    assert f'<img src="{THUMB}" width="72" alt=""' in html


def test_it_shows_only_the_links_a_paper_has_and_only_safe_ones():
    bare = PaperFactory(url="", arxiv_id=None, external_id="file:1", pdf_url="")
    hostile = PaperFactory(
        url="javascript:alert(1)",
        extra={"github_repo": "data:text/html,x", "thumbnail": "https://evil.example/pixel.png"},
    )

    assert paper_links(bare) == []
    # The javascript: URL gives way to the arXiv abstract; the data: code link is dropped.
    assert paper_links(hostile) == [{"label": "Abstract", "url": f"https://arxiv.org/abs/{hostile.arxiv_id}"}]
    assert paper_thumbnail(hostile) == ""


def test_a_full_digest_with_every_link_and_thumbnail_stays_far_below_gmail_clipping(smtp_server):
    digest = _digest(digest_size=20)
    for rank in range(1, 21):
        DigestItemFactory(
            digest=digest,
            rank=rank,
            why="a facet " * 10,
            paper=_hf_paper(
                external_id=f"2606.{rank:05d}",
                title="A long title about many things " * 6,
                abstract="word " * 2000,
                authors=[f"Author {n}" for n in range(40)],
                upvotes=999,
                num_comments=99,
            ),
        )

    message = _sent(digest, smtp_server)
    _, html = parts(message)

    assert html.count('class="paper"') == 20 and html.count("<img ") == 20
    # Gmail clips an HTML body over 102 KB; leave room for tracking an ESP may add.
    assert len(html.encode()) < 80_000, len(html.encode())


def test_it_supports_dark_mode_and_prints_the_sender_and_postal_address(smtp_server, settings):
    settings.EMAIL_SENDER_IDENTITY = "Paper Digest is run by the Example Lab."
    settings.EMAIL_POSTAL_ADDRESS = "Example Lab, 1 Main Street, 10115 Berlin"
    digest = _digest()
    DigestItemFactory(digest=digest)

    text, html = parts(_sent(digest, smtp_server))

    assert '<meta name="color-scheme" content="light dark">' in html
    assert "@media (prefers-color-scheme: dark)" in html
    for body in (text, html):
        assert "Paper Digest is run by the Example Lab." in body
        assert "Example Lab, 1 Main Street, 10115 Berlin" in body


def test_the_browser_view_does_not_link_to_itself():
    digest = _digest()
    DigestItemFactory(digest=digest)

    assert digest_context(digest)["view_url"]
    context = digest_context(digest, in_browser=True)
    _, _, html = render_parts("digest", context)

    assert context["view_url"] == "" and "View in browser" not in html
    assert context["archive_url"] in html and context["preferences_url"] in html
