"""Scope: which words a stance cue may be read in, and whether it is negated.

Rules, in evaluation order (``mask`` applies 1-5, ``negations`` applies 6):

1. Non-answers: from "did not say whether", "it was not clear / unclear whether",
   "declined to comment", "is reviewing",
   "has not decided" ... to the end of the sentence nothing counts.
2. Questions put *to* the agency ("asked whether officers check status,") and
   third-party requests ("urged the board to ...", "ICE invited the county to ...",
   "the bill would require ...") do not count: they are someone else's words.
3. Hypotheticals and beliefs: an ``if`` clause (not "only if", which is a condition),
   and what someone "thinks", "fears", "claims" or "alleges", up to the next comma
   (whole words only: "Allegheny County" alleges nothing). Also (fallback round):
   "demanding that ...", "calls from X to ...", an undecided "whether to ...", a yes/no
   question ("Will the
   police help ICE ...?") and "ICE" as "In Case of Emergency".
4. Background: a relative clause that carries a year (", which ended its agreement in
   2012,"), a past "when the county still ..." clause, or a past-perfect relative
   clause ("a program that had screened inmates ..."): what used to be, not the policy.
   Reasons (round6): "after learning / finding / reports that ..." to the end of the
   sentence is what the agency learned, not what it will do ("walking away from its
   partnership with HSI after learning a sweep it assisted was used to arrest people
   for deportation" refuses).
5. Masked text is replaced by spaces, so character offsets stay valid.
6. Negation scope: a cue is negated by the negators among the (at most 12) words before
   it, back to the nearest clause boundary (sentence punctuation, "but", "while",
   "unless", a speech verb, "and" starting a new clause, or a comma starting the next
   predicate of a series: "does not X, does not ask ..." negates "ask" once, not twice).
   Boundaries are found with the cue in view (", ending ..." ends a clause). Grammatical negators
   (``lexicon.NOT_WORD``: "not", "n't", "never", "no", "no longer") joined only by
   auxiliaries and "and/or" count once ("does not and will not"); lexical negators
   (``lexicon.REFUSAL_VERB``: "stop", "end", "refuse", "bar" ..., and "hesitate",
   "instead", "without" ...) count each, so "will not hesitate to cooperate" is cooperation
   and "has no intention of ending" keeps the agreement. A lexical negator coordinated
   with the next verb ("will not stop or detain anyone") is an action, not a negator.
   An odd count flips the cue. Multi-word withdrawals ("walking away from", "opting out
   of", "pulling out of", "parting ways with", "leaving") count as one lexical negator, so
   a cooperation act inside what is being left ("walking away from a contract to house
   ICE detainees", "opting out of a pilot that would have sent fingerprints to ICE")
   refuses, and "has no plans to leave the 287(g) program" (two negators) keeps it.
7. After the cue: "... is not our job / mission / role" flips it too (``stance``).
"""
from __future__ import annotations

import re

from .lexicon import NOT_WORD, REFUSAL_VERB, SPEECH_VERB

