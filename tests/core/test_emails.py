import pytest

from core import emails
from core.emails import email_build, excerpt


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
