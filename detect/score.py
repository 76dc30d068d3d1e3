"""Score: how sure we are that a unit is a relevant statement, in [0, 1].

Additive evidence, then caps, in this order:

* 0.20 for any act (``stance.Act``) at all; no act means score 0 (not on topic).
* +0.20 when an act names immigration outright (ICE, 287(g), detainer, immigration
  status), +0.10 when it only names it through a pronoun or vague object.
* +0.05 when there are two or more acts (a fuller policy statement).
* Voice: +0.30 for a direct quote or reported speech with a speaker, or the feed
  agency's own voice; +0.20 for an action sentence whose subject is the agency
  ("The county commission voted to ...").
* +0.05 for a named speaker; +0.05 when the operator's query matches the unit itself.
* -0.25 for an action sentence that carries a past year (background, not news): a year
  at least ``PAST_YEARS`` (2) before the article's year (``year``; the current year when
  the article's date is unknown), and not before 1950 ("the 1900 block" is no year).
* Caps: an excluded or federal voice (candidate, advocate, union, ICE official,
  single council member ...) caps the score at 0.20; no local agency caps it at 0.40,
  and so does an agency nobody can identify: outside the feed agency's own voice, a
  statement needs a placed agency ("Tucson Police Department", "LAPD") or a named
  official of one ("Sheriff Ana Ruiz"). "Police chiefs in a number of cities" or "the
  department" with nothing to resolve it to is background about unnamed agencies.

The default threshold 0.5 therefore needs an act plus a voice and an agency.
"""
from __future__ import annotations

import re
from datetime import date

from .attribution import Attribution
from .stance import Stance

_YEAR_RE = re.compile(r"\b(?:19[5-9]\d|20\d\d)\b")
PAST_YEARS = 2
_VOICE = {"quote": 0.30, "reported": 0.30, "agency_voice": 0.30, "action": 0.20}


def past_year(text: str, year: int | None = None) -> bool:
    """True when ``text`` names a year at least ``PAST_YEARS`` before ``year`` (the
    article's; this year by default): last year may still be the news."""
    now = date.today().year if year is None else year
    return any(int(m.group()) <= now - PAST_YEARS for m in _YEAR_RE.finditer(text))


def score(stance: Stance, attribution: Attribution, voice: str, text: str,
          query_hit: bool, year: int | None = None) -> float:
    """Confidence in [0, 1] that this unit is a relevant statement (see module rules);
    ``year`` is the article's, for what counts as a past year."""
    if not stance.acts:
        return 0.0
    value = 0.20 + (0.20 if stance.strong else 0.10)
    value += 0.05 if len(stance.acts) > 1 else 0.0
    value += _VOICE.get(voice, 0.0)
    value += 0.05 if attribution.speaker and attribution.role == "official" else 0.0
    value += 0.05 if query_hit else 0.0
    if voice == "action" and past_year(text, year):
        value -= 0.25
    if attribution.role in {"excluded", "federal"}:
        value = min(value, 0.20)
    elif not identifiable(attribution, voice):
        value = min(value, 0.40)
    return round(max(0.0, min(1.0, value)), 3)


def identifiable(attribution: Attribution, voice: str) -> bool:
    """A placed agency, a named official of one, or the feed agency's own voice."""
    if attribution.agency is None:
        return False
    return voice == "agency_voice" or attribution.agency.place is not None or bool(
        attribution.speaker and attribution.role == "official")
