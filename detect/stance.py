"""Stance: does the statement refuse, cooperate with, or conditionally cooperate with
federal immigration enforcement? Also decides whether the text is on this topic at all.

What counts (evaluation order):

1. ``scope.mask`` blanks non-answers, questions, third-party requests, hypotheticals and
   background clauses first; nothing in them can count.
2. *Acts*: each rule in ``rules.RULES`` pairs a cooperation verb with an immigration object
   ("honor ... detainers", "notify ICE", "ask ... about immigration status", "sign a
   287(g) agreement", "assist federal agents with immigration arrests"), or names an
   inherently negative act ("end its 287(g) agreement", "stop notifying ICE") or a role
   ("a deportation force", "eyes and ears for ICE"). ``cooperate`` with no immigration
   object ("cooperating with the investigation", "with the auditor") is no act.
   Rules whose object is only a pronoun or a vague one ("them", "federal partners",
   "the agreement", bare "status") count only when the surrounding paragraph names
   immigration explicitly (``TOPIC_RE``, the lexicon's ``TOPIC``).
3. Each act has a base polarity (+1 cooperates, -1 refuses) flipped by the negators in
   its scope (``scope.negations``): "will not honor" refuses, "will not hesitate to
   cooperate" cooperates. Overlapping acts of the same polarity count once.
4. *Conditions* ("unless", "only if/for/when", "warrant signed by a judge", "case by
   case", "but ... not") mark conditional cooperation; descriptive ones ("judicial
   warrant", "violent felonies", "criminal warrants") only next to a restriction word
   ("only", "not", "without" ...) or a refusing act.
5. Decision: no act -> no stance (not on topic). Acts of both polarities, or an act
   plus a strong condition, or a cooperating act plus a "but not" contrast -> mixed.
   Otherwise the sign of the acts: cooperates or refuses.

A bad rule is one that misfires: every rule is a plain regex in ``RULES`` with a name,
and the name and the words it matched are returned as cues, so a wrong call can be
traced to the rule and fixed there.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import NOT_WORD
from .rules import (  # noqa: F401  (topic_hits is re-exported)
    _BUT_NOT,
    _STRONG_RE,
    _WEAK_RULES,
    CONDITIONS,
    RESTRICTION,
    RULES,
    WEAK_CONDITIONS,
    Rule,
    restricts,
    topic_hits,
)
from .scope import count_negators, mask, negations


@dataclass(frozen=True)
class Act:
    """One stance-bearing phrase: which rule, where, which way (+1 / -1), how sure."""

    rule: str
    start: int
    end: int
    polarity: int
    words: str
    strong: bool


@dataclass(frozen=True)
class Stance:
    """The stance of one statement with the acts and conditions that decided it."""

    stance: str | None
    acts: tuple[Act, ...]
    conditions: tuple[str, ...]

    @property
    def strong(self) -> bool:
        """True when some act names an immigration object outright."""
        return any(a.strong for a in self.acts)

    def cues(self) -> tuple[str, ...]:
        """Human-readable cues: 'refuses: "will not honor detainers"', 'condition: "unless"'."""
        out = [f'{"cooperates" if a.polarity > 0 else "refuses"}: "{a.words}"' for a in self.acts]
        return tuple(out + [f'condition: "{c}"' for c in self.conditions])


_PASSIVE_EVENT_RE = re.compile(
    r"\b(?:is|was|were|are|been|being|remains?|remained)\s+(?:being\s+|now\s+|still\s+)?"
    r"(?:held|detained|kept|turned|transferred|handed|released|taken|booked|sent|deported|"
    r"reported)\b")


_NAMING_RE = re.compile(r"\b(?:call|calls|called|calling|dubb\w*|label\w*|describ\w*)(?=\s+"
                        r"(?:[\w'()-]+\s+){1,5}?(?:as\s+)?\")", re.I)


def find_acts(text: str, topical: bool) -> list[Act]:
    """Acts in ``text`` (already scoped); weak acts only when ``topical``."""
    masked = _scoped(text)
    lowered = masked.lower()
    return _dedupe([a for rule in RULES for a in _rule_acts(rule, masked, lowered, topical)])


def rule_acts(rule: Rule, text: str, topical: bool) -> list[Act]:
    """The acts one rule finds in ``text``, read as ``find_acts`` reads them (before
    overlapping acts are merged): how a rule's examples are checked."""
    masked = _scoped(text)
    return _rule_acts(rule, masked, masked.lower(), topical)


