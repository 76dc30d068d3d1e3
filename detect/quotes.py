"""Statement units: direct quotes and the sentences that carry them.

A *unit* is the smallest piece of text that can hold one statement: one sentence, or
several sentences tied together by one quotation. Rules, in order:

1. Paragraphs are lines; sentences are split inside each paragraph (``text.sentences``).
2. Quotation spans are found per paragraph from double quotes. Curly quotes say which
   way they face (“ opens, ” closes); straight quotes alternate. A quote still open at
   the end of a paragraph continues into the next paragraph when that one opens with a
   quote (the newspaper convention for multi-paragraph quotes). Single quotes are not
   treated as quotation marks: they are too often apostrophes.
3. Sentences are grouped into one unit when a quotation runs across their boundary, or
   when a sentence is wholly inside quotes and follows a unit that already quotes
   someone or ends with a colon ("... gave a two-sentence answer: “We will ...”"). A
   quote split by its attribution (“A,” she said. “B.”) therefore stays one unit.
4. A paragraph that is wholly a quotation and follows a paragraph whose last unit is
   quoting (or ends in a colon / open quote) joins that unit.
5. Everything else is a one-sentence unit: reported speech, decisions, narration. The
   later stages decide whether it is a statement at all.

``Unit.outside`` is the unit's text with quoted characters replaced by ``~``: the
attribution stage reads only what the reporter wrote, never words inside the quote.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from .text import Span, paragraphs, sentences

_OPEN, _CLOSE, _BOTH = "\u201c", "\u201d", '"'
_WORD_RE = re.compile(r"[^\W_]")
_MARK_RE = re.compile('[\u201c\u201d"]')


@dataclass(frozen=True)
class Unit:
    """A candidate statement: consecutive sentences of one paragraph (or quote run)."""

    start: int
    end: int
    paragraph: int
    quotes: tuple[Span, ...]
    text: str
    outside: str

    @property
    def quoted(self) -> str:
        """The words inside quotation marks, joined with spaces."""
        return " ".join(self.text[q.start - self.start:q.end - self.start].strip()
                        for q in self.quotes)

    @property
    def has_quote(self) -> bool:
        """True when at least three quoted words are in the unit."""
        return len(self.quoted.split()) >= 3


def quote_spans(original: str, para: Span) -> list[Span]:
    """Inner spans of the quotations in one paragraph (marks excluded)."""
    spans, opened = [], None
    for m in _MARK_RE.finditer(original, para.start, para.end):
        i, ch = m.start(), m.group()
        if ch == _OPEN or (ch == _BOTH and opened is None):
            opened = i if ch == _OPEN or opened is None else opened
        elif (ch == _CLOSE or ch == _BOTH) and opened is not None:
            spans.append(Span(opened + 1, i))
            opened = None
    if opened is not None:
        spans.append(Span(opened + 1, para.end))
    return spans


def units(original: str, norm: str, wanted: set[int] | None = None,
          paras: list[Span] | None = None) -> list[Unit]:
    """Statement units of the article, in text order (see the module rules); only of the
    paragraphs whose index is in ``wanted`` when given (``paras``: the paragraphs of
    ``norm`` when the caller has them already)."""
    out: list[Unit] = []
    chain: _Chain | None = None  # the last unit so far, perhaps still growing (rule 4)
    paras = paragraphs(norm) if paras is None else paras
    for index in sorted(wanted) if wanted is not None else range(len(paras)):
        para = paras[index]
        quotes = _Quotes(quote_spans(original, para))
        groups = _group(norm, sentences(norm, para), quotes)
        made = [_unit(norm, g, index, quotes) for g in groups]
        if chain is not None and made and _continues(chain, made, quotes):
            chain.add(made[0])
            made = made[1:]
        if made:
            if chain is not None:
                out.append(chain.unit())
            out += made[:-1]
            chain = _Chain(made[-1])
    if chain is not None:
        out.append(chain.unit())
    return out


class _Quotes:
    """One paragraph's quotation spans, in text order and never overlapping, so the ones
    touching a range are found by bisection (masking stays linear in the paragraph)."""

    def __init__(self, spans: list[Span]) -> None:
        self.spans = spans
        self._ends = [q.end for q in spans]

    def __bool__(self) -> bool:
        return bool(self.spans)

    def touching(self, start: int, end: int) -> list[Span]:
        """The spans with ``q.start < end`` and ``q.end > start``."""
        out = []
        for i in range(bisect_right(self._ends, start), len(self.spans)):
            q = self.spans[i]
            if q.start >= end:
                break
            out.append(q)
        return out

    def across(self, start: int, end: int) -> bool:
        """Does a quotation start before ``end`` and end after ``start``?"""
        i = bisect_right(self._ends, start)
        return i < len(self.spans) and self.spans[i].start < end


def _group(norm: str, sents: list[Span], quotes: _Quotes) -> list[list[Span]]:
    groups: list[list[Span]] = []
    for sent in sents:
        if groups and _joins(norm, groups[-1], sent, quotes):
            groups[-1].append(sent)
        else:
            groups.append([sent])
    return groups


def _joins(norm: str, group: list[Span], sent: Span, quotes: _Quotes) -> bool:
    """Does ``sent`` belong to the unit made of ``group``?"""
    prev = group[-1]
    if quotes.across(sent.start, prev.end):
        return True  # one quotation runs across the boundary
    if not _wholly_quoted(norm, sent, quotes):
        return False
    quoting = quotes.across(group[0].start, prev.end)
    return quoting or norm[prev.start:prev.end].rstrip().endswith(":")


def _wholly_quoted(norm: str, span: Span, quotes: _Quotes) -> bool:
    return not _WORD_RE.search(_mask(norm, span.start, span.end, quotes))


def _mask(norm: str, start: int, end: int, quotes: _Quotes) -> str:
    """``norm[start:end]`` with the quoted characters replaced by ``~``."""
    parts, at = [], start
    for q in quotes.touching(start, end):
        lo, hi = max(q.start, start, at), min(q.end, end)
        if lo >= hi:
            continue
        parts += (norm[at:lo], "~" * (hi - lo))
        at = hi
    parts.append(norm[at:end])
    return "".join(parts)


def _unit(norm: str, group: list[Span], index: int, quotes: _Quotes) -> Unit:
    start, end = group[0].start, group[-1].end
    inner = tuple(Span(max(q.start, start), min(q.end, end))
                  for q in quotes.touching(start, end))
    return Unit(start, end, index, inner, norm[start:end], _mask(norm, start, end, quotes))


class _Chain:
    """A unit and the all-quotation paragraphs that continue it (rule 4), joined once
    at the end: joining at each paragraph would copy the growing unit every time."""

    def __init__(self, unit: Unit) -> None:
        self.parts = [unit]
        self.words = _quoted_words(unit)
        self.tail = unit.outside.rstrip()  # the joined ``outside``, right-stripped, ends so

    def add(self, unit: Unit) -> None:
        self.parts.append(unit)
        self.words += _quoted_words(unit)
        self.tail = unit.outside.rstrip() or self.tail

    def quoting(self) -> bool:
        """What ``has_quote`` and the closing ``outside`` of the joined unit say."""
        return self.words >= 3 or self.tail.endswith((":", "~"))

    def unit(self) -> Unit:
        """The joined unit; each gap between paragraphs becomes spaces in ``text``."""
        first = self.parts[0]
        if len(self.parts) == 1:
            return first
        text, outside, at = [], [], first.start
        for part in self.parts:
            gap = " " * (part.start - at)
            text += (gap, part.text)
            outside += (gap, part.outside)
            at = part.end
        quotes = tuple(q for part in self.parts for q in part.quotes)
        return Unit(first.start, at, first.paragraph, quotes, "".join(text), "".join(outside))


def _quoted_words(unit: Unit) -> int:
    # ``has_quote`` counts the words of ``quoted``; joining units adds their counts.
    return len(unit.quoted.split())


def _continues(prev: _Chain, made: list[Unit], quotes: _Quotes) -> bool:
    """Rule 4: a paragraph that is all quotation continues the previous quoting unit."""
    first = made[0]
    if len(made) != 1 or _WORD_RE.search(first.outside) or not quotes:
        return False
    return prev.quoting()
