"""The detector: text in, statements out. Pure: no I/O besides package data (and the one
log line of rule 0).

Evaluation order for one article:

0. Text past ``MAX_CHARS`` (and a title past ``MAX_TITLE_CHARS``) is cut off, with a log
   line: bounded work per article, whatever a feed sends.
1. Query prefilter (substring checks derived from the query); off-topic text exits here.
2. The full query over the title, the feed agency's name (``agency_voice``) and the text
   tokens; no match, no statements ("The office will honor ICE detainers" in a sheriff's
   own feed is about a law-enforcement agency even without a police word).
3. Units (``quotes.units``) only of paragraphs that name immigration
   (``stance.topic_hits``) and are not headlines (``headline``: the outlet's words).
   Context paragraphs (the two before a topical one) are attributed too, without making
   statements, so "she said" and a bare surname find a speaker named earlier.
4. Attribution (``attribution.attribute``), then the unit's own words are cut where a
   *second* named agency begins (", while the X Police Department ...", ", a break from
   the X Sheriff's Office, which ..."): that clause is read as a separate statement
   of the other agency, so two agencies with opposite stances in one sentence do not
   read as one mixed statement.
5. Agency voice: with ``agency_voice`` set (the feed is that agency's own), a unit nobody
   else is quoted in speaks for the feed's agency, and a generic kind-only agency ("the
   county jail", "the department", "our officers") of a compatible kind is the feed's
   agency, never an agency called "county jail". An agency still without a place takes
   the feed's ``place``, else the dateline's when it is of the dateline's kind.
6. Stance rules (``stance.decide``) and the rule score (``score.score``), with the
   structural fallback (``fallback``) for runs with no act: these are *evidence* now.
7. Passages: each topical paragraph, with the rule statements read in it (a paragraph no
   rule could read keeps its agency and an unnamed speaker), and each second agency's
   clause on its own.
8. The learned decision (``classifier``): each passage's words and its evidence
   (``evidence.gather``) give a calibrated probability, the ``score``, and the stance.
   Passages at or above the threshold are merged to one statement per agency
   (``merge``); then everything is returned strongest first (ties: earlier first).
"""
from __future__ import annotations

import logging
import re
from bisect import bisect_right
from dataclasses import dataclass, replace

from . import agencies, evidence
from .agencies import Mention
from .attribution import Attribution, History, attribute, placed
from .classifier import Classifier, Judgement, shared
from .fallback import candidate, upgrade
from .headline import headline_paragraphs
from .merge import agency_key, merge_by_agency
from .model import Agency, Statement
from .query import DEFAULT_QUERY, Doc, parse_query
from .quotes import Unit, units
from .score import identifiable, score
from .stance import decide, topic_hits
from .text import Span, normalize, paragraphs

_CUT_RE = re.compile(r"[,;(]|\s-\s|\b(?:while|whereas|unlike|by contrast|even though|although)\b")
log = logging.getLogger(__name__)

_SECONDARY_FACTOR = 0.9
# Text past this many characters is not read (rule 0). Real articles are under 50,000; the
# rule layer is linear, but a hostile feed's megabyte summary would still hold a worker for
# seconds, and the reader judges every topical paragraph of what is kept.
MAX_CHARS = 200_000
# A title is one line (the crawler keeps 500 characters); headline matching compares it
# with short paragraphs, so an endless one is cut too.
MAX_TITLE_CHARS = 2_000
# The default probability a statement needs. Grouped-CV F1 is flat from 0.3 to 0.45
# (0.822-0.826); 0.35 finds 2.5 points more statements than 0.4 and keeps our own written
# sets at F1 0.96 or better, which 0.3 does not (README, make eval).
DEFAULT_THRESHOLD = 0.35
_RULE_CUES = ("refuses:", "cooperates:", "condition:")
# A title followed by a capitalised name: a context paragraph worth attributing (rule 3).
_TITLED_NAME_RE = re.compile(r"\b(?:Sheriff|Undersheriff|Chief|Commissioner|Mayor|Superintendent|"
                             r"Director"
                             r"|Warden|Capt\.|Lt\.|Sgt\.|Maj\.|Col\.|Cmdr\.|Captain|Lieutenant|"
                             r"Sergeant"
                             r"|Spokes(?:man|woman|person)|Marshal|Administrator) [A-Z]")
