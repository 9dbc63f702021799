import email
import email.policy
from email.header import decode_header, make_header

import pytest

from core import emails
from core.emails import email_build, encoded_words, excerpt


@pytest.fixture
def templates(tmp_path, monkeypatch):
    """A kind of email of the test's own, so these tests read no product template."""
    (tmp_path / "note.subject.txt").write_text("Note for\n  {{ name }}  ({{ site_name }})\n")
    (tmp_path / "note.txt").write_text("Hello {{ name }},\n{% if extra %}\n{{ extra }}\n{% endif %}\nBye\n")
    (tmp_path / "note.html").write_text(
        "<html><head><style>p { color: #123456; }</style></head>"
        "<body><p>Hello {{ name }}</p><p>{{ body | excerpt(20) }}</p></body></html>"
    )
    monkeypatch.setattr(emails, "TEMPLATE_DIR", tmp_path)
    emails._environments.cache_clear()
    yield tmp_path
    emails._environments.cache_clear()


def test_it_builds_subject_text_and_html_from_the_three_templates(templates, settings):
    settings.DEFAULT_FROM_EMAIL = "Paper Digest <digest@papers.example>"

    message = email_build(
        "note",
        to="reader@example.org",
        context={"name": "<Ada & Bob>", "extra": "", "body": "Short."},
        headers={"List-Id": "<digest.papers.example>"},
    )

    # One line of subject, the text unescaped, the HTML escaped once, its CSS inlined.
    assert message.subject == "Note for <Ada & Bob> (Paper Digest)"
    assert message.body == "Hello <Ada & Bob>,\nBye"
    [(html, mime)] = message.alternatives
    assert mime == "text/html"
    assert "Hello &lt;Ada &amp; Bob&gt;" in html and "&amp;amp;" not in html
    assert 'style="color: #123456' in html
    assert message.to == ["reader@example.org"] and message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.extra_headers["List-Id"] == "<digest.papers.example>"
    assert message.extra_headers["Message-ID"].endswith("@papers.example>")


def test_a_given_message_id_is_kept(templates):
    message = email_build(
        "note", to="r@example.org", context={"name": "A", "extra": "", "body": ""}, message_id="<fixed@x>"
    )

    assert message.extra_headers["Message-ID"] == "<fixed@x>"


def test_a_missing_context_value_fails_instead_of_sending_a_blank(templates):
    with pytest.raises(Exception, match="name"):
        email_build("note", to="r@example.org", context={"extra": "", "body": ""})


def test_an_excerpt_ends_at_a_sentence_when_one_ends_late_enough():
    text = "First sentence is here. Second sentence runs on and on past the limit."

    assert excerpt(text, limit=30) == "First sentence is here."


def test_an_excerpt_without_a_late_sentence_end_is_cut_at_a_word():
    assert excerpt("One two three four five six seven", limit=20) == "One two three four…"


def test_a_short_text_is_its_own_excerpt_with_spacing_folded():
    assert excerpt("  A   short\ntext ") == "A short text"


# --- Subject headers -----------------------------------------------------------

SUBJECTS = [
    "5 new papers for you: Retrieval-Augmented Generation for Long-Context Language Mod… · Tuesday 1 December 2026",
    "Nothing new for you today · Monday 30 November 2026",
    "Graphes de connaissances et modèles de langue — une revue · 日本語のタイトル · 🚀" * 3,
]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_encoded_words_decode_to_the_subject_and_respect_the_word_limit(subject):
    encoded = encoded_words(subject)

    assert encoded.isascii()
    assert all(len(word) <= 75 for word in encoded.split(" "))
    assert str(make_header(decode_header(encoded))) == subject


@pytest.mark.django_db
def test_a_built_message_carries_the_subject_readable_and_decodes_to_it():
    from core.emails import email_build

    message = email_build(
        "confirm",
        to="reader@example.org",
        context={
            "email": "reader@example.org",
            "is_update": False,
            "confirm_url": "https://example.org/confirm/x/",
            "interests": "graph neural networks",
            "exclusions": "",
            "frequency": "Every day",
            "send_hour": 7,
            "timezone": "UTC",
            "digest_size": 5,
            "expires_days": 3,
        },
    )
    message.subject = SUBJECTS[0]

    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)

    assert message.subject == SUBJECTS[0]
    assert parsed["Subject"] == SUBJECTS[0]


def _django_bytes(mime, linesep: str) -> bytes:
    """What Django's own as_bytes writes for this MIME object (the SMTP backend's call)."""
    from django.core.mail.message import MIMEMixin

    return MIMEMixin.as_bytes(mime, linesep=linesep)


BODIES = [
    "",
    "one line, no ending",
    "lines\nwith an ending\n",
    "Windows\r\nendings\r\nand a lone\rcarriage return\r\n\r\n",
    "non-ASCII · ünïcödé — 日本語\n\nand a blank line above\n",
    "a line longer than SMTP allows: " + "x" * 1200 + "\nthen a short one\n",
    ".a line starting with a dot\nFrom a line Django must not mangle\n",
]


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("linesep", ["\r\n", "\n"])
def test_a_message_flattens_to_exactly_djangos_bytes(templates, body, linesep):
    message = email_build("note", to="reader@example.org", context={"name": "Ada", "extra": "", "body": "x"})
    message.body = body
    message.alternatives = []
    message.attach_alternative(f"<p>{body}</p>", "text/html")
    message.subject = "Notes · 3 papers"
    mime = message.message()

    ours = mime.as_bytes(linesep=linesep)

    # The same object, so the same Date, Message-ID and (once chosen) boundary.
    assert ours == _django_bytes(mime, linesep)


@pytest.mark.django_db
def test_every_kind_of_email_flattens_to_exactly_djangos_bytes():
    from tests.digest.emails_of_every_kind import messages_of_every_kind

    messages = messages_of_every_kind()

    assert set(messages) >= {"confirm", "confirm-update", "email-change", "digest", "digest-empty"}
    for kind, message in messages.items():
        mime = message.message()
        assert mime.as_bytes(linesep="\r\n") == _django_bytes(mime, "\r\n"), kind


def test_a_boundary_found_in_the_body_is_drawn_again(templates, monkeypatch):
    import random

    draws = iter([1234567890, 987654321])
    monkeypatch.setattr(random, "randrange", lambda _: next(draws))
    taken = f"{'=' * 15}{1234567890:019d}=="
    message = email_build("note", to="reader@example.org", context={"name": "Ada", "extra": "", "body": "x"})
    message.body = f"--{taken}\nand mid-line --{taken}--\n"
    mime = message.message()

    ours = mime.as_bytes(linesep="\r\n")

    assert mime.get_boundary() == f"{'=' * 15}{987654321:019d}=="
    assert ours == _django_bytes(mime, "\r\n")
    assert len(email.message_from_bytes(ours).get_payload()) == 2
