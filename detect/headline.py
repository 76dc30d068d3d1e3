"""Headlines: the outlet's words at the top of an article, never a statement of their own.

Extracted article text usually starts with the headline ("Alder Bay police will not
ask about immigration status"), which reads like reported speech but is the outlet
summarising someone else's statement. Rules, in order:

1. With a ``title``: any paragraph whose words equal the title's, or nearly (rapidfuzz
   ratio >= ``NEAR``), is a headline, wherever it stands (extractors repeat it).
2. With a ``title``: the first paragraph is a headline when it is short (at most
   ``MAX_WORDS`` words), has no final sentence punctuation, and matches the title loosely
   (partial ratio >= ``LOOSE``: a shortened or re-worded web headline).
3. Without a ``title``: the first paragraph is a headline when it is short, has no final
   sentence punctuation and another paragraph follows it.

Headline paragraphs still count for relevance (the query reads title and text) and their
agency mentions still resolve a later "the sheriff's office"; they only never yield units.
"""
from __future__ import annotations

import re

from rapidfuzz import fuzz

from .text import Span

NEAR = 90
LOOSE = 80
MAX_WORDS = 20
_FINAL_RE = re.compile(r"""[.!?:]["')\]]*\s*$""")
_WORD_RE = re.compile(r"[^\W_]+")


def _words(text: str) -> str:
    return " ".join(_WORD_RE.findall(text.casefold()))


def _headline_shaped(text: str) -> bool:
    """Short and without final sentence punctuation."""
    return len(text.split()) <= MAX_WORDS and not _FINAL_RE.search(text)


def headline_paragraphs(norm: str, paras: list[Span], title: str = "") -> set[int]:
    """Indexes of the paragraphs of ``norm`` that are headlines (see the module rules)."""
    if not paras:
        return set()
    first = paras[0].of(norm).strip()
    if not title.strip():
        return {0} if len(paras) > 1 and _headline_shaped(first) else set()
    wanted = _words(title)
    found = {i for i, p in enumerate(paras)
             if len(p.of(norm)) < 2 * len(title) + 20
             and fuzz.ratio(_words(p.of(norm)), wanted) >= NEAR}
    if _headline_shaped(first) and fuzz.partial_ratio(_words(first), wanted) >= LOOSE:
        found.add(0)
    return found
