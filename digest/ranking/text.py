"""From what people write to what ranking compares: facets, exclusions, stemmed tokens, a paper's text."""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

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
_HEAD = re.compile(r"^([^:()]{3,80}?)(?::|\s[-–—])\s+(?=\S)")
# "X like A, B or C" / "X such as A and B": the examples qualify X, as in parentheses.
# Not the verb: "I like X", "we'd like X".
_EXAMPLES = re.compile(
    r"(?<!\bi)(?<!\bwe)(?<!\byou)(?<!\bthey)(?<!\bwould)(?<!'d)(?<!’d)"
    r"\s+(?:like|such\s+as|e\.g\.?|including)\s+([^.;:()]+)$",
    re.I,
)
# How people introduce an interest ("I'm interested in", "I mostly read about"):
# not part of the topic's name.
_LEAD = re.compile(
    r"^(?:(?:but|and|also|so)\s+)?"
    # "In my PhD I work on X", "for my thesis I read about X": where, not what.
    r"(?:(?:in|for|during|at)\s+(?:my|our)\s+(?:phd|thesis|master'?s?|job|day\s+job|work|lab|group|team|research)\s*,?\s*)?(?:(?:i\s+am|i'm|i’m|im|i)\s+(?:also\s+|mostly\s+|mainly\s+|really\s+|currently\s+)*"
    r"(?:interested\s+in|into|work(?:ing)?\s+(?:on|in|with)|read(?:ing)?(?:\s+about)?|study(?:ing)?|research(?:ing)?"
    r"|like|love|want|need|follow|care\s+about|look(?:ing)?\s+for)"
    r"|(?:currently\s+)?work(?:ing)?\s+(?:on|in|with)|(?:mostly|mainly|primarily|especially)|my\s+(?:work|research|interests?|focus)\s+(?:is|are)(?:\s+(?:on|in|about))?"
    # Question scaffolding: "what's new in X?", "anything on X", "I'd like to know about X".
    r"|what(?:'s|’s|\s+is)\s+(?:new|happening|going\s+on)\s+(?:in|on|about|with)"
    r"|any\s+(?:news|papers|work|progress)\s+(?:on|about|in)|(?:i'd|i’d|i\s+would)\s+like\s+(?:to\s+(?:know|read|see|learn|follow|collect|find|track|keep\s+up\s+with)(?:\s+more)?(?:\s+(?:about|on))?)?"
    r"|(?:i'm\s+|i\s+am\s+|we're\s+|we\s+are\s+)?looking\s+for|what\s+i\s+care\s+about(?:\s+most)?\s+is|i\s+mean)\s+",
    re.I,
)
_ITEM_SEPARATOR = re.compile(r",|\s+/\s+|\|")
_LEADING_JOIN = re.compile(r"^(?:and\s+also|and|or|&|as well as|plus|also)\s+", re.I)
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
    # Examples in parentheses qualify an item; they don't make it a prose sentence.
    if len(items) >= 2 and all(
        len(_PARENTHESES.sub(" ", item).split()) <= LIST_ITEM_MAX_WORDS for item in items
    ):
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
        if "(" not in part:
            part = _EXAMPLES.sub(r" (\1)", part)
        head = _HEAD.match(part)
        if head:
            pieces.append(head.group(1))
            part = part[head.end() :]
        pieces.extend(_split_items(part))
    return [piece.strip(" \t,.:") for piece in pieces]


