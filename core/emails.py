"""One builder for every email: three Jinja2 templates per kind, CSS inlined.

`templates/emails/<name>.subject.txt`, `<name>.txt` and `<name>.html`. Subject
and text render with autoescape off (they are not HTML); the HTML environment
autoescapes, so hostile paper or profile text is escaped exactly once.
Anchor: zerver/lib/send_email.py::build_email.
"""

import base64
import functools
import io
import textwrap
from email import generator
from email.policy import compat32
from email.utils import make_msgid

import css_inline
import jinja2
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.utils import translation

TEMPLATE_DIR = settings.BASE_DIR / "templates" / "emails"
# Plain-text lines stay within 78 characters (RFC 5322's recommended limit), except a
# link longer than that, which is never broken: it sits alone on its line.
TEXT_WIDTH = 78


@functools.cache
def _environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    loader = jinja2.FileSystemLoader(TEMPLATE_DIR)
    # i18n: plurals come from ngettext ("1 upvote", "4 upvotes"), through Django's
    # translation machinery, so a translation catalogue covers emails and pages alike.
    extensions = ["jinja2.ext.i18n"]
    html_env = jinja2.Environment(
        loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, extensions=extensions
    )
    text_env = jinja2.Environment(
        loader=loader,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        extensions=extensions,
    )
    for env in (html_env, text_env):
        env.install_gettext_callables(translation.gettext, translation.ngettext, newstyle=True)
        env.filters["excerpt"] = excerpt
        env.filters["wrap"] = wrap
        env.globals["site_name"] = settings.SITE_NAME
    return html_env, text_env


def sender_identity() -> dict:
    """Who sends the email and their postal address, printed in every footer (CAN-SPAM, and trust)."""
    return {"identity": settings.EMAIL_SENDER_IDENTITY, "address": settings.EMAIL_POSTAL_ADDRESS}


@functools.cache
def _inliner() -> css_inline.CSSInliner:
    # keep_style_tags: media queries (mobile layout) cannot be inlined.
    return css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)


# A day's digests quote the same papers: a paper's excerpt and its wrapped lines
# are computed once per process, not once per reader (textwrap was the text part's cost).
_FILTER_CACHE_SIZE = 4096


