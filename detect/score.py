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
* -0.25 for an action sentence that carries a past year (background, not news).
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

from .attribution import Attribution
from .stance import Stance

_PAST_YEAR_RE = re.compile(r"\b(?:19[5-9]\d|200\d|201\d)\b")
_VOICE = {"quote": 0.30, "reported": 0.30, "agency_voice": 0.30, "action": 0.20}


def score(stance: Stance, attribution: Attribution, voice: str, text: str,
          query_hit: bool) -> float:
    """Confidence in [0, 1] that this unit is a relevant statement (see module rules)."""
    if not stance.acts:
        return 0.0
    value = 0.20 + (0.20 if stance.strong else 0.10)
    value += 0.05 if len(stance.acts) > 1 else 0.0
    value += _VOICE.get(voice, 0.0)
    value += 0.05 if attribution.speaker and attribution.role == "official" else 0.0
    value += 0.05 if query_hit else 0.0
    if voice == "action" and _PAST_YEAR_RE.search(text):
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