# --- Reading what people type ----------------------------------------------
# General English patterns, not phrases from any test set: a greeting, thanks,
# a self-introduction, a negated topic, a hedged side interest.
_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|greetings|dear\s+\w+)(?:\s+(?:there|all|team|everyone))?\b[\s,!.:;-]*", re.I
)
_THANKS = re.compile(
    r"^(?:many\s+)?(?:thanks|thank\s+you|thx|cheers|(?:best|kind)\s+regards|regards)\b", re.I
)
# "I'm a PhD student at X", "I am an ML engineer in a startup": who is writing, not what they want.
_SELF_INTRO = re.compile(
    r"^(?:i\s+am|i'm|i’m|im)\s+(?:a|an|the)?\s*(?:[\w/-]+\s+){0,4}?"
    r"(?:student|researcher|engineer|scientist|postdoc|professor|developer|candidate|lecturer|practitioner"
    r"|analyst|manager|founder|academic|hobbyist|data\s+scientist|theorist|physicist|mathematician|statistician"
    r"|clinician|linguist)s?\b"
    r"(?:\s+(?:at|in|from|with|of|on)\s+(?:a|an|the|my|our)\b[^,.;:!?]*)?[\s,]*(?:and\s+)?",
    re.I,
)
# Where a negated topic starts: at the start of a clause, or after a comma,
# colon, dash or "but". "not only X but also Y", "not sure if ...", "no
# particular preference" are not negations.
_NEGATION_CUE = re.compile(
    r"(?:^|[,;:–—]\s*|\s-\s|\s+but\s+|\s+(?=(?:except|excluding)\b))"
    r"(?:(?:so|and|but)\s+)?(?:(?:i\s+am|i'm|i’m|im)\s+)?(?:(?:really|definitely|absolutely)\s+)?"
    r"(?:"
    r"(?:not|no\s+longer)\s+(?:really\s+|very\s+|that\s+|too\s+)?(?:interested\s+in|into|keen\s+on|looking\s+for|about|after)"
    r"|i\s+(?:do\s+not|don't|don’t|dont)\s+(?:really\s+)?(?:care\s+(?:about|for)|want|need|like|read|mean)"
    r"|neither(?:\s+(?:do|does|are|is))?|nor"
    r"|(?:please\s+)?(?:no|not|nothing\s+(?:on|about)|anything\s+but|everything\s+but|all\s+but"
    r"|except(?:\s+for)?|excluding|exclude|without|avoid|but\s+not|never)"
    r")(?=\s)(?!\s+(?:only|just|necessarily|sure|preference|particular|specific|strong|matter|problem|idea|doubt)\b)[\s:]*",
    re.I,
)
# "X is out of scope", "X are not relevant to me", "X is off-topic".
_NEGATED_TOPIC = re.compile(
    r"(?:^|,\s*)(?:(?:so|and|but)\s+)?(?P<topic>[^,]+?)(?:\s+(?:is|are)\s+(?:(?:really|definitely|totally|completely)\s+)?"
    r"(?:out\s+of\s+scope|outside\s+(?:of\s+)?(?:my|the)?\s*scope|off[- ]topic|irrelevant|not\s+(?:of\s+)?"
    r"(?:interest|interesting|relevant|needed|wanted|for\s+me|mine|my\s+(?:thing|field|area|topic)"
    r"|what\s+i(?:'m|’m|\s+am)?\s+(?:want|need|mean|after|asking\s+about|looking\s+for))"
    # "X is a different community", "X is another field": someone else's topic, when the clause ends
    # there ("X is another field I follow" is the reader's own).
    r"|(?:a\s+)?(?:different|separate|another|other)\s+(?:community|field|area|topic|world|story|thing)(?=\s*(?:[,.;!]|$)))\b"
    # "X don't interest me", "X I don't need", "X, no please"
    r"|\s+(?:do|does)(?:n't|n’t|\s+not)\s+interest\s+(?:me|us)\b"
    r"|\s+(?:i|we)\s+(?:do\s+not|don't|don’t|dont)\s+(?:need|want|care\s+about|read)\b"
    # The blanks are collapsed before reading, so a short separator suffices; an unbounded one made a
    # hostile text of repeated " :" cubic to read.
    r"|[\s,:]{1,4}(?:also\s+|either\s+)?(?:no|not)(?:\s+(?:for\s+(?:me|us)|either|please|thanks|thank\s+you))?[\s.!]*$)"
    # The rest of the clause is the reason, not a topic ("... is not for me since it is too applied").
    r"[^,]*",
    re.I,
)
_POLITE_TAIL = re.compile(
    r"(?:[\s,]+(?:please|thanks|thank\s+you|at\s+all|for\s+me|either|though|counts?\s+(?:too|as\s+well)))+[\s.!]*$",
    re.I,
)
# A negation whose object is a pronoun ("X I follow elsewhere, no need for it
# here", "..., so I don't need those"): what it points back to is excluded.
_PRONOUN_OBJECT = re.compile(
    r"^(?:need\s+for\s+)?(?:it|them|those|these|that|this|any\s+of\s+(?:it|them|those))\b", re.I
)
# A clause that qualifies the rest rather than naming a topic: "for language
# models", "in Bangalore", "the same ideas for vision", "X are only useful if
# ...", "but speech is the main thing". Read as context of the whole profile,
# not as a topic of its own (a topic matches on its own, and a qualifier would
# pull in every paper of its domain).
_QUALIFIER = re.compile(
    r"^(?:(?:but|and|so|esp\.?|especially|mostly|mainly|ideally)\s+)*"
    r"(?:(?:for|within)\s|the\s+same\s+(?:ideas?|methods?|techniques?|things?|approach(?:es)?)\b)"
    r"|\b(?:only\s+(?:useful|relevant|interesting|of\s+interest|ok|okay|fine)\s+(?:if|when)"
    r"|(?:is|are)\s+the\s+main\s+(?:thing|focus|interest))\b"
    # "I'm on the language modelling side": where the reader stands, not a topic.
    r"|^(?:(?:i\s+am|i'm|i’m|im|we\s+are|we're|we’re)\s+(?:more\s+|mostly\s+|mainly\s+)?on\s+the\s+.+\s+side)$",
    re.I,
)
# A short "in/on/at/with/from ..." says where, not what: after a topic ("robotics,
# in Bangalore"), or naming a place ("I'm an engineer in Bangalore" leaves "in
# Bangalore"). Otherwise it names a topic ("in silico drug design", "on device
# LLMs", "in context learning"). One \S+ per word keeps the match linear:
# (?:\S+\s*){1,3}$ tried every split of a long word.
_PLACE = re.compile(
    r"^(?:(?:but|and|so|esp\.?|especially|mostly|mainly|ideally)\s+)*(?:in|on|at|with|from)\s+"
    r"(?P<word>\S+)(?:\s+\S+){0,2}\s*$",
    re.I,
)


