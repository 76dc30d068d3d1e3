"""Novelty: is a quote a re-report of one already seen? Pure string functions.

Rules, in order:

1. ``normalize_quote``: case-fold, unify curly/straight quotes and dashes, drop
   punctuation, collapse whitespace. Outlets differ in exactly these.
2. ``same_quote``: identical after normalising -> same. Quotes under ``MIN_WORDS``
   words are only ever the same when identical (short phrases like "we will comply"
   recur across unrelated stories). Otherwise the same when the token-set ratio or,
   for a quote trimmed by one outlet, the partial ratio of the shorter against the
   longer is at least ``THRESHOLD`` (rapidfuzz, 0-100) and the shorter quote keeps at
   least half the words of the longer one, or ``LONG_EXCERPT`` words (an outlet that
   prints two sentences of a three-sentence quote is still reporting the same one).
3. A fuzzy match never links quotes whose negations differ ("will not take part" vs
   "will take part"): one word apart, opposite statements. Negations are counted in
   the shorter quote and in the part of the longer one it aligns with, so a trimmed
   excerpt is compared with what it was cut from.
"""
from __future__ import annotations

import re

from rapidfuzz import fuzz

from .text import normalize

MIN_WORDS = 6
LONG_EXCERPT = 12
THRESHOLD = 90
_PUNCT_RE = re.compile(r"[^\w\s]")
_NEGATION_RE = re.compile(r"\b(?:not|no|never|nor|cannot|\w+nt)\b")


def normalize_quote(text: str) -> str:
    """Case-folded, punctuation-free, single-spaced form of a quote."""
    plain = normalize(text).casefold().replace("'", "")
    return " ".join(_PUNCT_RE.sub(" ", plain).split())


def same_quote(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are the same quote as reported by different outlets."""
    na, nb = normalize_quote(a), normalize_quote(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    short, long_ = sorted((na, nb), key=len)
    words_short, words_long = len(short.split()), len(long_.split())
    if words_short < MIN_WORDS or (words_short * 2 < words_long and words_short < LONG_EXCERPT):
        return False
    aligned = fuzz.partial_ratio_alignment(short, long_)
    if _negations(short) != _negations(long_[aligned.dest_start:aligned.dest_end]):
        return False
    return max(fuzz.token_set_ratio(short, long_), aligned.score) >= THRESHOLD


def _negations(text: str) -> int:
    return len(_NEGATION_RE.findall(text))
