r"""The relevance query: Lucene-style boolean syntax, parsed by luqum, run over tokens.

Grammar (what operators may write under ``[detect] query``):

* ``term``: a word, matched case-insensitively against word tokens. A term written in
  capitals (``ICE``, ``CBP``) matches capitalised tokens only, so "black ice" on the
  roads does not count as immigration news.
* ``deport*`` / ``polic?``: wildcards over a single token (``*`` any run, ``?`` one char).
* ``"phrase words"``: consecutive tokens; ``"287(g)"`` is one token (``287g``).
* ``"sheriff detainer"~12``: every word of the phrase within ``len(words) - 2 + 12``
  intervening tokens of the first word, in either order (Lucene's sloppy phrase,
  approximately).
* ``a AND b``, ``a OR b``, ``NOT a``, ``-a`` (prohibit), ``+a`` (same as ``a``),
  parentheses. Juxtaposition (``a b``) means AND: a filter is read like a search box.

Evaluation order: the query is parsed and compiled once (``parse_query``). For every
text, ``CompiledQuery.prefilter`` first runs cheap substring/regex checks derived from
the terms the query cannot match without (so off-topic pages exit in microseconds);
only then is the boolean tree evaluated. A phrase's substring probe is its longest word
("papers" for "have papers"), so a common first word never sends every page on. Each
leaf is compiled to a regex over token
boundaries: a term is one token (``\b...\b``), a phrase is consecutive tokens
(``\W+`` between them), a proximity bounds the number of tokens in between. This is
the positional evaluation of a token stream, done by the C regex engine instead of
building a position index in Python for every article.

``DEFAULT_QUERY`` is built from the lexicon (``lexicon.FEDERAL_ACRONYMS``,
``FEDERAL_NAMES``, ``TOPIC_TERMS``), the words the topic test and the rules use too;
config.toml ships a copy of it.

Bad rules: anything luqum cannot parse, field queries (``title:x``), ranges, fuzzy
terms and empty phrases raise ``QueryError`` with the reason; nothing is silently
dropped, so ``config.py`` can report the problem under ``[detect] query``.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from luqum import tree
from luqum.exceptions import ParseError
from luqum.parser import parser

from .lexicon import FEDERAL_ACRONYMS, FEDERAL_NAMES, TOPIC_STEMS, TOPIC_TERMS
from .text import tokens

# The query spells a lexicon topic term as itself, but "papers" as phrases: the query
# alone decides whether a page is on topic, and "the papers reported" is not.
_QUERY_FORMS = {"papers": '"check papers"~3 OR "their papers" OR "have papers"'}
# Query-only: a coarse net, "federal agents" lets a page through for the rules to judge
# (the topic test leaves it out: it would make "assist federal agents" on a drug case count).
_QUERY_EXTRAS = ('"federal agents"',)


def _query_term(term: str) -> str:
    """A lexicon term in Lucene syntax: a word or wildcard as is, anything else quoted."""
    if term in _QUERY_FORMS:
        return _QUERY_FORMS[term]
    return term if re.fullmatch(r"[\w*]+", term) else f'"{term}"'


# "I.C.E." is three one-letter tokens, and a page that spells it names ICE otherwise too;
# a name a topic term already finds ("immigration and ...": immigra*) is left out.
_TOPIC_QUERY = " OR ".join(
    [a for a in FEDERAL_ACRONYMS if a.isalpha()]
    + [_query_term(t) for t in TOPIC_TERMS + tuple(n for n in FEDERAL_NAMES if n in TOPIC_STEMS)]
    + list(_QUERY_EXTRAS))
# The default asks only that immigration enforcement be named: the learned decision weighs
# who speaks (police, a mayor, an advocate), so a police word here would only cost recall
# ("Pulkrabek said they'll no longer honor those requests ... If ICE isn't here ...").
DEFAULT_QUERY = f"({_TOPIC_QUERY})"


class QueryError(ValueError):
    """The relevance query does not parse or uses syntax we do not support."""


class Doc:
    """One text to match: as written, and lower-cased for the substring probes."""

    __slots__ = ("text", "lowered")

    def __init__(self, text: str) -> None:
        self.text = text
        self.lowered = text.lower()


def _is_caps(word: str) -> bool:
    return len(word) > 1 and word.isupper() and word.isalpha()


Matcher = Callable[[Doc], list[str] | None]


@dataclass
class CompiledQuery:
    """A parsed query: ``match`` returns the matched leaves (for cues) or None."""

    source: str
    matcher: Matcher
    clauses: list[list[tuple[str, ...]]] = field(default_factory=list)
    _checks: list[list[Callable[[str, str], bool]]] = field(default_factory=list)

    def prefilter(self, text: str) -> bool:
        """Cheap necessary condition: False means the query cannot match ``text``."""
        folded = text.casefold()
        return all(any(check(text, folded) for check in clause) for clause in self._checks)

    def match(self, text: str) -> list[str] | None:
        """Evaluate the query on ``text``: matched leaf terms, or None when it fails."""
        if not self.prefilter(text):
            return None
        return self.matcher(Doc(text))

    def cue(self, text: str) -> str | None:
        """A short cue like ``'query: ICE AND sheriff'`` when the query matches."""
        leaves = self.match(text)
        return "query: " + " AND ".join(dict.fromkeys(leaves)) if leaves else None


def parse_query(text: str) -> CompiledQuery:
    """Parse and compile a Lucene-style query; raise QueryError naming the problem."""
    if not text or not text.strip():
        raise QueryError("query is empty")
    try:
        node = parser.parse(text)
    except (ParseError, Exception) as exc:  # luqum raises several exception types
        raise QueryError(f"query does not parse: {exc}") from None
    matcher = _compile(node)
    clauses = _necessary(node) or []
    return CompiledQuery(text, matcher, clauses, [_clause_checks(c) for c in clauses])


# --- compiling the luqum tree into closures -------------------------------------------

def _compile(node: tree.Item) -> Matcher:
    handler = _HANDLERS.get(type(node))
    if handler is None:
        raise QueryError(f"unsupported query syntax: {type(node).__name__} ({node})")
    return handler(node)


def _compile_and(node: tree.Item) -> Matcher:
    parts = [_compile(c) for c in node.children]

    def match(index: Doc) -> list[str] | None:
        leaves: list[str] = []
        for part in parts:
            got = part(index)
            if got is None:
                return None
            leaves += got
        return leaves
    return match


def _compile_or(node: tree.Item) -> Matcher:
    parts = [_compile(c) for c in node.children]

    def match(index: Doc) -> list[str] | None:
        for part in parts:
            got = part(index)
            if got is not None:
                return got
        return None
    return match


def _compile_not(node: tree.Item) -> Matcher:
    inner = _compile(node.a)
    return lambda index: [] if inner(index) is None else None


def _word_pattern(word: str) -> str:
    """Regex for one token-level word: wildcards, and 287g matching "287(g)"."""
    if re.fullmatch(r"\d+[A-Za-z]", word):
        return rf"\b{word[:-1]}\(?{word[-1]}\)?(?!\w)"
    body = re.escape(word).replace(r"\*", r"\w*").replace(r"\?", r"\w")
    return rf"\b{body}\b"


def _leaf(pattern: str, caps: bool, label: str, probe: str) -> Matcher:
    """A matcher testing ``pattern`` on the text (case-sensitive for capitals), run only
    when the literal ``probe`` occurs (a C substring scan, far cheaper than the regex)."""
    rx = re.compile(pattern) if caps else re.compile(pattern, re.IGNORECASE)
    probe = probe if caps else probe.lower()

    def match(doc: Doc) -> list[str] | None:
        hay = doc.text if caps else doc.lowered
        return [label] if probe in hay and rx.search(doc.text) else None
    return match


def _probe(word: str) -> str:
    """The literal part of a query word that any match must contain."""
    stem = re.split(r"[*?]", word)[0]
    return stem[:-1] if re.fullmatch(r"\d+[A-Za-z]", stem) else stem


def _compile_word(node: tree.Word) -> Matcher:
    word = node.value
    return _leaf(_word_pattern(word), _is_caps(word), word, _probe(word))


def _phrase_words(node: tree.Phrase) -> list[str]:
    words = tokens(node.value.strip('"'))
    if not words:
        raise QueryError(f"empty phrase {node.value}")
    return words


def _compile_phrase(node: tree.Phrase) -> Matcher:
    words = _phrase_words(node)
    pattern = r"\W+".join(_word_pattern(w)[2:] if i else _word_pattern(w)
                          for i, w in enumerate(words))
    return _leaf(pattern, all(_is_caps(w) for w in words), node.value, _probe(words[0]))


def _compile_proximity(node: tree.Proximity) -> Matcher:
    """Every word within ``len(words) - 1 + degree`` tokens of the first, in any order."""
    if not isinstance(node.term, tree.Phrase):
        raise QueryError(f"proximity needs a quoted phrase: {node}")
    words, label = _phrase_words(node.term), str(node)
    gap = len(words) - 2 + int(node.degree or 0)
    first = _word_pattern(words[0])
    pairs = [re.compile(rf"{first}\W+(?:\w+\W+){{0,{gap}}}?{_word_pattern(w)}|"
                        rf"{_word_pattern(w)}\W+(?:\w+\W+){{0,{gap}}}?{first}", re.IGNORECASE)
             for w in words[1:]]
    return lambda doc: [label] if all(p.search(doc.text) for p in pairs) else None


def _compile_group(node: tree.Item) -> Matcher:
    return _compile(node.expr)


def _compile_boost(node: tree.Boost) -> Matcher:
    return _compile(node.expr)


def _reject_field(node: tree.SearchField) -> Matcher:
    raise QueryError(f"field queries are not supported: {node}")


_HANDLERS: dict[type, Callable[[tree.Item], Matcher]] = {
    tree.AndOperation: _compile_and,
    tree.UnknownOperation: _compile_and,
    tree.OrOperation: _compile_or,
    tree.Not: _compile_not,
    tree.Prohibit: _compile_not,
    tree.Plus: _compile_group,
    tree.Group: _compile_group,
    tree.FieldGroup: _compile_group,
    tree.Boost: _compile_boost,
    tree.Word: _compile_word,
    tree.Phrase: _compile_phrase,
    tree.Proximity: _compile_proximity,
    tree.SearchField: _reject_field,
}


# --- prefilter: terms the query cannot match without -----------------------------------

def _necessary(node: tree.Item) -> list[list[tuple[str, ...]]] | None:
    """Clauses (alternative word tuples) of which each must occur; None = no constraint.

    A tuple of several words is a phrase; a one-word tuple is a term or wildcard.
    """
    if isinstance(node, (tree.AndOperation, tree.UnknownOperation)):
        found = [c for child in node.children for c in (_necessary(child) or [])]
        return found or None
    if isinstance(node, tree.OrOperation):
        alts = [_necessary(child) for child in node.children]
        if any(a is None for a in alts):
            return None
        return [[w for a in alts for w in a[0]]]
    if isinstance(node, (tree.Group, tree.FieldGroup, tree.Plus, tree.Boost)):
        return _necessary(node.expr if hasattr(node, "expr") else node.a)
    if isinstance(node, tree.Word):
        return [[(node.value,)]]
    if isinstance(node, tree.Phrase):
        return [[tuple(_phrase_words(node))]]
    if isinstance(node, tree.Proximity):
        return [[(max(_phrase_words(node.term), key=len),)]]
    return None  # NOT and friends constrain nothing


def _clause_checks(words: list[tuple[str, ...]]) -> list[Callable[[str, str], bool]]:
    return [_word_check(w) for w in words]


def _word_regex(word: str) -> str:
    """Regex for one query word over raw text: wildcards, and 287g matching "287(g)"."""
    stem = re.split(r"[*?]", word)[0]
    if re.fullmatch(r"\d+[A-Za-z]", word):
        return rf"\b{word[:-1]}\(?{word[-1]}\)?"
    tail = r"\w*" if stem != word else r"\b"
    return rf"\b{re.escape(stem)}{tail}"


def _word_check(words: tuple[str, ...]) -> Callable[[str, str], bool]:
    """Substring test first (fast C scan), word-boundary regex only to confirm a hit."""
    first = re.split(r"[*?]", words[0])[0]
    if len(words) == 1 and _is_caps(first):
        confirm = re.compile(_word_regex(first))
        return lambda text, folded: first in text and confirm.search(text) is not None
    # A phrase is probed by its longest word ("papers" in "have papers"): a common first
    # word would send every page to the regex.
    longest = max((re.split(r"[*?]", w)[0] for w in words), key=len)
    probe = re.sub(r"\d+[a-z]$", lambda m: m.group()[:-1], longest.casefold())
    confirm = re.compile(r"\W+".join(_word_regex(w.casefold()) for w in words))
    return lambda text, folded: probe in folded and confirm.search(folded) is not None
