"""From what people write to what ranking compares: facets, exclusions, stemmed tokens, a paper's text."""

from __future__ import annotations

import functools
import re
import threading

import Stemmer

# Most interests texts are a few lines; more facets than this is a pasted essay.
MAX_FACETS = 12

# --- Text -----------------------------------------------------------------
_LINE_SPLIT = re.compile(r"[\n;]+|(?<=[.!?])\s+(?=[A-Z*\-•·\d])")
_BULLET = re.compile(r"^\s*(?:[-*•·+]|\d+[.)])\s*")
# "not medical imaging", "no NAS", "without surveys", "except RL", "exclude X".
_NEGATION = re.compile(
    r"^(?:not|no|without|except|excluding|exclude|minus|but not|nothing on|avoid)\b[\s:]*", re.I
)
# A line is a list when it has two or more comma-separated items and none is
# longer than this: "optimizers, normalization layers, initialization and
# parametrization" is a list of topics; a prose sentence with a comma is not.
LIST_ITEM_MAX_WORDS = 12
# "how to train deep nets well: optimizers, ..." -> a head facet, then the list.
_HEAD = re.compile(r"^([^:()]{3,80}):\s+(?=\S)")
_ITEM_SEPARATOR = re.compile(r",|\s+/\s+|\|")
_LEADING_JOIN = re.compile(r"^(?:and|or|&|as well as|plus)\s+", re.I)
_LAST_ITEM_JOIN = re.compile(r"\s+(?:and|or|nor|&)\s+", re.I)
_PARENTHESES = re.compile(r"\(([^()]*)\)")


def _split_top_level(line: str) -> list[str]:
    """Split on item separators outside parentheses: "embeddings (skip-gram, GloVe)" stays whole."""
    items, depth, start = [], 0, 0
    for match in re.finditer(r"[()]|" + _ITEM_SEPARATOR.pattern, line):
        token = match.group()
        if token == "(":
            depth += 1
        elif token == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            items.append(line[start : match.start()])
            start = match.end()
    items.append(line[start:])
    return [item.strip() for item in items if item.strip()]


def _split_items(line: str) -> list[str]:
    items = [_LEADING_JOIN.sub("", item) for item in _split_top_level(line)]
    if len(items) >= 2 and all(len(item.split()) <= LIST_ITEM_MAX_WORDS for item in items):
        # "pruning, quantization and distillation": the last "and" joins items too.
        # Not "masked or replaced-token objectives": a lone word before the
        # "or" usually shares the noun that follows ("masked objectives").
        last = _LAST_ITEM_JOIN.split(items[-1])
        lengths = {len(part.split()) for part in last}
        if max(lengths) <= 3 and (len(lengths) == 1 or min(lengths) >= 2):
            items = items[:-1] + last
        return items
    return [line]


def _split_parts(text: str) -> list[str]:
    """Lines, bullets, semicolons, sentences, then "head: list" and comma lists."""
    pieces = []
    for part in _LINE_SPLIT.split(text or ""):
        part = _BULLET.sub("", part).strip(" \t,.:")
        if not part:
            continue
        head = _HEAD.match(part)
        if head:
            pieces.append(head.group(1))
            part = part[head.end() :]
        pieces.extend(_split_items(part))
    return [piece.strip(" \t,.:") for piece in pieces]


def split_facets(text: str) -> list[str]:
    """Interests text -> distinct topics (lines, bullets, semicolons, sentences, lists).

    A piece with no content words ("I work on", "anything") is not a topic.
    """
    facets, seen = [], set()
    for facet in _split_parts(text):
        if len(facet) >= 2 and facet.lower() not in seen and tokenize(facet):
            seen.add(facet.lower())
            facets.append(facet)
    return facets[:MAX_FACETS]


def split_exclusions(text: str) -> list[str]:
    """'not medical imaging, no NAS or surveys' -> ['medical imaging', 'NAS', 'surveys'].

    Each exclusion is matched as a phrase (see LexicalIndex.phrase_present), so
    alternatives are split apart: "state space models (S4, Mamba)" excludes
    each of the three, not the five-word sequence.
    """
    out, seen = [], set()
    for piece in _split_parts(text):
        piece = _NEGATION.sub("", piece).strip(" \t,.:")
        inner = [item for group in _PARENTHESES.findall(piece) for item in _split_top_level(group)]
        piece = _PARENTHESES.sub(" ", piece)
        for part in [*_LAST_ITEM_JOIN.split(piece), *inner]:
            part = " ".join(_NEGATION.sub("", part.strip()).split()).strip(" \t,.:")
            if len(part) >= 2 and tokenize(part) and part.lower() not in seen:
                seen.add(part.lower())
                out.append(part)
    return out[:MAX_FACETS]


# English stopwords plus the words people use to *describe* an interest rather
# than to name it ("I work on", "anything about", "papers on").
STOPWORDS = frozenset(
    """a about above after again against all also am an and any anything are as at be because been before being
    below between both but by can could did do does doing down during each etc even ever every few for from further
    had has have having he her here hers him his how i if in into is it its itself just like likes me more most my
    myself no nor not now of off on once only or other others our ours out over own same she should so some such
    than that the their theirs them then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours
    interest interests interested interesting work working works want wants paper papers research researcher
    topic topics relevant especially particularly mostly mainly things thing stuff new latest recent lately
    everything something anyone someone cool nice love enjoy please send mail digest daily keen focus
    area areas field fields related""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+")


_stemmers = threading.local()


def _stem_words(words: list[str]) -> list[str]:
    # Snowball (English) folds "retrieval"/"retrieve", "quantization"/"quantized":
    # +1.8 nDCG@10 points on both dev-set halves over plural folding alone, and
    # it keeps "sparse"/"sparsity" apart. One stemmer per thread: PyStemmer
    # objects are not safe to share between threads.
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = Stemmer.Stemmer("english")
    return stemmer.stemWords(words)


@functools.lru_cache(maxsize=65536)
def tokenize(text: str) -> tuple[str, ...]:
    return tuple(_stem_words([t for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]))


def paper_text(title: str, abstract: str) -> str:
    """The one text a paper is embedded and indexed by: every PaperSet and every stored vector use it."""
    return f"{title}. {abstract}" if abstract else title
