"""One builder for every email: three Jinja2 templates per kind, CSS inlined.

`templates/emails/<name>.subject.txt`, `<name>.txt` and `<name>.html`. Subject
and text render with autoescape off (they are not HTML); the HTML environment
autoescapes, so hostile paper or profile text is escaped exactly once.
Anchor: zerver/lib/send_email.py::build_email.
"""

import functools
from email.utils import make_msgid

import css_inline
import jinja2
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

TEMPLATE_DIR = settings.BASE_DIR / "templates" / "emails"


@functools.cache
def _environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    loader = jinja2.FileSystemLoader(TEMPLATE_DIR)
    html_env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
    text_env = jinja2.Environment(
        loader=loader,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    for env in (html_env, text_env):
        env.filters["excerpt"] = excerpt
        env.globals["site_name"] = settings.SITE_NAME
    return html_env, text_env


@functools.cache
def _inliner() -> css_inline.CSSInliner:
    # keep_style_tags: media queries (mobile layout) cannot be inlined.
    return css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)


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


def render_html(name: str, context: dict) -> str:
    html_env, _ = _environments()
    return _inliner().inline(html_env.get_template(f"{name}.html").render(**context))


def render_parts(name: str, context: dict) -> tuple[str, str, str]:
    """Return (subject, text, html)."""
    _, text_env = _environments()
    subject = " ".join(text_env.get_template(f"{name}.subject.txt").render(**context).split())
    text = text_env.get_template(f"{name}.txt").render(**context)
    return subject, text, render_html(name, context)


def email_build(
    name: str, *, to: str, context: dict, headers: dict | None = None, message_id: str | None = None
) -> EmailMultiAlternatives:
    subject, text, html = render_parts(name, context)
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id or make_msgid(domain=domain), **(headers or {})},
    )
    message.attach_alternative(html, "text/html")
    return message
