"""The plain record every source adapter yields, and the one way text is normalised.

Adapters parse; `digest.ingest.records_upsert` stores. Keeping adapters free of
the ORM lets the parsers be tested (and fuzzed) without a database.
"""

import functools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import ftfy
from pylatexenc import latexwalker
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
from pylatexenc.macrospec import MacroSpec

_WS = re.compile(r"\s+")
# NUL and other C0/C1 controls break PostgreSQL text and email rendering; lone
# surrogates (legal in JSON "\\ud800", not in UTF-8) cannot be stored at all.
# Private-use characters mean nothing outside the system that made them (they
# show as boxes), and readable_latex uses that range for its own markers.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff]")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n {2,}(?=\S)")
_ARXIV_NEW = re.compile(r"^(?P<id>\d{4}\.\d{4,5})(?:v(?P<v>\d+))?$")
_ARXIV_OLD = re.compile(r"^(?P<id>[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d+))?$")
# "cs.LG", "hep-th", "cond-mat.stat-mech", "q-bio.NC"; not MSC ("35") or ACM ("I.2.7") classes.
_ARXIV_CATEGORY = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?$")
_ARXIV_PREFIXES = re.compile(
    r"^(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|oai:arXiv\.org:|arxiv:)", re.IGNORECASE
)


# Limits well above anything real (arXiv caps abstracts at 1,920 characters;
# the longest author lists are ~3,000 names) and below what hurts a database
# row or an email: past them a record is hostile or broken, not a paper.
MAX_TITLE_CHARS = 1_000
MAX_ABSTRACT_CHARS = 20_000
MAX_AUTHORS = 5_000
MAX_NAME_CHARS = 300
MAX_CATEGORIES = 50
MAX_CATEGORY_CHARS = 40  # Paper.primary_category
MAX_URL_CHARS = 500  # Paper.url, Paper.pdf_url
MAX_ID_CHARS = 150
MAX_COUNT = 2**31 - 1  # Paper.upvotes, Paper.num_comments
MAX_VERSION = 32_767  # Paper.version
MAX_EXTRA_CHARS = 50_000


@dataclass(frozen=True)
class PaperRecord:
    source: str
    title: str
    announced_on: date
    abstract: str = ""
    arxiv_id: str | None = None
    version: int | None = None
    # Source-specific id for papers without an arXiv id (else derived from the title).
    source_id: str | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # primary first
    primary_category: str = ""
    url: str = ""
    pdf_url: str = ""
    published_on: date | None = None
    upvotes: int | None = None
    num_comments: int | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        _validate(self)
        # JSON-native extra (lists, not tuples) compares equal to what the
        # database gives back, so a re-ingest is seen as "unchanged".
        object.__setattr__(self, "extra", json.loads(json.dumps(self.extra)))


class RecordError(ValueError):
    """One record is unusable; the rest of the response goes on."""


class FetchError(RuntimeError):
    """A whole response is unusable (malformed, throttled, an error page)."""


# What a parser returns: the good records and one message per entry it had to drop.
Parsed = tuple[list[PaperRecord], list[str]]

_Item = TypeVar("_Item")


def records_from(
    numbered: Iterable[tuple[int, _Item]], record_of: Callable[[_Item], PaperRecord], *, what: str
) -> Parsed:
    """Turn each numbered entry of a response into a record; a bad one becomes "<what> <n>: <reason>"."""
    records: list[PaperRecord] = []
    errors: list[str] = []
    for position, item in numbered:
        try:
            records.append(record_of(item))
        except RecordError as exc:
            errors.append(f"{what} {position}: {exc}")
    return records, errors


