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
    paras = paragraphs(norm) if paras is None else paras
    for index in sorted(wanted) if wanted is not None else range(len(paras)):
        para = paras[index]
        spans = quote_spans(original, para)
        groups = _group(norm, sentences(norm, para), spans)
        made = [_unit(norm, g, index, spans) for g in groups]
        if out and made and _continues(out[-1], made, spans, para):
            out[-1] = _merge(norm, out[-1], made[0])
            made = made[1:]
        out += made
    return out


def _group(norm: str, sents: list[Span], spans: list[Span]) -> list[list[Span]]:
    groups: list[list[Span]] = []
    for sent in sents:
        if groups and _joins(norm, groups[-1], sent, spans):
            groups[-1].append(sent)
        else:
            groups.append([sent])
    return groups


def _joins(norm: str, group: list[Span], sent: Span, spans: list[Span]) -> bool:
    """Does ``sent`` belong to the unit made of ``group``?"""
    prev = group[-1]
    if any(q.start < prev.end and q.end > sent.start for q in spans):
        return True  # one quotation runs across the boundary
    if not _wholly_quoted(norm, sent, spans):
        return False
    quoting = any(q.start < prev.end and q.end > group[0].start for q in spans)
    return quoting or norm[prev.start:prev.end].rstrip().endswith(":")


def _wholly_quoted(norm: str, span: Span, spans: list[Span]) -> bool:
    return not _WORD_RE.search(_mask(norm, span.start, span.end, spans))


def _mask(norm: str, start: int, end: int, spans: list[Span]) -> str:
    chars = list(norm[start:end])
    for q in spans:
        for i in range(max(q.start, start), min(q.end, end)):
            chars[i - start] = "~"
    return "".join(chars)


def _unit(norm: str, group: list[Span], index: int, spans: list[Span]) -> Unit:
    start, end = group[0].start, group[-1].end
    inner = tuple(Span(max(q.start, start), min(q.end, end)) for q in spans
                  if q.start < end and q.end > start)
    return Unit(start, end, index, inner, norm[start:end], _mask(norm, start, end, spans))


def _continues(prev: Unit, made: list[Unit], spans: list[Span], para: Span) -> bool:
    """Rule 4: a paragraph that is all quotation continues the previous quoting unit."""
    first = made[0]
    if len(made) != 1 or _WORD_RE.search(first.outside) or not spans:
        return False
    return prev.has_quote or prev.outside.rstrip().endswith((":", "~"))


def _merge(norm: str, a: Unit, b: Unit) -> Unit:
    """Join two units across paragraphs; the gap becomes a space in ``text``."""
    gap = " " * (b.start - a.end)
    return Unit(a.start, b.end, a.paragraph, a.quotes + b.quotes,
                a.text + gap + b.text, a.outside + gap + b.outside)
