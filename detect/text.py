"""Text plumbing shared by the detection stages: normalising, paragraphs, sentences, tokens.

Everything here keeps character offsets stable: ``normalize`` maps each character to
exactly one character, so spans found in the normalised text index the original text
too (the quote finder needs the original curly quotes to tell opening from closing).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# One-to-one character map: curly quotes, primes and dashes to their plain forms.
_CHAR_MAP = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2212": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "\u2026": ".",
})

_PARAGRAPH_RE = re.compile(r"[^\n]+")
# A sentence ends at . ! ? (plus closing quotes/brackets) followed by space and an
# opening quote, capital or digit.
_BREAK_RE = re.compile(r"""[.!?]+["')\]]*\s+(?=["'(\[]?[A-Z0-9])""")
_ABBREVIATIONS = frozenset("""
    capt lt sgt gov rep reps sen sens st mr mrs ms dr jan feb mar apr aug sep sept oct
    nov dec no inc jr sr co corp dept maj gen col det ofc cpl insp cmdr supt lt.gov
    u.s a.m p.m i.e e.g vs mt ft atty asst dep sheriff's
""".split())
_TOKEN_RE = re.compile(r"\d+\(\w\)|\w+")


_SPECIAL_RE = re.compile("[" + "".join(chr(c) for c in _CHAR_MAP) + "]")


def normalize(text: str) -> str:
    """Return ``text`` with curly quotes, dashes and odd spaces made plain (same length)."""
    # str.translate looks every character up in a dict; replacing only the characters
    # that occur is several times faster on long articles.
    for ch in set(_SPECIAL_RE.findall(text)):
        text = text.replace(ch, _CHAR_MAP[ord(ch)])
    return text


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` of the article text."""

    start: int
    end: int

    def of(self, text: str) -> str:
        """The slice of ``text`` this span covers."""
        return text[self.start:self.end]


def paragraphs(text: str) -> list[Span]:
    """Non-empty lines of ``text``; extracted articles keep one paragraph per line."""
    return [Span(m.start(), m.end()) for m in _PARAGRAPH_RE.finditer(text) if m.group().strip()]


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at ``dot`` closes an abbreviation or an initial."""
    start = dot
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] in ".'"):
        start -= 1
    word = text[start:dot].lower()
    return len(word) == 1 or word in _ABBREVIATIONS


def sentences(text: str, span: Span) -> list[Span]:
    """Split the paragraph ``span`` of ``text`` into sentence spans."""
    out, start = [], span.start
    for m in _BREAK_RE.finditer(text, span.start, span.end):
        if text[m.start()] == "." and m.end() - m.start() and _is_abbreviation(text, m.start()):
            continue
        cut = m.start() + len(m.group().rstrip())
        out.append(Span(start, cut))
        start = m.end()
    if start < span.end:
        out.append(Span(start, span.end))
    return out


def tokens(text: str) -> list[str]:
    """Word tokens as written ("287(g)" becomes "287g"); callers decide on case."""
    return [t.replace("(", "").replace(")", "") for t in _TOKEN_RE.findall(text)]