def _validate(record: PaperRecord) -> None:
    if not record.title or not title_key(record.title):
        raise RecordError("missing title")
    checks = (
        (len(record.title) > MAX_TITLE_CHARS, f"title longer than {MAX_TITLE_CHARS} characters"),
        (len(record.abstract) > MAX_ABSTRACT_CHARS, f"abstract longer than {MAX_ABSTRACT_CHARS} characters"),
        (len(record.authors) > MAX_AUTHORS, f"more than {MAX_AUTHORS} authors"),
        (
            any(len(a) > MAX_NAME_CHARS for a in record.authors),
            f"author name longer than {MAX_NAME_CHARS} characters",
        ),
        (len(record.categories) > MAX_CATEGORIES, f"more than {MAX_CATEGORIES} categories"),
        (
            any(len(c) > MAX_CATEGORY_CHARS for c in (*record.categories, record.primary_category)),
            f"category longer than {MAX_CATEGORY_CHARS} characters",
        ),
        (
            max(len(record.url), len(record.pdf_url)) > MAX_URL_CHARS,
            f"URL longer than {MAX_URL_CHARS} characters",
        ),
        (len(record.source_id or "") > MAX_ID_CHARS, f"id longer than {MAX_ID_CHARS} characters"),
        (
            record.version is not None and not 0 < record.version <= MAX_VERSION,
            f"bad version {record.version!r}",
        ),
    )
    for failed, message in checks:
        if failed:
            raise RecordError(message)
    for name in ("upvotes", "num_comments"):
        value = getattr(record, name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT
        ):
            raise RecordError(f"bad {name} {value!r}")
    try:
        extra_size = len(json.dumps(record.extra, ensure_ascii=False))
    except (TypeError, ValueError):
        raise RecordError("extra data is not plain JSON") from None
    if extra_size > MAX_EXTRA_CHARS:
        raise RecordError(f"extra data longer than {MAX_EXTRA_CHARS} characters")


def collapse_whitespace(text: str) -> str:
    return _WS.sub(" ", text or "").strip()


def strip_unsafe(text: str) -> str:
    return _UNSAFE.sub("", text or "")


# --- Mojibake ----------------------------------------------------------------
# A body decoded with the wrong codec ("WeiÃ\x9fl" for "Weißl") is repaired by ftfy,
# which only changes text that is very likely mis-decoded. Only the encoding fixes
# are on: entities stay as the format's own decoder left them (an abstract's
# literal "&lt;"), and curly quotes, ligatures and full-width forms stay as written.
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_c1_controls=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)
# C1 controls never occur in real text: left over after the repair, they are the
# remains of a mis-decoding that could not be undone.
_C1 = re.compile(r"[\x80-\x9f]")
_C0 = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def repair_encoding(text: str) -> str:
    """Undo mojibake; raise RecordError for damage that cannot be undone (never strip it)."""
    if text.isascii():
        return text
    repaired = ftfy.fix_text(text, _FTFY)
    if match := _C1.search(repaired):
        start = max(0, match.start() - 20)
        raise RecordError(f"broken text encoding near {repaired[start : match.end() + 20]!r}")
    return repaired


# --- LaTeX -------------------------------------------------------------------
# arXiv titles and abstracts are written in LaTeX: "$\ln\ln T$", "$\Lambda$CDM",
# "t\bar{t}", "Frol\'{i}k", "{\deg}C", "``deep''". Digests and pages show plain
# text, so pylatexenc's converter turns the markup into the characters it stands for.
# Before it runs, what plain text means literally but LaTeX would swallow is
# protected: "%" (a comment), "&" and "#", "$5 and $10", "~100", URLs, and a
# stand-alone "{word}". Math is kept inline; a display environment is rendered
# inline too, so no macro name is left over.
_LATEX_SIGNAL = re.compile(r"[\\${}~]|``")
_URL = re.compile(r"https?://[^\s{}\\$<>\"]+")
_PLACEHOLDER = "\ue000{}\ue001"
# A stray backslash before a held URL makes the converter read the marker as a
# control symbol and space it out ("\\<marker>0<end>"): allow that whitespace.
_PLACEHOLDER_RE = re.compile("\ue000\\s*(\\d+)\\s*\ue001")
_LITERAL_SPECIALS = re.compile(r"(?<!\\)([%&#])")
# "``slow\"": a TeX opening quote closed the typewriter way; pylatexenc would leave the '"'.
_MIXED_QUOTES = re.compile(r"``([^`'\"\n]+?)\"")
# "\left." and "\right." are invisible delimiters; pylatexenc would print the dot. The
# brace of "\left\{ ... \right." (a system of cases) would be left open: it goes too.
_INVISIBLE_DELIMITER = re.compile(r"\\(?:left|right)\s*\.")
_OPEN_CASES = re.compile(r"\\left\s*\\\{((?:(?!\\left|\\right).)*?)\\right\s*\.", re.DOTALL)
# Math hugs its closing delimiter ("$x^2$", "$ √s = 13$"); "$5 and $10" is money.
_MATH = re.compile(r"(?<!\\)\$\$(?:\\.|[^$\\])+?(?<!\\)\$\$|(?<![\\$])\$(?!\$)(?:\\.|[^$\\])+?(?<![\s\\])\$")
_LITERAL_DOLLAR = re.compile(r"(?<!\\)\$")
# A tilde after a word is a tie ("Fig.~1"); one that starts a word is "about" ("~100").
_LITERAL_TILDE = re.compile(r"(?:(?<=^)|(?<=[\s(]))~")
# A brace group standing alone as a word, without a macro in it, is plain text
# ("labels {positive, negative}"); one touching a word or a macro groups ("Nebul{ae}").
_LITERAL_BRACES = re.compile(r"(?:(?<=^)|(?<=[\s(]))\{([^{}\\]*)\}(?=[\s,.;:)]|$)")
# Operator names run into what follows once the backslash is gone ("\ln\ln T").
_OPERATORS = (
    "log",
    "ln",
    "lg",
    "exp",
    "max",
    "min",
    "arg",
    "sin",
    "cos",
    "tan",
    "lim",
    "det",
    "Pr",
    "sup",
    "inf",
)