@functools.lru_cache(maxsize=_FILTER_CACHE_SIZE)
def excerpt(text: str, limit: int = 320) -> str:
    """The first sentences of `text` up to about `limit` characters, cut at a word."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    sentence_end = cut.rfind(". ")
    if sentence_end > limit * 0.5:
        return cut[: sentence_end + 1]
    return cut[: cut.rfind(" ")].rstrip(",;:") + "…"


@functools.lru_cache(maxsize=_FILTER_CACHE_SIZE)
def wrap(text: str, indent: int = 0, hanging: int = 0) -> str:
    """`text` as lines of at most TEXT_WIDTH characters, indented by `indent` spaces (`hanging` more after the first).

    Words longer than a line (links) are kept whole on a line of their own.
    """
    lines = textwrap.wrap(
        " ".join((text or "").split()),
        width=TEXT_WIDTH,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + hanging),
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "\n".join(lines)


def render_html(name: str, context: dict) -> str:
    html_env, _ = _environments()
    context = {"sender": sender_identity(), **context}
    return _inliner().inline(html_env.get_template(f"{name}.html").render(**context))


def render_parts(name: str, context: dict) -> tuple[str, str, str]:
    """Return (subject, text, html)."""
    _, text_env = _environments()
    context = {"sender": sender_identity(), **context}
    subject = " ".join(text_env.get_template(f"{name}.subject.txt").render(**context).split())
    text = text_env.get_template(f"{name}.txt").render(**context)
    return subject, text, render_html(name, context)


# RFC 2047: an encoded word is at most 75 characters, and a header line should stay
# under 78. 39 bytes of UTF-8 (a multiple of 3: no padding) make a 64-character word
# ("=?utf-8?b?" + 52 of base64 + "?="), which fits beside "Subject: " on the first line.
_WORD_BYTES = 39


def encoded_words(text: str) -> str:
    """`text` as RFC 2047 base64 encoded words, split at character boundaries, in linear time.

    The standard library's Header.encode finds each line's split point by
    re-encoding ever longer prefixes: quadratic in the header's length, about
    a millisecond for a digest's subject with a "·" in it.
    """
    words, chunk, size = [], [], 0
    for char in text:
        width = len(char.encode())
        if size + width > _WORD_BYTES:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(char)
        size += width
    words.append("".join(chunk))
    return " ".join(f"=?utf-8?b?{base64.b64encode(word.encode()).decode()}?=" for word in words)


@functools.lru_cache(maxsize=512)
def _folded(name: str, value: str, linesep: str, max_line_length: int | None, cte_type: str) -> bytes:
    """A header line as compat32 folds it, which depends on nothing else: once per distinct header."""
    return compat32.clone(linesep=linesep, max_line_length=max_line_length, cte_type=cte_type).fold_binary(
        name, value
    )


class _LinesGenerator(generator.BytesGenerator):
    """The standard library's bytes generator, writing each body in one call and each header once per process.

    BytesGenerator._write_lines splits a body at its line endings and writes
    every line and every line ending on its own: two calls per line, about
    1,600 for a digest's 36 KB. Replacing the line endings writes the same
    bytes (each of \\r\\n, \\r and \\n becomes one line ending, as its split
    does). Folding a header (email.header) costs more than writing a body, and
    two thirds of a digest's headers are the same in every digest (MIME-Version,
    the parts' Content-Type, List-Id, ...): _folded remembers them.
    """

    def _write_lines(self, lines: str) -> None:
        if "\r" in lines:
            lines = lines.replace("\r\n", "\n").replace("\r", "\n")
        self.write(lines.replace("\n", self._NL))

    @classmethod
    def _make_boundary(cls, text: bytes | None = None) -> str:
        # The standard library compiles a regular expression for every new (random)
        # boundary to check that no line of the text is "--boundary": a boundary
        # absent from the text altogether passes that check, so only a boundary
        # found in it takes the full check (through the standard library, from a new draw).
        boundary = super()._make_boundary()
        if text is None or f"--{boundary}".encode() not in text:
            return boundary
        return super()._make_boundary(text)

    def _write_headers(self, msg) -> None:
        policy = self.policy
        if type(policy) is not type(
            compat32
        ):  # Django's messages are compat32; others as the standard library does
            super()._write_headers(msg)
            return
        for name, value in msg.raw_items():
            if isinstance(value, str):
                self._fp.write(_folded(name, value, policy.linesep, policy.max_line_length, policy.cte_type))
            else:
                self._fp.write(policy.fold_binary(name, value))
        self.write(self._NL)


class _Multipart(SafeMIMEMultipart):
    """Django's multipart message, flattened by _LinesGenerator: the same bytes as Django's as_bytes."""

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        buffer = io.BytesIO()
        _LinesGenerator(buffer, mangle_from_=False).flatten(self, unixfrom=unixfrom, linesep=linesep)
        return buffer.getvalue()


class _Message(EmailMultiAlternatives):
    """A message whose non-ASCII subject is encoded in linear time (see encoded_words); `subject` stays readable.

    Its MIME form flattens with _LinesGenerator (the SMTP backend's as_bytes).
    """

    def message(self, **kwargs):
        subject = self.subject
        if not subject.isascii():
            self.subject = encoded_words(subject)
        try:
            message = super().message(**kwargs)
        finally:
            self.subject = subject
        if type(message) is SafeMIMEMultipart:
            # The same object and state; only how it is written changes.
            message.__class__ = _Multipart
        return message


def email_build(
    name: str, *, to: str, context: dict, headers: dict | None = None, message_id: str | None = None
) -> EmailMultiAlternatives:
    subject, text, html = render_parts(name, context)
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"
    message = _Message(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id or make_msgid(domain=domain), **(headers or {})},
    )
    message.attach_alternative(html, "text/html")
    return message