# "I'm writing my thesis on X, so I'd like to collect Y": the situation before
# ", so I'd like / want / need" qualifies the profile; what follows is the topic
# (not ", so I'd rather skip X": that is an exclusion, read as one).
_SITUATION = re.compile(
    r"^(?P<situation>[^,]{10,}?),\s+so\s+(?=(?:(?:i|we)(?:'d|’d|\s+would)\s+(?:like|love)|(?:i|we)\s+(?:want|need)"
    r"|i'm\s+looking|i\s+am\s+looking)\b)",
    re.I,
)


def _is_place(piece: str, *, position: int) -> bool:
    place = _PLACE.match(piece)
    return place is not None and (position > 0 or place.group("word")[:1].isupper())


# Scaffolding that introduces what follows ("The questions I care about:",
# "Two things interest me:") or says where the writer is ("Computational
# mechanics postdoc here"): not a topic.
_SCAFFOLD = re.compile(
    r"^(?:(?:the|my|our)\s+)?(?:(?:main|two|three|a\s+few|some|several)\s+)?"
    r"(?:questions?|things?|topics?|areas?|problems?|interests?)\s+(?:that\s+)?"
    r"(?:(?:i|we)\s+(?:care\s+about|follow|like|want|work\s+on|am\s+interested\s+in|read\s+about)|interest\s+(?:me|us))$"
    r"|^(?:[\w-]+\s+){0,4}(?:student|researcher|engineer|scientist|postdoc|professor|developer|theorist|physicist"
    r"|mathematician|statistician|clinician|practitioner)s?\s+here$",
    re.I,
)
# A side interest: "X papers are fine too if ...", "maybe also X", "occasionally X".
_HEDGE = re.compile(
    r"\b(?:maybe|perhaps|possibly|occasionally|sometimes|secondary|side\s+interest|less\s+so|to\s+a\s+lesser\s+extent"
    r"|nice\s+to\s+have|not\s+essential|(?:is|are)\s+(?:also\s+)?(?:fine|ok|okay|acceptable)|fine\s+too|ok\s+too)\b",
    re.I,
)
# What a hedge says about the topic, not the topic: removed from its text.
_HEDGE_WORDS = re.compile(
    r"\b(?:(?:is|are)\s+(?:also\s+)?(?:only\s+)?(?:of\s+)?(?:fine|ok|okay|acceptable|secondary(?:\s+interest)?)"
    r"|(?:is|are)\s+(?:only\s+)?of\s+secondary\s+interest|maybe(?:\s+also)?|perhaps(?:\s+also)?|possibly"
    r"|occasionally|sometimes|also|too|as\s+well|less\s+so|to\s+a\s+lesser\s+extent|nice\s+to\s+have|not\s+essential"
    r"|side\s+interest(?:s)?(?:\s*:)?)\b",
    re.I,
)
# A condition on a side interest ("... if they use real data"): the topic is
# what precedes it; the profile's other facets (its whole text) carry the rest.
_CONDITION = re.compile(r"[\s,]+(?:if|as\s+long\s+as|provided|only\s+if|when|but\s+only)\b.*$", re.I)