_MASKS = [
    # 1. non-answers
    r"\b(?:did|does|would|will|could) not (?:say|disclose|specify|confirm|answer|comment|"
    r"speculate|discuss)\b[^.;!?]*",
    r"\b(?:didn't|doesn't|wouldn't|won't|couldn't) (?:say|disclose|specify|confirm|comment|"
    r"speculate|discuss)\b[^.;!?]*",
    r"\bdeclin\w+ to (?:say|comment|discuss|specify|answer|elaborate|confirm|address)\b[^.;!?]*",
    r"\b(?:did not|didn't) (?:respond|return|reply)\b[^.;!?]*",
    r"\b(?:is|are|was|were|been|still) (?:reviewing|studying|weighing|considering|"
    r"evaluating)\b[^.;!?]*",
    r"\b(?:has|have|had)(?:n't| not)(?: yet)? (?:decided|determined|made a decision)\b[^.;!?]*",
    r"\b(?:(?:not|n't) (?:clear|known|certain)|unclear|unknown|uncertain) (?:\w+ ){0,2}?"
    r"(?:whether|if|how)\b[^.;!?]*",
    r"\b(?:no|any) decision\b[^.;!?]*|\bget back to (?:you|us|me)\b[^.;!?]*",
    # 2. questions and third-party requests
    r"\b(?:asked|questioned)\s+(?:\w+\s+){0,4}?(?:whether|if|what|how|why|about)\b[^.;:!?,]*",
    r"\b(?:invit\w+|urg\w+|call\w* on|call\w* for|calls? from|press(?:ed|es|ing)|lobb\w+|demand\w*|"
    r"petition\w*|encourag\w+|pressur\w+|asked|asks|asking|implor\w+|plead\w*)\s+"
    r"(?:[\w'.-]+\s+){0,6}?to\b[^.;!?]*",
    r"\b(?:measure|bill|ordinance|proposal|legislation|law|resolution|amendment|plan)\s+"
    r"(?:\w+\s+){0,3}?would\b[^.;!?]*",
    r"\bif elected\b[^.;!?]*",
    r"\b(?:demand\w*|urg\w+|insist\w*|call\w* for|push\w*|petition\w*)\s+that\b[^.;!?]*",
    r"\bwhether\s+(?:or not\s+)?to\b[^.;!?]*",
    r"(?:^|(?<=[.!?\n]\s)|(?<=\n))(?-i:Will|Would|Should|Does|Do|Did|Can|Could|Is|Are|Has|"
    r"Have)\b[^.!?\"]*\?",
    r"\b(?-i:ICE),?\s+(?:or\s+|\()?in case of emergency\b",
    r"\b(?:will|to|would|plans? to|could|may) (?:take up|consider|debate|discuss|vote on|hear|"
    r"study)\b[^.;!?]*",
    r"\bpropos\w+\b[^.;!?]*",
    # 3. hypotheticals and beliefs
    r"(?<!only )(?<!even )(?<!unless )\bif\b[^,.;!?]*",
    r"\b(?:thinks?|thought|fears?|feared|afraid|worried|worry|rumou?rs?|rumou?red|claim(?:s|ed|"
    r"ing)?|"
    r"alleg(?:e|es|ed|edly|ing|ations?)|accus(?:e|es|ed|ing|ations?)|suspect(?:s|ed|"
    r"ing)?)\b[^,.;:!?]*",
    # 4. background
    r",\s*(?:which|who|whose|when|where)\b[^,;]*?\b(?:19|20)\d\d\b[^,;]*",
    r"\bwhen (?:the|it|they|he|she|its|his|her)\b(?:\s+\w+){0,3}?\s+(?:still|was|were|"
    r"had)\b[^,.;]*",
    r"\b(?:that|which|who)\s+had\s+(?!no\b|not\b)[^,.;]*",
    # reasons: what the agency learned or found, not what it will do
    r"\b(?:after|upon|since)\s+(?:learning|finding|discovering|realizing|reports?|revelations?|"
    r"news|it (?:emerged|was revealed|came to light|became clear))\b[^.;!?]*",
]
_MASK_RES = [re.compile(m, re.I) for m in _MASKS]
# Lower-case stems one of which each mask needs, checked before its regex runs.
_MASK_PROBES = [
    ("not",), ("n't",), ("declin",), ("not", "n't"),
    ("review", "study", "weigh", "consider", "evaluat"),
    ("decided", "determined", "decision"), ("clear", "known", "certain"),
    ("decision", "get back"), ("asked", "questioned"),
    ("invit", "urg", "call", "press", "lobb", "demand", "petition", "encourag", "pressur", "ask",
     "implor", "plead"), ("would",), ("elected",),
    ("demand", "urg", "insist", "call", "push", "petition"), ("whether",), ("?",),
    ("emergency",),
    ("take up", "consider", "debate", "discuss", "vote on", "hear", "study"), ("propos",), ("if",),
    ("think", "thought", "fear", "afraid", "worr", "rumo", "claim", "alleg", "accus", "suspect"),
    ("19", "20"), ("when",), ("had",),
    ("learning", "finding", "discover", "realiz", "report", "revelation", "news", "emerged",
     "revealed", "came to light", "became clear"),
]