# Generic kinds that, in an agency's own feed, mean that agency (rule 5).
_COMPATIBLE = {
    "police": {None, "police"}, "sheriff": {None, "sheriff", "jail", "police"},
    "jail": {None, "jail", "sheriff", "police"}, "state": {None, "state", "police"},
    "city": {None, "city", "police"}, "county": {None, "county", "sheriff", "jail"},
    None: {None, "police", "sheriff", "jail", "state", "city", "county"},
}


@dataclass(frozen=True)
class Passage:
    """A topical paragraph with the rule layer's statements in it (strongest first)."""

    paragraph: int
    text: str
    statements: list[Statement]


class Detector:
    """Compiled query + threshold + the learned decision (see module rules)."""

    def __init__(self, query: str = DEFAULT_QUERY, threshold: float = DEFAULT_THRESHOLD,
                 classifier: Classifier | None = None) -> None:
        self.query = parse_query(query)
        self.threshold = threshold
        # No gazetteer here (it loads on the first place looked up, or at a detection worker's
        # start): the daemon's main process holds a Detector only to send its query and
        # threshold to the workers, and loading it there cost ~15 MiB kept and ~75 MiB of peak.
        self._classifier = classifier

    @property
    def classifier(self) -> Classifier:
        """The learned decision, loaded on first use (once per process)."""
        if self._classifier is None:
            self._classifier = shared()
        return self._classifier

    def find_statements(self, text: str, **context) -> list[Statement]:
        """Relevant statements (score >= threshold) in ``text``, strongest first; the
        keywords are those of ``passages``."""
        return [s for s in self.candidates(text, **context) if s.score >= self.threshold]

    def candidates(self, text: str, **context) -> list[Statement]:
        """Every judged statement, relevant or not, strongest first (rule 8)."""
        passages = self.passages(text, **context)
        judged = self.judge(passages)
        found = merge_by_agency([s for s in judged if s.score >= self.threshold]) + \
            [s for s in judged if s.score < self.threshold]
        order = {id(s): i for i, s in enumerate(found)}
        return sorted(found, key=lambda s: (-s.score, order[id(s)]))

    def judge(self, passages: list[Passage]) -> list[Statement]:
        """One statement per passage, scored and given a stance by the classifier."""
        return [_decided(p, v) for p, v in zip(passages, self.verdicts(passages), strict=True)]

    def verdicts(self, passages: list[Passage]) -> list[Judgement]:
        """The classifier's verdict on each passage's words and evidence."""
        found = [evidence.gather(p.text, p.statements) for p in passages]
        return self.classifier.judge([p.text for p in passages], found)

    def passages(self, text: str, *, title: str = "", agency_voice: str | None = None,
                 place: str | None = None, year: int | None = None) -> list[Passage]:
        """The rule layer (rules 1-7): topical paragraphs and the statements read in them.
        ``place`` ("Linn County, IA") is the place the feed covers; ``year`` the article's
        (what counts as a past year; this year when None)."""
        text, title = _capped(text, title)
        context = "\n".join(x for x in (title, agency_voice) if x)
        if not self.query.prefilter(f"{context}\n{text}" if context else text):
            return []
        norm = normalize(text)
        paras = paragraphs(norm)
        topical = _topical_paragraphs(norm, paras)
        if not topical or self.query.matcher(Doc(f"{normalize(context)}\n{norm}")) is None:
            return []
        headlines = headline_paragraphs(norm, paras, normalize(title))
        article = _Article(self, text, norm, paras, topical, agency_voice, year)
        found, seconds = article.statements(headlines)
        found_in, seconds_in = _by_paragraph(found), _by_paragraph(seconds)
        out = []
        for i in sorted(set(topical) - headlines):
            mine = sorted((article.placed(s, place) for s in found_in.get(i, ())),
                          key=lambda s: -s.score)
            out.extend(_by_agency(i, paras[i].of(norm), mine or [article.unattributed(i)]))
            # A second agency's clause is judged on its own words (rule 4).
            out.extend(Passage(i, s.quote, [s]) for s in seconds_in.get(i, ()))
        return out


def _capped(text: str, title: str) -> tuple[str, str]:
    """``text`` and ``title`` cut to MAX_CHARS and MAX_TITLE_CHARS (rule 0), with one log
    line when anything is cut."""
    if len(text) <= MAX_CHARS and len(title) <= MAX_TITLE_CHARS:
        return text, title
    log.warning("text cut before detection chars=%d kept=%d title_chars=%d kept=%d",
                len(text), min(len(text), MAX_CHARS), len(title),
                min(len(title), MAX_TITLE_CHARS))
    return text[:MAX_CHARS], title[:MAX_TITLE_CHARS]