def _following_char(node: Any) -> str:
    source, end = node.parsing_state.s, node.pos + node.len
    return source[end : end + 1]


def _operator(name: str) -> Callable[..., str]:
    def render(node: Any, l2tobj: Any) -> str:
        following = _following_char(node)
        return name + " " if following.isalnum() or following == "\\" else name

    return render


def _unknown_macro(node: Any, l2tobj: Any) -> str:
    # An author's own macro ("\overfeat network"): its name reads better than nothing.
    following = _following_char(node)
    return node.macroname + " " if following.isalnum() or following == "{" else node.macroname


def _argument(node: Any, l2tobj: Any, index: int) -> str:
    arguments = node.nodeargd.argnlist if node.nodeargd else []
    if index >= len(arguments) or arguments[index] is None:
        return ""
    return l2tobj.nodelist_to_text([arguments[index]])


def _sqrt(node: Any, l2tobj: Any) -> str:
    radicand = _argument(node, l2tobj, 1).strip()
    return "√" + (radicand if len(radicand) == 1 else f"({radicand})")


def _combining(mark: str) -> Callable[..., str]:
    def render(node: Any, l2tobj: Any) -> str:
        base = _argument(node, l2tobj, 0).strip()
        return base + mark if len(base) == 1 else base

    return render


# Switches and sizes that only change the look: they print nothing.
_INVISIBLE_MACROS = (
    "left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr it bf em rm sf tt sc sl up md "
    "displaystyle textstyle scriptstyle scriptscriptstyle limits nolimits noindent nonumber centering hfill "
    "tiny scriptsize footnotesize small normalsize large Large LARGE huge Huge label"
).split()
# Letters written as macros end at a space ("Gro\ss e" is "Große"): the space is not kept.
_LETTER_MACROS = {"ss", "o", "O", "i", "j", "l", "L", "ae", "AE", "oe", "OE", "aa", "AA"}


def _frac(node: Any, l2tobj: Any) -> str:
    parts = [_argument(node, l2tobj, index).strip() for index in (0, 1)]
    return "/".join(p if len(p) <= 1 or p.isalnum() else f"({p})" for p in parts)


class _LatexToText(LatexNodes2Text):
    def macro_node_to_text(self, node: Any) -> str:
        text = super().macro_node_to_text(node)
        # LaTeX ends a macro name at a space and drops it; in an abstract that space
        # separates words ("\to \infty", "\eg BERT") and must stay.
        takes_arguments = bool(node.nodeargd and node.nodeargd.argnlist)
        if (
            text
            and node.macro_post_space
            and not takes_arguments
            and node.macroname not in _LETTER_MACROS
            and not text.endswith(" ")
        ):
            return text + " "
        return text