@dataclass(frozen=True)
class Reading:
    """How an interests text was read: what ranking uses, and what it shows the reader."""

    facets: tuple[str, ...] = ()
    # Per facet: True for a hedged side interest ("X is fine too if ...").
    side: tuple[bool, ...] = ()
    # Topics the text itself rules out ("not interested in X", "X is out of scope").
    exclusions: tuple[str, ...] = ()
    # Greetings, thanks and self-introductions: read and left out.
    ignored: tuple[str, ...] = ()
    # Clauses that qualify the whole profile ("for language models"): part of
    # the whole-profile query, not topics of their own.
    context: tuple[str, ...] = ()


def _split_negation(part: str) -> tuple[str, str]:
    """'pruning, distillation - anything but dataset distillation' -> ('pruning, distillation', 'dataset distillation')."""
    # A loop, not recursion: a long hostile text holds hundreds of negated topics.
    names = []
    while topic := _NEGATED_TOPIC.search(part):
        names.append(topic.group("topic").strip(" \t-–—"))
        part = part[: topic.start()] + part[topic.end() :]
    wanted, negated = part, ""
    cue = _NEGATION_CUE.search(part)
    if cue:
        wanted, negated = part[: cue.start()], part[cue.end() :]
        if _PRONOUN_OBJECT.match(negated) and wanted.strip():
            wanted, negated = "", wanted
    return wanted, ", ".join([*names, negated] if negated else names)


def _side_interest(part: str) -> list[str]:
    text = _CONDITION.sub("", part)
    text = _HEDGE_WORDS.sub(" ", text)
    return _split_parts(" ".join(text.split()))