def _by_paragraph(found: list[tuple[int, Statement]]) -> dict[int, list[Statement]]:
    """The statements of each paragraph, in the order found."""
    grouped: dict[int, list[Statement]] = {}
    for i, statement in found:
        grouped.setdefault(i, []).append(statement)
    return grouped


def _by_agency(paragraph: int, text: str, statements: list[Statement]) -> list[Passage]:
    """One passage for the paragraph; when its sentences speak for several agencies, one
    per agency, of that agency's own words (its statements keep their strongest first)."""
    groups: dict[object, list[Statement]] = {}
    for statement in statements:
        key = agency_key(statement.agency) if statement.agency is not None else None
        groups.setdefault(key, []).append(statement)
    placed = [k for k in groups if k is not None]
    if len(placed) < 2:
        return [Passage(paragraph, text, statements)]
    groups[placed[0]].extend(groups.pop(None, []))  # the unattributed go with the first
    return [Passage(paragraph, " ".join(dict.fromkeys(s.quote for s in group)), group)
            for group in groups.values()]


@dataclass
class _Run:
    """Consecutive units of one paragraph spoken by one voice: one statement."""

    units: list[Unit]
    attribution: Attribution
    words: list[str]

    def add(self, unit: Unit, attr: Attribution, words: str) -> None:
        """Append a unit; a placed agency found later replaces a vague one."""
        self.units.append(unit)
        self.words.append(words)
        mine = self.attribution.agency
        if attr.agency is not None and attr.agency.place and (mine is None or not mine.place):
            self.attribution = replace(self.attribution, agency=attr.agency)


