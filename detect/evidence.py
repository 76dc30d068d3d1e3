"""Evidence: what the rule layer and the lexicon see in one passage, as named features.

The learned decision (``classifier``) weighs these beside its reading of the text; each
feature is a record with the plain words ``explain`` prints ("the speaker is an
official", "no agency could be identified"). Values are numbers in [0, 1].
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import lexicon
from .model import Statement


@dataclass(frozen=True)
class Feature:
    """One piece of evidence: its name and what it means when present."""

    name: str
    means: str


_RULE_FEATURES = (
    Feature("rule_score", "the stance rules scored it as a statement"),
    Feature("rule_none", "no stance rule fired"),
    Feature("rule_refuses", "a stance rule reads a refusal"),
    Feature("rule_cooperates", "a stance rule reads cooperation"),
    Feature("rule_mixed", "a stance rule reads conditional cooperation"),
    Feature("acts_refuse", "refusing acts (won't honor, ends 287(g))"),
    Feature("acts_cooperate", "cooperating acts (honors detainers, assists ICE)"),
    Feature("rule_condition", "a condition rule fired (only with a warrant, serious crimes)"),
    Feature("rule_fallback", "only the structural fallback reading fired"),
    Feature("voice_quote", "the statement is a direct quote"),
    Feature("voice_reported", "the statement is reported speech"),
    Feature("voice_action", "an agency or official is the subject of an action"),
    Feature("voice_agency", "the feed's own agency speaks"),
    Feature("role_official", "the speaker is an official of an agency"),
    Feature("role_agency", "an agency itself speaks"),
    Feature("role_body", "a council or board acts as a body"),
    Feature("role_excluded", "the speaker cannot speak for an agency (advocate, candidate)"),
    Feature("role_federal", "the voice is federal (ICE, DHS)"),
    Feature("speaker_named", "the speaker is named"),
    Feature("agency_named", "an agency is identified"),
    Feature("agency_placed", "the agency's place is known"),
    Feature("no_agency", "no agency could be identified"),
    Feature("query_hit", "the operator's query matches the statement"),
)
_LEXICON_FEATURES = tuple(Feature(f"lex_{c.name}", c.means) for c in lexicon.CLASSES)
FEATURES: tuple[Feature, ...] = _RULE_FEATURES + _LEXICON_FEATURES
NAMES = tuple(f.name for f in FEATURES)
MEANS = {f.name: f.means for f in FEATURES}

_VOICE_RE = re.compile(r"^voice: (\w+) \((\w+)\)$")
_VOICES = {"quote": "voice_quote", "reported": "voice_reported", "action": "voice_action",
           "agency_voice": "voice_agency"}


def gather(text: str, statements: list[Statement]) -> dict[str, float]:
    """The evidence of one passage: its rule statements (strongest first) and its words."""
    found = dict.fromkeys(NAMES, 0.0)
    for word_class in lexicon.CLASSES:
        found[f"lex_{word_class.name}"] = _saturate(word_class.count(text))
    best = statements[0] if statements else None
    if best is None:
        found["rule_none"] = found["no_agency"] = 1.0
        return found
    found["rule_score"] = best.score
    if best.stance:
        found[f"rule_{best.stance}"] = 1.0
    cues = [c for s in statements for c in s.cues]
    found["acts_refuse"] = _saturate(sum(c.startswith("refuses:") for c in cues))
    found["acts_cooperate"] = _saturate(sum(c.startswith("cooperates:") for c in cues))
    found["rule_condition"] = float(any(c.startswith("condition:") for c in best.cues))
    found["rule_fallback"] = float(any(c.startswith("fallback") for c in best.cues))
    found["query_hit"] = float(any(c.startswith("query:") for c in best.cues))
    for cue in best.cues:
        m = _VOICE_RE.match(cue)
        if m:
            for name in (_VOICES.get(m.group(1)), f"role_{m.group(2)}"):
                if name in found:
                    found[name] = 1.0
    # A title alone ("the deputy mayor") is a speaker but names no one.
    found["speaker_named"] = float(any(c.isupper() for c in best.speaker or ""))
    found["agency_named"] = float(best.agency is not None)
    found["agency_placed"] = float(best.agency is not None and best.agency.place is not None)
    found["no_agency"] = float(best.agency is None)
    return found


def vector(found: dict[str, float]) -> list[float]:
    """The features in ``NAMES`` order, for the model."""
    return [found[name] for name in NAMES]


def _saturate(count: int) -> float:
    """0, 1, 2, 3 ... occurrences as 0, 0.5, 0.67, 0.75 ...: more says more, less each time."""
    return count / (1.0 + count)
