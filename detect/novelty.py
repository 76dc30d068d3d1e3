"""Novelty: is this quote the one already archived, re-reported by another outlet?

Outlets trim quotes, fix punctuation, swap curly for straight quotes and cut a
sentence off either end, so the comparison is on normalised text: the shorter
quote must be nearly contained in the longer (rapidfuzz partial ratio), and
both must share most of their words (token set ratio). Very short quotes
("No comment.") only match exactly, since many agencies say the same few words.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")
MIN_WORDS_FOR_FUZZY = 6
PARTIAL_THRESHOLD = 90.0
TOKEN_SET_THRESHOLD = 85.0


def normalize_quote(text: str) -> str:
    """Casefolded words of `text`, with quotes, dashes and punctuation removed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("\u2019", "'").replace("'", "")
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()


def same_quote(a: str, b: str) -> bool:
    """True when `a` and `b` are the same quote as two outlets might print it."""
    na, nb = normalize_quote(a), normalize_quote(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    if min(len(na.split()), len(nb.split())) < MIN_WORDS_FOR_FUZZY:
        return False
    return (fuzz.partial_ratio(na, nb) >= PARTIAL_THRESHOLD
            and fuzz.token_set_ratio(na, nb) >= TOKEN_SET_THRESHOLD)
