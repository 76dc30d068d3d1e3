"""Fallback: a structural reading of a unit the precise act rules (``rules``) missed.

The act rules pair a known verb with an immigration object and are precise, but real
text keeps finding phrasings they lack ("keep out of federal immigration matters", "is
not going to hold a single person on a piece of paper from ICE", "allowing ICE to lease
150 beds"). The fallback asks three general questions instead of matching a phrase.

Evaluation order (the detector calls ``candidate`` only for a unit with no act, and
keeps its statements only when no precise statement of the article reached the
threshold; ``upgrade`` runs on every precise statement):

1. Scope: the words are masked with ``scope.mask`` (non-answers, questions put to the
   agency, requests, proposals, hypotheticals, beliefs, background clauses), so nothing
   in those can count.
2. (a) Voice: the attribution must be a local agency, a body over one, or a named
   official of one, identifiable as in ``score`` (placed agency, named official, or the
   feed's own voice); excluded and federal voices never pass.
3. (b) Enforcement: the masked words name federal immigration enforcement
   (``ENFORCEMENT_RE``: the lexicon's federal agencies, ``lexicon.FEDERAL_AGENCY``: ICE,
   CBP, DHS, HSI, ERO, Border Patrol ...; immigration agents / status /
   enforcement / matters / arrests, detainers, holds, 287(g), deportation, sanctuary as
   a policy, a state "illegal entry" law such as Texas's SB4, round9). "Immigration
   court", "immigration judge", "immigration reform" are not.
4. (c) Frame: a policy, decision or speech frame (``FRAME_RE``: will / won't / would /
   does not / no longer / plans to / agreed / voted / ordered / approved / policy /
   said / told ...). A bare speech frame counts when the reported words are in the present
   tense ("said requests are weighed"), not progressive ("are investigating"); a past
   one ("said he had not seen") is weak, and so is a frame made only of nouns ("policy",
   "agreement") or a background sentence (a past year as ``score`` reads it, "was
   once", "years ago", "back in"). A detainer "from Oklahoma" (another state's) is no
   enforcement word.
5. Stance, in order: a condition marker (``CONDITION_RE``, built on the lexicon's
   condition classes: unless, only if / when /
   after, except, a judge's or judicial warrant, serious / violent crimes, one at a
   time, case by case, individually, "and not otherwise", 48 hours, courtesy call,
   "but ... not"; "convicted" / "charged" only after only / except / unless / limited
   to / solely) -> mixed; a refusal signal scoped to the enforcement clause
   (``REFUSAL_RE``: a negator or a refusal verb of the lexicon, ``NOT_WORD`` and
   ``REFUSAL_VERB``, in the same sentence before the
   enforcement words, "those days are over", "not us") -> refuses; otherwise the
   affirmative frame -> cooperates, but only with a positive cooperation signal
   (``COOPERATION_RE``: join, sign, renew, honor, comply, notify, transfer, hand over,
   allow / give access, work with, partner, assist, hold, house, lease, share,
   continue, train ...); without one the reading takes the weak part "no cooperation
   signal" (round6: neutral or refusing words with no listed refusal word must not
   default to cooperation).
5b. ICE as the doer ("ICE sent a form", ``_ICE_ACTOR_RE``) is no enforcement mention
   for a cooperation, but it is one for a refusal scoped before it in its sentence
   ("will not keep anyone in custody one extra minute because ICE sent a form").
6. Score (``SCORE_CLEAR`` / ``WEAK_PENALTY``): 0.55 when all three parts are clear,
   below every precise statement with a voice (>= 0.6) and above the default threshold
   0.5; each weak part (a vague enforcement word, a bare speech frame with no modal or
   decision word, an action sentence carrying a past year, no cooperation signal for a
   cooperating reading) takes 0.1 off.

``upgrade`` (tie-break for precise statements): a cooperating stance whose acts all lie
inside a prohibition's scope ("forbids employees from using city resources to aid in
... based solely on immigration status") refuses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .attribution import Attribution
from .lexicon import (
    CASE_BY_CASE,
    FEDERAL_AGENCY,
    INDIVIDUAL_REVIEW,
    JUDICIAL_WARRANT,
    NOT_WORD,
    REFUSAL_VERB,
    SERIOUS_CRIME,
    SPEECH_VERB,
)
from .scope import mask
from .score import past_year

SCORE_CLEAR = 0.55
WEAK_PENALTY = 0.10

ENFORCEMENT_RE = re.compile(
    rf"{FEDERAL_AGENCY.pattern}|287\(g\)|\bdeport\w*"
    r"|\bdetainers?\b(?!\s+(?:from|out of|issued by)\s+(?!ICE|Immigration|Homeland|the)"
    r"(?-i:[A-Z]))"
    r"|\bimmigration (?:agents?|officers?|officials|authorities|enforcement|matters|status|"
    r"law|laws|violations?|arrests?|holds?|detainees|detention|paperwork|sweeps?|raids?|"
    r"operations?|requests?|warrants?|cases)\b"
    r"|\bfederal (?:immigration|agents)\b|\bsanctuary (?:city|county|policy|ordinance|status|"
    r"jurisdiction|state)|\b(?:here|in the country) (?:il)?legally\b|\bundocumented\b"
    r"|\billegal (?:entry|re-?entry)\b", re.I)
# Enforcement words that name the topic only loosely: a weak part.
_VAGUE_RE = re.compile(r"\bundocumented\b|\b(?:here|in the country) (?:il)?legally\b"
                       r"|\bfederal agents\b", re.I)
FRAME_RE = re.compile(
    r"\b(?:will|won't|would|wouldn't|shall|does not|doesn't|do not|don't|is not|isn't|are not|"
    r"aren't|no longer|never|plans? to|intends? to|going to|continues? to|agreed|voted|"
    r"ordered|approved|adopted|signed|directed|directs|instructed|announced|policy|"
    r"ordinance|order|resolution|agreement|now|starting|effective|may|can|cannot|must)\b",
    re.I)
_SPEECH_RE = re.compile(rf"{SPEECH_VERB.pattern}|\baccording to\b", re.I)
# A past year is ``score.past_year``'s (measured against the article's year).
_BACKGROUND_RE = re.compile(r"\b(?:was|were) once\b"
                            r"|\bformerly\b|\byears ago\b|\bback in\b|\bat the time\b", re.I)
# A present-tense policy verb; progressives ("are investigating", "is being held") and
# perfects report events, not policy.
_PRESENT_RE = re.compile(r"\b(?:is|are|am|has|have|does|do)\b"
                         r"(?!\s+(?:not\s+)?(?:been|had|being|\w+ing)\b)", re.I)
_NOUN_FRAME_RE = re.compile(r"policy|ordinance|order|resolution|agreement", re.I)
# The enforcement body as the actor of its own verb ("ICE does not call people ..."):
# about what ICE does, not the local agency.
_ICE_ACTOR_RE = re.compile(
    r"\s*(?:officers|agents|officials)?\s*(?:does|do|did|has|have|had|is|was|were|calls?|"
    r"called|says?|said|arrested|detained|sent|sends|asked|asks|requested|wants?)\b"
    r"(?!\s+(?:not\s+)?(?:be\s+)?(?:allowed|permitted|welcome|given|granted|honou?red))", re.I)
CONDITION_RE = re.compile(
    r"\bunless\b|\bonly\s+(?:\w+\s+){0,3}?(?:if|when|after|for|with|those|in)\b"
    r"|\bexcept\b|\b(?:signed|approved|issued|reviewed) by an? (?:federal |state )?judge"
    rf"|\bjudge's signature|{JUDICIAL_WARRANT.pattern}|\bcourt order\b"
    rf"|{SERIOUS_CRIME.pattern}|\bone at a time\b|{CASE_BY_CASE.pattern}"
    r"|\b(?:only|except|unless|limited to|restricted to|solely)\b[^.;]{0,60}?\b(?:convicted|"
    rf"charged)\b|{INDIVIDUAL_REVIEW.pattern}"
    r"|\b48 hours\b|\bcourtesy (?:call|notice|notification)|\bcriminal (?:warrants?|"
    r"investigations?|cases?) \w*\s*(?:but|while)\b", re.I)
_BUT_NOT_RE = re.compile(r"\b(?:will|would|can|may|continues? to|remains?|keeps?)\s+(?!not\b)"
                         r"[^.;]{0,120}?\bbut\b[^.;]{0,60}?(?:"
                         rf"{NOT_WORD.pattern}|{REFUSAL_VERB.pattern}|\bpull\w*)"
                         r"|\b(?:not|n't|never)\b[^.;]{0,80}?\bbut\b[^.;]{0,40}?\b(?:will|"
                         r"do|does|can)\b(?! not)(?!n't)", re.I)
# A positive cooperation signal: without one (and with no refusal or condition) the
# reading is weak, not a default cooperation.
COOPERATION_RE = re.compile(
    r"\b(?:join\w*|sign\w*|renew\w*|honou?r\w*|compl\w+|notif\w+|transfer\w*|hand\w*|"
    r"turn\w* over|allow\w*|let|lets|permit\w*|give\w*|gave|grant\w*|access|work\w* with|"
    r"partner\w*|assist\w*|help\w*|aid\w*|hold\w*|held|keep\w*|kept|house\w*|housing|leas\w+|"
    r"rent\w*|detain\w*|book\w*|share\w*|sharing|send\w*|sent|cooperat\w+|coordinat\w+|"
    r"support\w*|participat\w+|continu\w+|remain\w*|stay\w*|train\w*|process\w*|screen\w*|"
    r"agree\w*|welcome\w*|deputi\w+|serve\w*|tell\w*|call\w*|alert\w*|inform\w*)\b", re.I)
# A refusal signal: the lexicon's negators and refusing verbs (which read "end" as a word:
# "endorse" is none), plus "pull out", "keep / stay out", "those days are over", "not us".
# It also keeps ICE as the doer as enforcement, scoped before it ("will not keep anyone
# in custody because ICE sent a form").
REFUSAL_RE = re.compile(
    rf"{NOT_WORD.pattern}|{REFUSAL_VERB.pattern}"
    r"|\b(?:pull\w*|keep\w* out|stay\w* out|those days are over|not us)\b", re.I)
_SENTENCE_RE = re.compile(r"[^.;!?]*(?:[.;!?]+|$)")
_PROHIBIT_RE = re.compile(r"\b(?:forbid\w*|forbade|bar|bars|barred|barring|prohibit\w*|ban|bans|"
                          r"banned|preclud\w+|block\w*)\s+[^.;]{0,80}?\bfrom\s+\w+ing\b[^.;]*",
                          re.I)


@dataclass(frozen=True)
class Reading:
    """What the fallback found: stance, score, and the words that decided each part."""

    stance: str
    score: float
    cues: tuple[str, ...]


def candidate(words: str, attr: Attribution, voice: str, identifiable: bool,
              year: int | None = None) -> Reading | None:
    """The fallback reading of one statement's words, or None (see module rules 1-6);
    ``year`` is the article's, for what counts as a past year (``score.past_year``)."""
    if attr.role in {"excluded", "federal", "unknown"} or attr.agency is None:
        return None
    if not identifiable or voice == "none":
        return None
    masked = mask(words)
    mentions = [m for m in ENFORCEMENT_RE.finditer(masked)
                if not _ICE_ACTOR_RE.match(masked, m.end())]
    frame = FRAME_RE.search(masked)
    if frame is None and voice == "action":
        return None
    if not mentions:
        actors = list(ENFORCEMENT_RE.finditer(masked))
        refused = next((m for m in actors if _scoped_refusal(masked, m, only=m)), None)
        if refused is None:
            return None
        mentions = [refused]
    found = mentions[0]
    weak = _weak_parts(words, masked, found, frame, year)
    stance, why = _stance(words, masked, found)
    if stance == "cooperates" and not COOPERATION_RE.search(masked):
        weak.append("no cooperation signal")
    score = round(max(0.0, SCORE_CLEAR - WEAK_PENALTY * len(weak)), 3)
    cues = (f'fallback {stance}: "{why}"', f'enforcement: "{found.group()}"',
            f'frame: "{frame.group() if frame else voice}"') + tuple(f"weak: {w}" for w in weak)
    return Reading(stance, score, cues)