def _scoped(text: str) -> str:
    """``text`` with what no act may be read in blanked (same length).

    A passive event about one person ("is being held on an ICE detainer", "was turned
    over to ICE") is a fact of a case, not an agency's policy: it is no act.
    """
    masked = mask(text)
    # "called the program \"a waste of time\"": call + a noun phrase + a quote names it,
    # never notifies anyone; the verb is blanked before quote marks are dropped.
    masked = _NAMING_RE.sub(lambda m: " " * len(m.group()), masked)
    masked = masked.replace('"', " ")  # quote marks never change what an act means
    return _PASSIVE_EVENT_RE.sub(lambda m: " " * len(m.group()), masked)


def _rule_acts(rule: Rule, masked: str, lowered: str, topical: bool) -> list[Act]:
    acts = (_act(rule, m, masked) for m in rule.finditer(masked, lowered))
    return [a for a in acts if a.strong or topical]


_NOT_OURS_RE = re.compile(
    r"[^.;!?]{0,40}?\b(?:is|are|was|'s)\s+(?:not|n't|never)\s+(?:\w+\s+)?(?:our|my|"
    r"the department's|"
    r"the sheriff's|this office's|a local|a police|law enforcement's)\s+(?:job|mission|role|"
    r"responsibility|"
    r"business|function|priority)", re.I)


def _act(rule: Rule, m: re.Match[str], text: str) -> Act:
    flips = negations(text, m.start())
    if _NOT_OURS_RE.match(text, m.end()):  # "chasing people for ... is not our mission"
        flips += 1
    if rule.inner:
        inner = m.group("neg") if "neg" in m.re.groupindex else m.group()
        flips += count_negators(re.findall(r"[\w']+", inner or ""))
    strong = rule.name not in _WEAK_RULES and bool(_STRONG_RE.search(m.group()))
    tail = re.match(r"(?:\s+[\w'()-]+){0,2}", text[m.end():m.end() + 40])
    shown = text[max(0, m.start() - _lead(text, m.start())):m.end() + len(tail.group())]
    words = " ".join(shown.split())
    return Act(rule.name, m.start(), m.end(), rule.polarity * (-1) ** flips, words[:90], strong)


# A negation or an auxiliary right before an act, shown with it ("will not honor").
_LEAD_RE = re.compile(rf"(?:(?:{NOT_WORD.pattern}|\b(?:will|would|does|do)\b)\s+"
                      r"(?:\w+\s+){0,2})$")


def _lead(text: str, start: int) -> int:
    """How many characters before the act to show in the cue (its negation, if any)."""
    before = text[max(0, start - 40):start]
    m = _LEAD_RE.search(before)
    return len(m.group()) if m else 0


def _dedupe(acts: list[Act]) -> list[Act]:
    acts.sort(key=lambda a: (a.start, -a.end))
    out: list[Act] = []
    for act in acts:
        if any(o.polarity == act.polarity and act.start < o.end and o.start < act.end for o in out):
            continue
        out.append(act)
    return out


def decide(text: str, topical: bool) -> Stance:
    """The stance of ``text`` (one statement's words, another agency's clause removed)."""
    acts = find_acts(text, topical)
    if not acts:
        return Stance(None, (), ())
    # Conditions are read in the raw words: "only ... if agents bring a judge's warrant"
    # is exactly the clause the hypothetical mask removes for acts.
    conditions = [" ".join(m.group().split()) for m in CONDITIONS.finditer(text)]
    pos = any(a.polarity > 0 for a in acts)
    neg = any(a.polarity < 0 for a in acts)
    if neg or restricts(text):
        conditions += [" ".join(m.group().split()) for m in WEAK_CONDITIONS.finditer(text)]
    but_not = _BUT_NOT.search(text) is not None
    if (pos and neg) or conditions or (pos and but_not):
        stance = "mixed"
        if but_not and not conditions:
            conditions = ["but ... not"]
    else:
        stance = "cooperates" if pos else "refuses"
    return Stance(stance, tuple(acts), tuple(dict.fromkeys(conditions)))