_BOUNDARY_RE = re.compile(
    rf"[.;:!?]|{SPEECH_VERB.pattern}"
    r"|\b(?:but|however|while|whereas|although|though|unless|except|yet)\b"
    r"|\band\s+(?=(?:we|they|it|he|she|the|our|its|this|that|"
    r"these|those|my|his|her|their|"
    r"officers|deputies|police|troopers|will|would|won't|does|do|did|is|are|has|have|can|"
    r"cannot|shall|must|also)\b)|,\s+(?=\w+ing\b)"
    r"|,\s+(?=(?:does|do|did|will|would|won't|doesn't|don't|didn't|can't|cannot|never|"
    r"no longer)\b)",
    re.I)
_WORD_RE = re.compile(r"[\w']+")
# Negators are the lexicon's: grammatical ones (``NOT_WORD``), and lexical ones: the
# refusing verbs (``REFUSAL_VERB``) plus words that negate only here ("hesitate", "instead").
_GRAMMATICAL = re.compile(rf"(?:{NOT_WORD.pattern})$", re.I)
_LEXICAL = re.compile(
    rf"(?:{REFUSAL_VERB.pattern}|\b(?:hesitat\w*|limit\w*|restrict\w*|ignor\w+|against|oppos\w+|"
    r"instead|rather|without|unwilling|reluctant)\b)$", re.I)
# Multi-word withdrawals ("walking away from", "opting out of") read as one lexical
# negator: "is walking away from a contract to house ICE detainees" refuses.
_WITHDRAW_RE = re.compile(
    r"\b(?:(?:walk|step|mov|turn|back|pull)\w* (?:away|back) from|"
    r"(?:opt|pull|back|get|getting|got|drop|bow)\w* "
    r"out of|part\w* ways with|leav(?:e|es|ing))\b", re.I)
_GLUE = frozenset("""and or will would does do did is are was were has have had can could shall
    should must may might be been being ever also longer""".split())
WINDOW = 12


def mask(text: str) -> str:
    """``text`` with non-answers, requests, hypotheticals and background blanked out."""
    lowered = text.lower()
    for rx, probes in zip(_MASK_RES, _MASK_PROBES, strict=True):
        if any(p in lowered for p in probes):
            text = rx.sub(lambda m: " " * len(m.group()), text)
    return text


def negations(text: str, start: int) -> int:
    """How many times the cue starting at ``start`` is negated (see rule 6)."""
    lo = max(0, start - 160)
    before = text[lo:start]
    cut = 0
    # Boundaries are searched with the cue in view (", ending ..." looks ahead into it).
    for m in _BOUNDARY_RE.finditer(text[lo:start + 30]):
        if m.end() > len(before):
            break
        cut = m.end()
    before = _WITHDRAW_RE.sub("withdrawing", before[cut:])
    return count_negators(_WORD_RE.findall(before)[-WINDOW:])


def count_negators(words: list[str]) -> int:
    """Negators among ``words``: grammatical ones joined by auxiliaries count once; a
    lexical one coordinated with the next verb ("stop or detain") is that verb's peer."""
    count, last_grammatical = 0, None
    for i, word in enumerate(words):
        if i + 1 < len(words) and words[i + 1].lower() in {"or", "and"} and _LEXICAL.match(word):
            continue
        if _GRAMMATICAL.match(word):
            glued = last_grammatical is not None and all(
                w.lower() in _GLUE for w in words[last_grammatical + 1:i])
            count += 0 if glued else 1
            last_grammatical = i
        elif _LEXICAL.match(word):
            count += 1
    return count