@functools.cache
def _latex_parsing() -> tuple[Any, _LatexToText]:
    """The parser's context (which macros take arguments) and the converter."""
    parsing = latexwalker.get_default_latex_context_db()
    parsing.add_context_category(
        "paper-digest",
        macros=[
            *(MacroSpec(name, "{") for name in ("url", "mbox", "operatorname", "boldsymbol", "bm", "pmb")),
            *(MacroSpec(name, "{{") for name in ("href", "dfrac", "tfrac")),
        ],
        prepend=True,
    )
    context = get_default_latex_context_db()
    macros = [
        *(MacroTextSpec(name, simplify_repl=_operator(name)) for name in _OPERATORS),
        *(MacroTextSpec(name, discard=True) for name in _INVISIBLE_MACROS),
        MacroTextSpec("deg", "°"),  # arXiv's convention: "20{\deg}C"
        MacroTextSpec("ast", "*"),
        MacroTextSpec("eg", "e.g."),
        MacroTextSpec("ie", "i.e."),
        MacroTextSpec("etal", "et al."),
        MacroTextSpec("cite", ""),
        MacroTextSpec("url", simplify_repl=lambda n, l2tobj: _argument(n, l2tobj, 0)),
        MacroTextSpec("href", simplify_repl=lambda n, l2tobj: _argument(n, l2tobj, 1)),
        *(
            MacroTextSpec(name, simplify_repl=lambda n, l2tobj: _argument(n, l2tobj, 0))
            for name in ("mbox", "operatorname", "boldsymbol", "bm", "pmb")
        ),
        *(MacroTextSpec(name, simplify_repl=_frac) for name in ("frac", "dfrac", "tfrac")),
        MacroTextSpec("sqrt", simplify_repl=_sqrt),
        MacroTextSpec("bar", simplify_repl=_combining("\u0304")),
    ]
    context.add_context_category("paper-digest", macros=macros, prepend=True)
    context.set_unknown_macro_spec(MacroTextSpec("", simplify_repl=_unknown_macro))
    return parsing, _LatexToText(latex_context=context, math_mode="text")


def _latex_to_text(source: str) -> str:
    parsing, converter = _latex_parsing()
    nodes, _, _ = latexwalker.LatexWalker(
        source, latex_context=parsing, tolerant_parsing=True
    ).get_latex_nodes()
    return converter.nodelist_to_text(nodes)


def _protect_outside_math(text: str) -> str:
    text = _LITERAL_DOLLAR.sub(r"\\$", text)
    text = _LITERAL_TILDE.sub(r"\\textasciitilde{}", text)
    return _LITERAL_BRACES.sub(lambda m: r"\{" + m.group(1) + r"\}", text)


_SCRIPT_OPEN, _SCRIPT_CLOSE = "\ue002", "\ue003"
_SCRIPT = re.compile(f"([\\^_]){_SCRIPT_OPEN}([^{_SCRIPT_OPEN}{_SCRIPT_CLOSE}]*){_SCRIPT_CLOSE}")


def _mark_scripts(source: str) -> str:
    """Mark where each "^{...}" / "_{...}" group ends, so its extent survives the conversion."""
    chars, depth_of_script, depth = list(source), [], 0
    for index, char in enumerate(source):
        if char == "{" and (index == 0 or source[index - 1] != "\\"):
            depth += 1
            if index and source[index - 1] in "^_":
                chars[index] = "{" + _SCRIPT_OPEN
                depth_of_script.append(depth)
        elif char == "}" and (index == 0 or source[index - 1] != "\\"):
            if depth_of_script and depth_of_script[-1] == depth:
                chars[index] = _SCRIPT_CLOSE + "}"
                depth_of_script.pop()
            depth = max(0, depth - 1)
    return "".join(chars)


def _script(match: re.Match) -> str:
    # "n^{1+o(1)}" must not read as "n^1+o(1)": a longer script keeps its extent.
    operator, content = match.group(1), match.group(2).strip()
    if len(content) <= 1 or content.isalnum() or (content.startswith("(") and content.endswith(")")):
        return operator + content
    return f"{operator}({content})"


def _unmark_scripts(text: str) -> str:
    while True:
        text, count = _SCRIPT.subn(_script, text)
        if not count:
            return text.replace(_SCRIPT_OPEN, "").replace(_SCRIPT_CLOSE, "")