class _Article:
    """One article's working state: normalised text, mentions, speaker history."""

    def __init__(self, detector: Detector, text: str, norm: str, paras: list[Span],
                 topical: dict[int, Span], agency_voice: str | None, year: int | None) -> None:
        self.year = year
        self.query = detector.query
        self.norm = norm
        self.original = text
        self.topical = topical
        self.paras = paras
        spans = _context_spans(paras, topical)
        self.mentions = agencies.find_mentions(norm, agencies.state_hint(norm), spans)
        self.voice_agency = _voice_agency(agency_voice) if agency_voice else None
        self.history = History()
        self.fallback: list[tuple[int, Statement]] = []
        # Each topical paragraph's first named local voice (else its first body or agency
        # acting), for the paragraph no rule reads.
        self.voices: dict[int, Attribution] = {}
        self._named: dict[str | None, dict[object, Agency]] = {}

    def statements(self, headlines: set[int]) -> tuple[list[tuple[int, Statement]],
                                                       list[tuple[int, Statement]]]:
        """(paragraph, statement) of every run of units (rules 3-6) and the fallback
        readings of the runs with no act (rule 7); then those of second-agency clauses."""
        runs: list[_Run] = []
        seconds: list[tuple[int, Statement | None]] = []
        self._remember_speakers(headlines)
        for unit in units(self.original, self.norm, set(self.topical) - headlines, self.paras):
            said = attribute(unit.outside, unit.start, unit.has_quote, self.mentions,
                             self.history, unit.paragraph)
            if _local_voice(said):
                self._remember_voice(unit.paragraph, said)
            attr = self._fill_agency(unit, said)
            main, cut, other = self._split(unit, attr)
            if runs and _continues(runs[-1], unit, attr):
                runs[-1].add(unit, attr, main)
            else:
                runs.append(_Run([unit], attr, [main]))
            if other is not None:
                second = Attribution(None, None, other, "agency", "reported")
                seconds.append((unit.paragraph, self._statement(
                    [unit], unit.text[cut:], second, _SECONDARY_FACTOR)))
        found = [(r.units[0].paragraph, self._statement(r.units, " ".join(r.words),
                                                        self._paragraph_voice(r))) for r in runs]
        return [(i, s) for i, s in found if s is not None] + self.fallback, \
            [(i, s) for i, s in seconds if s is not None]

    def _paragraph_voice(self, run: _Run) -> Attribution:
        """A run that names no one, before "..., McDonald said." in its paragraph, is that
        speaker's: a reporter attributes a paragraph once, and says so (a speech verb, not
        an act). Its voice stays "none", so only the speaker and agency change."""
        attr = run.attribution
        voice = self.voices.get(run.units[0].paragraph)
        if attr.speaker or attr.agency is not None or attr.voice != "none" or \
                voice is None or not voice.speaker or voice.voice not in {"reported", "quote"}:
            return attr
        return replace(attr, speaker=voice.speaker, title=voice.title, agency=voice.agency,
                       role=voice.role)

    def _remember_voice(self, paragraph: int, said: Attribution) -> None:
        """Keep the paragraph's first named voice, else its first body or agency acting."""
        known = self.voices.get(paragraph)
        if known is None or (said.speaker and not known.speaker):
            self.voices[paragraph] = said

    def unattributed(self, paragraph: int) -> Statement:
        """A topical paragraph no rule could read: its words, its first named local voice
        (speaker and agency; else a body acting: "the town board approved") if any, else the
        agency it names (else the last one before it, else the feed's); the classifier
        judges it."""
        span = self.paras[paragraph]
        inside = self._local(span.start, span.end)
        before = self.mentions.last_local(self._count_by(span.start))
        agency = (inside[0].agency if inside else None) or \
            (before.agency if before else None) or self.voice_agency
        voice = self.voices.get(paragraph)
        speaker, title = (voice.speaker, voice.title) if voice else (None, None)
        agency = (voice.agency if voice else None) or agency
        kind = "agency_voice" if self.voice_agency is not None and agency == self.voice_agency \
            else "reported"
        return Statement(" ".join(span.of(self.norm).split()), speaker, title, agency, None,
                         0.0, (), kind)

    def placed(self, statement: Statement, place: str | None) -> Statement:
        """An unplaced kind-only agency ("the jail", "the office") is the one placed agency
        of a compatible kind the article names, else the feed's place's, else the
        dateline's (rule 5)."""
        agency = statement.agency
        if agency is not None and agency.place is None:
            named = self._named_of_kinds(agency.kind)
            if len(named) == 1:
                (found,) = named.values()
                return replace(statement, agency=replace(found, as_written=agency.as_written))
        return _placed_by_feed(statement, place) if place else \
            _placed_by_dateline(statement, self.norm)

    def _named_of_kinds(self, kind: str | None) -> dict[object, Agency]:
        """The placed local agencies of the article of a kind compatible with ``kind``."""
        if kind not in self._named:
            kinds = _COMPATIBLE.get(kind, {kind})
            self._named[kind] = {agency_key(m.agency): m.agency
                                 for m in self._local(0, len(self.norm))
                                 if m.agency.place is not None and m.agency.kind in kinds}
        return self._named[kind]

    def _remember_speakers(self, headlines: set[int]) -> None:
        """Attribute the context paragraphs before topical ones, for the speaker history."""
        wanted = {j for i in self.topical for j in (i - 2, i - 1)
                  if j >= 0 and j not in self.topical and j not in headlines
                  and _TITLED_NAME_RE.search(self.norm, self.paras[j].start, self.paras[j].end)}
        for unit in units(self.original, self.norm, wanted, self.paras):
            attribute(unit.outside, unit.start, unit.has_quote, self.mentions, self.history,
                      unit.paragraph)

    def _fill_agency(self, unit: Unit, attr: Attribution) -> Attribution:
        """A voice without an agency takes the first local agency named in the unit, else
        (for an official) the last one before it, else a generic one in the unit ("the
        state highway patrol"), else the feed's own agency."""
        if attr.role in {"excluded", "federal"}:
            return attr
        if attr.agency is not None:
            return self._own(attr)
        inside = self._local(unit.start, unit.end)
        before = self._titled(self._count_by(unit.start), attr) \
            if attr.role == "official" else None
        agency = (inside[0].agency if inside else None) or \
            (before.agency if before else None) or \
            self._own_generic(agencies.generic_agency(unit.outside)) or \
            agencies.from_title(f"{attr.phrase} {attr.title or ''}", unit.outside)
        agency = placed(agency, unit.outside)
        role = attr.role if attr.role != "unknown" or agency is None else "agency"
        return replace(attr, agency=agency, role=role)

    def _titled(self, count: int, attr: Attribution) -> Mention | None:
        """The last local mention among the first ``count`` that an official's title can
        refer to: one of the title's kind ("the county sheriff" is not the police
        department named before)."""
        kind = agencies.title_kind(f"{attr.phrase} {attr.title or ''}")
        if kind in {None, "police"}:
            return self.mentions.last_local(count)
        kinds = {"city": {"city", "police"}, "sheriff": {"sheriff", "jail"},
                 "jail": {"jail", "sheriff"}}.get(kind, {kind})
        return self.mentions.last_local(count, [("kind", k) for k in kinds])

    def _own(self, attr: Attribution) -> Attribution:
        """Rule 5: in agency-voice text a generic agency of a compatible kind is the feed's."""
        own = self._own_generic(attr.agency)
        return attr if own is attr.agency else replace(attr, agency=own)

    def _own_generic(self, agency: Agency | None) -> Agency | None:
        voice = self.voice_agency
        if voice is None or (agency is not None and agency.place is not None):
            return agency
        if agency is None or agency.kind in _COMPATIBLE.get(voice.kind, {agency.kind}):
            return voice
        return agency

    def _local(self, start: int, end: int) -> list[Mention]:
        return [m for m in self.mentions.within(start, end) if not m.federal and not m.org]

    def _count_by(self, end: int) -> int:
        """How many mentions end by ``end`` (the first ones: they never overlap)."""
        return len(self.mentions.ending_by(end))

    def _split(self, unit: Unit, attr: Attribution) -> tuple[str, int, Agency | None]:
        """Cut the unit where a second named local agency's clause begins."""
        main = agency_key(attr.agency) if attr.agency else None
        for m in self._local(unit.start, unit.end):
            if main is None:
                main = agency_key(m.agency)
            if agency_key(m.agency) == main:
                continue
            rel = m.start - unit.start
            cuts = [c.start() for c in _CUT_RE.finditer(unit.text, 0, rel) if rel - c.start() < 60]
            if cuts and cuts[-1] > 0:
                return unit.text[:cuts[-1]], cuts[-1], m.agency
        return unit.text, len(unit.text), None

    def _statement(self, run: list[Unit], words: str, attr: Attribution,
                   factor: float = 1.0) -> Statement | None:
        stance = decide(words, True)  # every unit here sits in a paragraph naming immigration
        voice, kind = self._voice(attr, any(u.has_quote for u in run))
        quote = " ".join(u.quoted for u in run if u.has_quote) if kind == "quote" \
            else " ".join(words.split())
        voiced = (f"voice: {voice} ({attr.role})",)
        if stance.stance is None:
            self._fallback(run[0].paragraph, words, attr, voice, quote, kind, factor)
            return None
        cue = self.query.cue(words)
        value = round(score(stance, attr, voice, words, cue is not None, self.year) * factor, 3)
        cues = stance.cues() + ((cue,) if cue else ()) + voiced
        decided = upgrade(words, stance.stance, [a.start for a in stance.acts])
        if decided != stance.stance:
            cues += (f"fallback upgrade: {stance.stance} -> {decided} (prohibition scope)",)
        return Statement(quote, attr.speaker, attr.title, attr.agency, decided, value,
                         cues, kind)

    def _fallback(self, paragraph: int, words: str, attr: Attribution, voice: str, quote: str,
                  kind: str, factor: float) -> None:
        """Rule 7: the structural reading (``fallback``) of a run with no act."""
        reading = candidate(words, attr, voice, identifiable(attr, voice), self.year)
        if reading is not None:
            self.fallback.append((paragraph, Statement(
                quote, attr.speaker, attr.title, attr.agency, reading.stance,
                round(reading.score * factor, 3), reading.cues + (f"voice: {voice} ({attr.role})",),
                kind)))

    def _voice(self, attr: Attribution, quoted: bool) -> tuple[str, str]:
        own = self.voice_agency is not None and (
            attr.voice == "none" or (attr.agency == self.voice_agency and not attr.speaker))
        if own:
            return "agency_voice", "agency_voice"
        if attr.voice == "quote" or (quoted and attr.voice == "reported"):
            return attr.voice, "quote"
        return attr.voice, "reported"