# A day's build reads each profile twice (the cache key of its vectors, then the
# profile); readers' texts repeat across chunks too. Reading is frozen.
@functools.lru_cache(maxsize=4096)
def read_interests(text: str) -> Reading:
    """Interests text as typed -> topics, side topics, typed exclusions and what was left out.

    Each clause (line, bullet, semicolon, sentence) is read on its own: filler
    is dropped, a negated topic becomes an exclusion, a hedged one a side
    facet; what is left is split into topics as split_facets always has.
    """
    facets: list[str] = []
    side: list[bool] = []
    excluded: list[str] = []
    ignored: list[str] = []
    context: list[str] = []
    seen: set[str] = set()

    def add(items: list[str], *, hedged: bool) -> None:
        for position, facet in enumerate(items):
            facet = _LEAD.sub("", _POLITE_TAIL.sub("", facet.strip(" \t,.:-–—"))).strip(" \t,.:-–—")
            if _SCAFFOLD.match(facet):
                ignored.append(facet)
                continue
            if _QUALIFIER.search(facet) or _is_place(facet, position=position):
                context.append(facet)
                continue
            if len(facet) >= 2 and facet.lower() not in seen and tokenize(facet):
                seen.add(facet.lower())
                facets.append(facet)
                side.append(hedged)

    # Runs of blanks collapsed first: several patterns are quadratic in them.
    clauses = [
        " ".join(c.split()) for c in (_BULLET.sub("", c).strip() for c in _LINE_SPLIT.split(text or "")) if c
    ]
    for clause in clauses:
        part = _GREETING.sub("", clause)
        intro = _SELF_INTRO.match(part)
        if intro:
            part = part[intro.end() :]
        if _THANKS.match(part):
            part = ""
        part = part.strip(" \t,.:!")
        if not part or not tokenize(part):
            ignored.append(clause.strip(" \t,.:!"))
            continue
        start = clause.find(part)
        if start > 0:
            ignored.append(clause[:start].strip(" \t,.:!"))
        situation = _SITUATION.match(part)
        if situation:
            context.append(situation.group("situation"))
            part = part[situation.end() :]
        wanted, negated = _split_negation(part)
        if negated:
            excluded.extend(split_exclusions(_POLITE_TAIL.sub("", negated)))
        wanted = wanted.strip(" \t,.:-–—")
        if not wanted:
            continue
        if _HEDGE.search(wanted):
            add(_side_interest(wanted), hedged=True)
        else:
            add(_split_parts(wanted), hedged=False)
    if not facets and context:
        # Every topic read as a qualifier: a reader with no topic would get empty digests.
        facets, side, context = context, [False] * len(context), []
    return Reading(
        facets=tuple(facets[:MAX_FACETS]),
        side=tuple(side[:MAX_FACETS]),
        exclusions=tuple(dict.fromkeys(excluded))[:MAX_FACETS],
        ignored=tuple(i for i in ignored if i),
        context=tuple(context),
    )


def interests_within(text: str, *, max_facets: int, max_chars: int) -> tuple[str, tuple[str, ...]]:
    """The interests text cut to its first max_facets topics of at most max_chars each, and the exclusions it typed.

    The cut text is one topic per line, written so that read_interests reads it
    as it read the original: a side topic keeps a hedge ("maybe ..."), and the
    clauses read as context follow, as many as topics at most. For
    callers that must bound the work of a text (the anonymous sign-up preview)
    without ranking it differently from the daily run.
    """
    reading = read_interests(text)
    lines = [
        f"maybe {facet[:max_chars]}" if side else facet[:max_chars]
        for facet, side in zip(reading.facets[:max_facets], reading.side, strict=False)
    ] + [clause[:max_chars] for clause in reading.context[:max_facets]]
    return "\n".join(lines), reading.exclusions


def split_facets(text: str) -> list[str]:
    """Interests text -> distinct topics (lines, bullets, semicolons, sentences, lists), side topics included.

    Filler ("Hi", "I'm a PhD student at ...") and negated topics are not
    topics (see read_interests).
    """
    return list(read_interests(text).facets)


def _alternatives(text: str) -> list[str]:
    """'pruning or quantization' -> both; 'multimodal or vision-language models' -> 'multimodal models', ...

    A lone word before the "or" shares the noun that follows, as in facets: an
    exclusion of the bare adjective ("multimodal") would sink every paper that
    mentions it once.
    """
    parts = [" ".join(part.split()) for part in _LAST_ITEM_JOIN.split(text)]
    last = parts[-1].split()
    if len(parts) > 1 and len(last) >= 2:
        parts = [f"{part} {last[-1]}" if len(part.split()) == 1 else part for part in parts[:-1]] + [
            parts[-1]
        ]
    return parts


def split_exclusions(text: str) -> list[str]:
    """'not medical imaging, no NAS or surveys' -> ['medical imaging', 'NAS', 'surveys'].

    Each exclusion is matched as a phrase (see LexicalIndex.phrase_present), so
    alternatives are split apart: "state space models (S4, Mamba)" excludes
    each of the three, not the five-word sequence.
    """
    out, seen = [], set()
    for piece in _split_parts(text):
        piece = _NEGATION.sub("", piece).strip(" \t,.:")
        inner = [
            alternative
            for group in _PARENTHESES.findall(piece)
            for item in _split_top_level(group)
            for alternative in _LAST_ITEM_JOIN.split(item)
        ]
        piece = _PARENTHESES.sub(" ", piece)
        for part in [*_alternatives(piece), *inner]:
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
