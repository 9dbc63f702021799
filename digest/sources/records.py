"""The plain record every source adapter yields, and the one way text is normalised.

Adapters parse; `digest.ingest.records_upsert` stores. Keeping adapters free of
the ORM lets the parsers be tested (and fuzzed) without a database.
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

_WS = re.compile(r"\s+")
# NUL and other C0/C1 controls break PostgreSQL text and email rendering; lone
# surrogates (legal in JSON "\\ud800", not in UTF-8) cannot be stored at all.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
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


# --- LaTeX -------------------------------------------------------------------
# arXiv titles and abstracts are written in LaTeX: "$\ln\ln T$", "\textbf{adaptability}",
# "{\deg}C", "``deep''", "{\it determinism}". Digests and pages show plain text, so the
# common markup becomes the characters it stands for. Anything not recognised is
# left as written (a reader can still make sense of "\mathfrak{g}"), never dropped.
_LATEX_SYMBOLS = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "ϑ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
    "deg": "°",
    "times": "×",
    "cdot": "·",
    "pm": "±",
    "mp": "∓",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "equiv": "≡",
    "propto": "∝",
    "infty": "∞",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "leftrightarrow": "↔",
    "mapsto": "↦",
    "ell": "ℓ",
    "partial": "∂",
    "nabla": "∇",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "in": "∈",
    "notin": "∉",
    "subset": "⊂",
    "subseteq": "⊆",
    "cup": "∪",
    "cap": "∩",
    "forall": "∀",
    "exists": "∃",
    "emptyset": "∅",
    "ldots": "…",
    "dots": "…",
    "cdots": "⋯",
    "circ": "∘",
    "langle": "⟨",
    "rangle": "⟩",
    "|": "‖",
    "log": "log",
    "ln": "ln",
    "exp": "exp",
    "max": "max",
    "min": "min",
    "arg": "arg",
    "sin": "sin",
    "cos": "cos",
    "lim": "lim",
    "det": "det",
    "Pr": "Pr",
    "eg": "e.g.",
    "ie": "i.e.",
    "etal": "et al.",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
    "%": "%",
    "&": "&",
    "_": "_",
    "#": "#",
    "{": "{",
    "}": "}",
    ",": " ",
    ";": " ",
    ":": " ",
    "!": "",
    " ": " ",
    "quad": " ",
    "qquad": " ",
}
_LATEX_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    "c": "\u0327",
    "H": "\u030b",
    "u": "\u0306",
    "v": "\u030c",
    "k": "\u0328",
}
# Operator names run into what follows once the backslash is gone ("\ln\ln T").
_LATEX_OPERATORS = {"log", "ln", "exp", "max", "min", "arg", "sin", "cos", "lim", "det", "Pr"}
_LATEX_TEXT_COMMAND = re.compile(
    r"\\(?:textbf|textit|textsl|emph|texttt|textsf|textrm|textsc|textnormal|underline|text|mbox|url|"
    r"mathrm|mathbf|mathit|mathsf|mathtt|mathcal|mathbb|mathnormal|boldsymbol|operatorname)\s*\{([^{}]*)\}"
)
_LATEX_FONT_SWITCH = re.compile(r"\{\\(?:em|bf|it|sl|sc|tt|rm|sf)\s+([^{}]*)\}")
_LATEX_SQRT = re.compile(r"\\sqrt\s*\{([^{}]*)\}")
_LATEX_ACCENT = re.compile(r"\\([\'`^\"~=]|[cHuvk](?=[\s{]))\s*\{?([A-Za-z])\}?")
_LATEX_SYMBOL = re.compile(
    r"\\("
    + "|".join(re.escape(name) for name in sorted(_LATEX_SYMBOLS, key=len, reverse=True) if name.isalpha())
    + r")(?![A-Za-z])|\\([^A-Za-z\s])"
)
_LATEX_DOLLAR = "\x00dollar\x00"  # an escaped "\$" while math delimiters are removed
# Math hugs its delimiters ("$x^2$"); "$5 and $10" is money, not math.
_LATEX_MATH = re.compile(r"\$\$?(?!\s)([^$]+?)(?<!\s)\$?\$")
_LATEX_PAREN_MATH = re.compile(r"\\\(\s*(.+?)\s*\\\)|\\\[\s*(.+?)\s*\\\]", re.DOTALL)
_LATEX_GROUP = re.compile(r"(?<![A-Za-z])\{([^{}\s\\]{1,4})\}")  # "{Λ}", "^{2}": braces that only group
_LATEX_QUOTES = re.compile(r"``(.+?)(?:''|\")", re.DOTALL)
_LATEX_UNKNOWN = re.compile(r"\\([A-Za-z]+)(?![A-Za-z{])")


def _latex_symbol(match: re.Match) -> str:
    name = match.group(1) or match.group(2)
    if name not in _LATEX_SYMBOLS:  # "\\" or "\@": not ours to read
        return match.group(0)
    following = match.string[match.end() : match.end() + 1]
    if name in _LATEX_OPERATORS and (following.isalnum() or following == "\\"):
        return _LATEX_SYMBOLS[name] + " "
    return _LATEX_SYMBOLS[name]


def readable_latex(text: str) -> str:
    """Common LaTeX markup to the plain characters it stands for; idempotent on plain text."""
    if "\\" not in text and "$" not in text and "``" not in text:
        return text
    text = text.replace("\\$", _LATEX_DOLLAR)
    text = _LATEX_MATH.sub(lambda m: m.group(1), text)
    text = _LATEX_PAREN_MATH.sub(lambda m: m.group(1) or m.group(2), text)
    for _ in range(3):  # nested markup, innermost first: \textbf{\emph{x}}
        text = _LATEX_TEXT_COMMAND.sub(lambda m: m.group(1), text)
        text = _LATEX_FONT_SWITCH.sub(lambda m: m.group(1), text)
    text = _LATEX_SQRT.sub(lambda m: "√" + (m.group(1) if len(m.group(1)) == 1 else f"({m.group(1)})"), text)
    text = _LATEX_ACCENT.sub(lambda m: m.group(2) + _LATEX_ACCENTS[m.group(1).strip()], text)
    text = _LATEX_SYMBOL.sub(_latex_symbol, text)
    text = _LATEX_GROUP.sub(lambda m: m.group(1), text)
    text = _LATEX_QUOTES.sub(lambda m: f"“{m.group(1)}”", text)
    # A macro of the author's own ("\overfeat network"): its name reads better than its backslash.
    text = _LATEX_UNKNOWN.sub(lambda m: m.group(1), text)
    return unicodedata.normalize("NFC", text.replace(_LATEX_DOLLAR, "$"))


# Entities are decoded exactly once, by the format's own decoder (the XML parser,
# json.loads): unescaping again here would turn an abstract's literal "&lt;" into "<".
def clean_text(text: str) -> str:
    """Normalise Unicode, drop control characters, make LaTeX readable, collapse whitespace."""
    return collapse_whitespace(readable_latex(unicodedata.normalize("NFC", strip_unsafe(text))))


def clean_abstract(text: str) -> str:
    """Like clean_text, but keep paragraph breaks as a blank line."""
    text = readable_latex(unicodedata.normalize("NFC", strip_unsafe(text))).strip()
    paragraphs = _PARAGRAPH_BREAK.split(text)
    return "\n\n".join(p for p in (collapse_whitespace(p) for p in paragraphs) if p)


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