def _weak_parts(words: str, masked: str, found: re.Match[str],
                frame: re.Match[str] | None, year: int | None) -> list[str]:
    """Rule 6: the parts that are present but weak."""
    weak = []
    if _VAGUE_RE.fullmatch(found.group()) and len(ENFORCEMENT_RE.findall(masked)) < 2:
        weak.append("vague enforcement")
    frames = [m.group() for m in FRAME_RE.finditer(masked)]
    if not frames and not (_SPEECH_RE.search(masked) and _PRESENT_RE.search(masked)):
        weak.append("past speech frame only")
    elif frames and all(_NOUN_FRAME_RE.fullmatch(f) for f in frames):
        weak.append("noun frame only")
    if _BACKGROUND_RE.search(words) or past_year(words, year):
        weak.append("background")
    return weak


def _stance(words: str, masked: str, found: re.Match[str]) -> tuple[str, str]:
    """Rule 5: condition -> mixed, scoped refusal -> refuses, else cooperates."""
    cond = CONDITION_RE.search(words) or _BUT_NOT_RE.search(words)
    if cond:
        return "mixed", " ".join(cond.group().split())[:60]
    refusal = _scoped_refusal(masked, found)
    if refusal:
        return "refuses", refusal
    return "cooperates", " ".join(found.group().split())


