import json
from email import message_from_bytes

from django.core.mail import EmailMessage, EmailMultiAlternatives

from core.file_backend import FileEmailBackend


def _message(to: str, subject: str, html: str | None = None) -> EmailMessage:
    message = EmailMultiAlternatives(subject=subject, body="text part", from_email="d@x.org", to=[to])
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message


def test_it_writes_the_raw_message_its_html_and_an_index(tmp_path):
    backend = FileEmailBackend(outbox_dir=tmp_path / "outbox")

    sent = backend.send_messages([_message("reader@example.org", "Today's papers", "<p>Hello</p>")])

    assert sent == 1
    [eml] = (tmp_path / "outbox").glob("*.eml")
    assert message_from_bytes(eml.read_bytes())["Subject"] == "Today's papers"
    assert eml.with_suffix(".html").read_text() == "<p>Hello</p>"
    meta = json.loads(eml.with_suffix(".json").read_text())
    assert (meta["to"], meta["eml"], meta["html"]) == (
        "reader@example.org",
        eml.name,
        eml.with_suffix(".html").name,
    )
    index = (tmp_path / "outbox" / "index.html").read_text()
    assert "1 emails" in index and f'href="{eml.name}"' in index


def test_the_index_lists_every_message_and_escapes_what_it_shows(tmp_path):
    backend = FileEmailBackend(outbox_dir=tmp_path)

    backend.send_messages([_message("a@example.org", "first")])
    backend.send_messages([_message("b@example.org", "<script>x</script>")])

    index = (tmp_path / "index.html").read_text()
    assert "2 emails" in index and "a@example.org" in index and "b@example.org" in index
    assert "&lt;script&gt;" in index and "<script>" not in index
    # A message without HTML links to its .eml only.
    assert len(list(tmp_path.glob("*.html"))) == 1


def test_a_recipient_cannot_steer_the_file_name_out_of_the_folder(tmp_path):
    FileEmailBackend(outbox_dir=tmp_path).send_messages([_message("../../etc/passwd@x.org", "s")])

    # Only letters, digits, "_", "." and "-" reach the name: no separator, so no way out.
    [eml] = tmp_path.glob("*.eml")
    assert eml.name.endswith("-.._.._etc_passwd_x.org.eml")


def test_nothing_to_send_writes_nothing(tmp_path):
    assert FileEmailBackend(outbox_dir=tmp_path / "outbox").send_messages([]) == 0
    assert not (tmp_path / "outbox").exists()