def _local_voice(said: Attribution) -> bool:
    """A named speaker who is no excluded or federal voice, or a local agency or body that
    acts or speaks ("Commissioners voted 4-1 to ...", "the town board approved ...")."""
    if said.role in {"excluded", "federal"}:
        return False
    return bool(said.speaker) or (said.agency is not None and said.role in {"agency", "body"})


def _continues(run: _Run, unit: Unit, attr: Attribution) -> bool:
    """Does ``unit`` go on with the statement of ``run`` (same paragraph, same voice)?"""
    if unit.paragraph != run.units[-1].paragraph:
        return False
    if attr.speaker:
        return attr.speaker == run.attribution.speaker
    if attr.voice == "none":  # goes on, unless it names another placed agency
        mine, theirs = run.attribution.agency, attr.agency
        return mine is None or theirs is None or theirs.place is None or \
            agency_key(mine) == agency_key(theirs)
    return attr.voice == "action" and attr.agency is not None and (
        attr.agency == run.attribution.agency or attr.agency.place is None)


def _topical_paragraphs(norm: str, paras: list[Span]) -> dict[int, Span]:
    """Paragraphs (index -> span) that name immigration, found with one regex scan."""
    hits = topic_hits(norm)
    if not hits:
        return {}
    starts = [p.start for p in paras]
    return {i: paras[i] for i in sorted({bisect_right(starts, h) - 1 for h in hits}) if i >= 0}