def _scoped_refusal(masked: str, found: re.Match[str],
                    only: re.Match[str] | None = None) -> str | None:
    """A refusal word in the sentence of some enforcement mention (or of ``only``),
    before it or (for a pronoun-led tail like "Not us." / "Those days are over.") in the
    next sentence."""
    for m in [only] if only is not None else ENFORCEMENT_RE.finditer(masked):
        start = masked.rfind(".", 0, m.start()) + 1
        start = max(start, masked.rfind(";", 0, m.start()) + 1)
        hits = list(REFUSAL_RE.finditer(masked, start, m.start()))
        hit = hits[-1] if hits else None
        if hit is not None:
            return " ".join(masked[hit.start():m.end()].split())[:80]
    tail = re.search(r"\b(?:those days are over|not us|not here|not anymore)\b", masked, re.I)
    return tail.group() if tail else None


def upgrade(words: str, stance: str, act_starts: list[int]) -> str:
    """A cooperating stance whose acts all sit inside a prohibition's scope refuses."""
    if stance != "cooperates" or not act_starts:
        return stance
    scopes = [(m.start(), m.end()) for m in _PROHIBIT_RE.finditer(mask(words))]
    if scopes and all(any(lo < a < hi for lo, hi in scopes) for a in act_starts):
        return "refuses"
    return stance