def readable_latex(text: str) -> str:
    """LaTeX markup to the plain characters it stands for; plain text comes back as it was."""
    if not _LATEX_SIGNAL.search(text):
        return text
    urls: list[str] = []

    def hold_url(match: re.Match) -> str:
        urls.append(match.group(0))
        return _PLACEHOLDER.format(len(urls) - 1)

    source = _URL.sub(hold_url, text)
    source = _LITERAL_SPECIALS.sub(r"\\\1", _MIXED_QUOTES.sub(r"``\1''", source))
    source = _INVISIBLE_DELIMITER.sub("", _OPEN_CASES.sub(r"\1", source))
    parts, position = [], 0
    for match in _MATH.finditer(source):
        parts.append(_protect_outside_math(source[position : match.start()]))
        parts.append(match.group(0))
        position = match.end()
    parts.append(_protect_outside_math(source[position:]))
    try:
        converted = _latex_to_text(_mark_scripts("".join(parts)))
    except Exception:  # noqa: BLE001 - a third-party parser on untrusted text
        # Whatever trips the converter (deep nesting, a macro missing its
        # arguments), the text stays as written rather than being lost.
        return text
    converted = _PLACEHOLDER_RE.sub(lambda m: urls[int(m.group(1))], _unmark_scripts(converted))
    if "\ue000" in converted or "\ue001" in converted:  # a marker the converter took apart
        return text
    return unicodedata.normalize("NFC", converted)


def _normalise(text: str) -> str:
    # C0 controls go before the repair, so that what it repairs is what is kept
    # (and a second cleaning finds nothing more to repair); C1 controls are its input.
    return unicodedata.normalize("NFC", strip_unsafe(repair_encoding(_C0.sub("", text or ""))))


# Entities are decoded exactly once, by the format's own decoder (the XML parser,
# json.loads): unescaping again here would turn an abstract's literal "&lt;" into "<".
def clean_text(text: str) -> str:
    """Repair mojibake, normalise Unicode, drop control characters, make LaTeX readable, collapse whitespace."""
    return collapse_whitespace(readable_latex(_normalise(text)))


def clean_abstract(text: str) -> str:
    """Like clean_text, but keep paragraph breaks as a blank line."""
    paragraphs = _PARAGRAPH_BREAK.split(_normalise(text).strip())
    return "\n\n".join(p for p in (collapse_whitespace(readable_latex(p)) for p in paragraphs) if p)


def title_key(title: str) -> str:
    """Case-, accent- and punctuation-free title, for matching one paper across sources."""
    decomposed = unicodedata.normalize("NFKD", clean_text(title).lower())
    return "".join(ch for ch in decomposed if ch.isalnum())[:300]


def parse_arxiv_id(raw: str) -> tuple[str, int | None]:
    """'http://arxiv.org/abs/2604.26951v1' -> ('2604.26951', 1); old ids keep their slash.

    Raises RecordError for anything that is not an arXiv id.
    """
    value = _ARXIV_PREFIXES.sub("", (raw or "").strip())
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        match = pattern.match(value)
        if match:
            version = match.group("v")
            return match.group("id"), int(version) if version else None
    raise RecordError(f"not an arXiv id: {raw!r}")


def iso_day(value: object) -> date:
    """'2026-06-12T00:00:00.000Z' -> date(2026, 6, 12); RecordError for anything else."""
    if not isinstance(value, str):
        raise RecordError(f"not a date: {value!r}")
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise RecordError(f"not a date: {value[:40]!r}") from None


def is_arxiv_category(term: str) -> bool:
    return bool(_ARXIV_CATEGORY.match(term))


def https(url: str) -> str:
    """arXiv still writes http:// links; the site redirects them to https."""
    url = (url or "").strip()
    if url.startswith("http://") and url[7:].split("/", 1)[0].endswith("arxiv.org"):
        return "https://" + url[7:]
    return url


# Past this a response is not a day of papers (a full HF day is ~200 KB).
MAX_JSON_BYTES = 50 * 1024 * 1024


def decode_utf8(data: bytes | str, *, what: str) -> str:
    if isinstance(data, str):
        return data
    if len(data) > MAX_JSON_BYTES:
        raise FetchError(f"{what}: larger than {MAX_JSON_BYTES} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FetchError(f"{what}: not UTF-8 ({exc.reason} at byte {exc.start})") from None


def load_json(data: bytes | str, *, what: str) -> object:
    """json.loads, with a truncated, mis-encoded or hostile body turned into FetchError."""
    text = decode_utf8(data, what=what)
    if not text.strip():
        raise FetchError(f"{what}: empty response")
    try:
        return json.loads(text)
    except ValueError as exc:
        # JSONDecodeError, and ValueError for integers past Python's digit limit.
        raise FetchError(f"{what}: malformed JSON ({exc})") from None
    except RecursionError:
        raise FetchError(f"{what}: JSON nested too deeply") from None