def _context_spans(paras: list[Span], topical: dict[int, Span]) -> list[tuple[int, int]]:
    """Where agency mentions matter: topical paragraphs and the two before each."""
    wanted = sorted({j for i in topical for j in range(max(0, i - 2), i + 1)})
    return [(paras[j].start, paras[j].end) for j in wanted]


def _voice_agency(name: str) -> Agency:
    found = [m for m in agencies.find_mentions(name) if not m.federal and not m.org]
    if found:
        return replace(found[0].agency, as_written=name)
    return Agency(name, agencies.generic_kind(name), None, None, name)


# How a kind-only agency is named once a feed's place is known ("Linn County" + sheriff).
_HEADS = {"police": "Police", "sheriff": "Sheriff's Office", "jail": "County Jail",
          "county": "County", "city": "City Council", "state": "State Police"}


def _placed_by_feed(statement: Statement, place: str | None) -> Statement:
    """A statement whose agency has no place takes the feed's ("the sheriff's office" in a
    Linn County paper is Linn County's); a placed or federal agency keeps its own."""
    agency = statement.agency
    if not place or (agency is not None and agency.place is not None):
        return statement
    kind = agency.kind if agency is not None else \
        agencies.title_kind(statement.speaker_title or "")
    if kind not in _HEADS:
        return statement
    where, _, state = place.partition(",")
    where = where.strip()
    head = "Jail" if kind == "jail" and where.endswith("County") else _HEADS[kind]
    found = agencies.canonical(f"{where} {head}", kind, where, state.strip().upper() or None)
    written = agency.as_written if agency is not None else found.as_written
    return replace(statement, agency=replace(found, as_written=written))


# "SALT LAKE CITY — ", "HARRIS COUNTY, Texas (KXYZ) -- ": where a wire story was filed.
_DATELINE_RE = re.compile(r"\s*(?P<place>[A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+){0,3})"
                          r"(?:,\s*(?P<state>[A-Z][\w.]*(?: [A-Z][\w.]*)?))?"
                          r"(?:\s*\([^)]{1,30}\))?\s*(?:\u2014|\u2013|--?)\s+")
_DATELINE_KINDS = {True: {"sheriff", "jail", "county"}, False: {"police", "city"}}


def _placed_by_dateline(statement: Statement, norm: str) -> Statement:
    """A dateline places an unplaced agency of its kind: a city's police or government, a
    county's sheriff, jail or board ("SALT LAKE CITY — ... the police department said")."""
    m = _DATELINE_RE.match(norm[:80])
    agency = statement.agency
    if m is None or agency is None or agency.place is not None:
        return statement
    where = m.group("place").title()
    if agency.kind not in _DATELINE_KINDS[where.endswith(("County", "Parish"))]:
        return statement
    state = m.group("state") or ""
    return _placed_by_feed(statement, f"{where}, {state}" if len(state) == 2 else where)


def _decided(passage: Passage, verdict: Judgement) -> Statement:
    """The passage's leading rule statement, scored and given a stance by the classifier;
    its cues are the plain reasons, then the stance rules' own (acts and conditions)."""
    lead = passage.statements[0]
    rule_cues = tuple(c for c in lead.cues if c.startswith(_RULE_CUES))
    return replace(lead, stance=verdict.stance, score=verdict.probability,
                   cues=reasons(verdict) + rule_cues)


def reasons(verdict: Judgement, count: int = 3, sign: int = 1) -> tuple[str, ...]:
    """The plain words of the evidence that weighed most for the verdict (``sign`` -1:
    against it); the reader's own outputs are not evidence."""
    named = [evidence.MEANS[name] for name, weight in verdict.weights
             if not name.startswith("reader_") and weight * sign >= 0.05]
    return tuple(named[:count])
