"""Attribution: who made a statement, with what title, for which agency.

Rules, in evaluation order, over ``Unit.outside`` (the reporter's words only):

1. Speech cues: a speech verb ("said", "told", "announced", "wrote", "reads", "had to
   say", "decided", "ordered", "reiterated", "assured", ...), "according to ..." (also
   "According to"), or "a statement/release/memo from ..." (also "released / issued /
   posted ... by"). The first cue that yields a speaker wins; a cue whose phrase names
   nobody (no name, no agency: "the county prison's policy and noted") yields none. A
   quotation with no words of the reporter around it goes on with the last speaker (the
   quote continues, rule 4d).
   Rule 1b: a transcript's label in capitals before a colon at the unit start
   ("JENKINS: ...", "SHERIFF ANN LEE: ...") names the speaker; a header label ("UPDATE:",
   "EDITOR'S NOTE:", ``speakers.HEADER_WORDS``) names no one and is skipped.
2. Speaker phrase: after the verb when inverted ("said Capt. Jeff Scroggin, a spokesman
   for ..."), after "according to"/"from"/"by", otherwise the noun phrase just before the
   verb ("Los Angeles Police Department chief Charlie Beck said"), skipping an appositive
   clause (", who runs the county jail," or one between dashes: "- who hosted a rally -").
   A comma joins capitalised words into the
   phrase ("Omar Reyes, Eastvale Police Department chief, said") unless the words after
   it already end in a titled name ("... Customs Enforcement, Sheriff Carmen Voss said").
   A phrase before the verb never reaches back across a quotation ('X County's jail
   "..." Sheriff Y wrote' is Sheriff Y). After a forward phrase, the words after a comma
   are an appositive only when they open like one (a capital, "who", "a/an", "the
   spokesman / chief ... of"): "according to a statement released Friday by X, the
   county's jails will ..." has no appositive, and ", referring to ICE's ..." is none.
   The listener after "told" ("told the Arizona Daily Star") is never the speaker, so a
   newspaper never becomes the agency. A status word right before the phrase ("retired
   Minneapolis police chief X argued", "former Harris County sheriff X said": the phrase
   itself starts at the capital) makes the voice excluded (round9).
   Rule 2c: a verb is inverted only after a comma, a quote, a dash or the unit start
   ("Lea County leaders said the county jail ..." is not); after a comma the speaker
   follows it when a person is named there and not before it ('anything other than the
   U.S., said Sheriff X', "The order, said Bracey, ..."). A comma joins only onto a title
   or agency phrase, never a document ("Thomas Homan, Clarke said" is Clarke; "ICE, the
   release states" is the release). "X County in New Mexico" is one phrase. A news outlet
   ("according to the Las Cruces Sun-News") is never a speaker.
3. No speech cue: the grammatical subject at the start of the unit, when it is an agency
   or an official ("The county commission voted ...", "Sheriff X signed ...") gives an
   *action* statement; for a quote introduced by a colon it gives the quote's speaker.
   A wire dateline ("SPOKANE, Wash. -- The X Police Department ...", "HARRIS COUNTY, TX -",
   "OAKLAND (AP) The ...") is skipped, and a parenthesis ends the subject ("Gov. X
   (R-Virginia) signed"). A body named by its members in lower case ("commissioners voted
   2-1", ``speakers.BODY_MEMBERS``) is the body, also after a clause between dashes ("Last
   June - long before ... - commissioners voted"); a phrase of place ("In X County, the
   jail honors ...") yields to a subject after it.
   Rule 3c: a subject that is only a person's name followed by a verb ("Fulop signed ...",
   "Carr honors ...", also after an adverb: "Marx recently shared ...") names the speaker
   with no role and no voice, when no agency or official is the subject; a single word
   must not look like an opener ("Even", "Those", "Undocumented") or a group of people
   ("Lawmakers said"). A bare surname never introduced ("..., McDonald said") is a
   speaker the same way: no role, no agency unless one is found otherwise; the learned
   model decides whether the voice is relevant.
   A subject followed by "should", "must", "needs to" is someone's opinion about the
   agency ("Our sheriff should stop ..."), an excluded voice. When the subject is no local
   voice (none, or a federal body: "ICE agents may interview inmates ... under rules the
   X Board of Supervisors approved"), the body after "under a policy/rules/ordinance
   (that / adopted by / approved by)" is the voice, if it is an agency or official (also
   when the subject is a kind-only agency nobody can place: "Under a policy adopted by the
   X Board of Commissioners, the county jail honors ...", round9); so is the body right after a
   unit-initial "The ordinance (that) ..." ("The ordinance the X City Council passed ...").
   A passive agent ("was approved 4-1 by the X Board") is a source like "according to".
4. Pronouns ("he said", "she wrote") resolve to the last named speaker in the paragraph,
   then in the article; a bare surname ("Adair said") to the earlier speaker of that
   name; "it said", "the department said", "police said" to the last agency of that kind;
   "the post said", "the release said" to its author: the local voice last named ("In a
   news release, Sheriff X's office said ... the release states"), else the last agency.
   An unplaced "sheriff's office" ("a sheriff's office spokesperson said Rutherford
   County will ...") is the sheriff's office of the one county the unit names, if the
   gazetteer knows it (``placed``; also applied by the detector's fallback agency).
   Any other unplaced kind-only agency ("a spokeswoman for the county jail said" after
   "Denver's jail will ...") is placed by the one city or county the unit names in the
   possessive before a common noun; a state's possessive ("Texas's officers") places
   nothing (round9).
   An unplaced "state police" / "State Troopers" is the police of the one state the unit
   names; an unplaced council or board ("Commissioners voted ...", kept as written) is the
   board of the one county the unit names.
   Rule 4c: a phrase that is only a place is that place's government, a body: "Washington
   County informed ICE", "Both the Marion County and Polk County", "Lea County leaders",
   "Northbrook officials", "the Minneapolis Code of Ordinances states"; a bare city name
   only as the subject and only a large city ("Seattle passed ...", "Detroit is not"), as a
   smaller one may be a surname.
   Rule 4e: an official named in passing ("The board met Sheriff X", "X, the longtime
   sheriff of Y County") is remembered, not a speaker: a later bare surname ("X said")
   takes that full name, title and agency, and a title alone ("the sheriff said", "the
   police chief wrote") the last named speaker or official holding that title.
   Rule 4f: a head-of-agency title with no one of that title named ("The Deputy Mayor
   reiterated ...", "the sheriff said", "The mayor's order does not ...",
   ``speakers.HEAD_TITLES``) is its unnamed holder: speaker "the deputy mayor", an
   official, the agency from the title as for a titled name. A rank ("the officer said")
   names no one.
   A document "signed by"/"from" a judge or court is a condition, never a source.
   A speaker phrase right after "candidates for", "running for", "challenger for" names
   the office sought, not held: an excluded voice.
5. Role: ``speakers.agency_role`` decides from the speaker phrase and its appositive
   whether this voice can speak for an agency (see that module).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from . import agencies
from .agencies import LEADING_STOP, Mention
from .model import Agency
from .places import is_state, states_named
from .speakers import (
    BODY_MEMBERS,
    GENERIC,
    HEAD_TITLES,
    HEADER_WORDS,
    TIME,
    TITLE_DOCUMENTS,
    TITLE_MODIFIERS,
    TITLE_WORDS,
    agency_role,
    person,
)

_SPEECH_RE = re.compile(
    r"\b(?:said|says|told|tells|announced|announces|wrote|writes|stated|states|added|adds|"
    r"explained|noted|confirmed|declared|insisted|stressed|emphasized|warned|acknowledged|"
    r"argued|vowed|pledged|promised|replied|responded|reads|read|posted|tweeted|testified|"
    r"continued|commented|comments|had to say|has to say|decided|agreed|directed|ordered|"
    r"reiterated|reiterates|maintained|maintains|asserted|asserts|assured|clarified|affirmed)\b")
# A judge or court is never the source of an agency's statement: "an order signed by a
# judge" is a condition of the policy, not its author.
_SOURCE_RE = re.compile(
    r"\b(?:(?i:according) to|(?:statement|release|memo|letter|message|email|post|order|policy)s? "
    r"(?:from|by|signed by|issued by"
    r"|(?:released|issued|posted|sent|distributed)(?: [\w-]+){0,3}? by)"
    r"|announced (?:\w+ ){0,2}by|in a (?:statement|release) from"
    r"|(?:was|were) (?:approved|adopted|passed|enacted|issued|signed)(?: [\d-]+)? by)\s+"
    r"(?!(?:an? |the )?(?:[\w-]+ )?(?:judge|magistrate|court)s?\b)")
# "under rules the county board approved": the body that adopted the policy speaks.
_UNDER_RE = re.compile(r"(?:\bunder |^\s*)(?:[Aa] |[Aa]n |[Tt]he |[Ii]ts |[Nn]ew )?"
                       r"(?:[\w-]+ ){0,2}?(?:rules?|polic(?:y|"
                       r"ies)|"
                       r"ordinance|agreement|order|resolution|directive|guidelines|plan|contract)"
                       r"(?: that| which)?(?: (?:adopted|approved|passed|set|issued|"
                       r"written) by)?\s+(?=(?:the |a )?[A-Z])")
# Rule 2b: a status word right before the speaker phrase ("retired Minneapolis police
# chief X argued"): the phrase starts at the capital, but the voice is a former official.
_STATUS_BEFORE_RE = re.compile(r"(?i)\b(?:former|retired|onetime|one-time|then)[\s-]+$")
# "candidates for Maricopa County sheriff said": the office sought, not the office held.
_SOUGHT_RE = re.compile(r"(?i)\b(?:candidates?|running|campaign\w*|race|bid|challengers?|"
                        r"opponents?|"
                        r"seeking|hopefuls?|nominees?)\s+(?:for|to be|to become)\s+(?:the\s+)?$")
# An inverted verb ('"...," said X') follows a comma, a quote, a dash or the unit start;
# "Lea County leaders said the county jail ..." is no inversion.
_INVERSION_RE = re.compile(r"(?:^|[,\"~:\u2013\u2014-])\s*(?:also\s+|then\s+)?\Z")
_INVERTIBLE = frozenset({"said", "says", "added", "adds", "wrote", "writes", "continued", "stated",
                         "reads", "read"})
_PRONOUNS = {"he": "person", "she": "person", "they": "agency", "it": "agency", "we": "agency",
             "i": "person"}
_SUBJECT_TAIL_RE = re.compile(r"(?i)(?:officers'? |deputies'? )?(?:union|association|guild|"
                              r"candidates?|advocates?|groups?|coalition|activists?)\b")
# After a bare name the subject's verb: "Fulop signed", "Carr honors", "Baker, for instance,".
_VERB_TAIL_RE = re.compile(r"[a-z]+(?:ed|[^su]s)|is|was|has|had|will|would|can|could|did|does"
                           r"|may|might|must|should|also|then|later|never|still|now|said|"
                           r"sent|signed|wrote|put|set|made|kept|led|met|laid|took|gave|got|came|"
                           r"went|began|brought|spoke|chose|held|left|ran|saw|stood|won|lost|"
                           r"paid|sought|felt|knew|thought|told")
# A lone capitalised word shaped like an adjective, adverb or participle is no surname.
_NOT_SURNAME_RE = re.compile(r"(?:ed|ing|ly|ous|ive|al|ic|ful|less|able|ible)$")
# "Our sheriff should stop ...": an opinion about the agency, not the agency acting.
_MODAL_TAIL_RE = re.compile(r"(?i)(?:should|ought|must|needs? to|has to|have to)\b")
_DOCUMENT_RE = re.compile(r"(?:the|a|its|that|this) (?:news )?(?:post|statement|release|letter|"
                          r"memo|"
                          r"message|tweet|email|notice|policy|order|directive)")
_APPOSITIVE_RE = re.compile(r",\s*((?:who|whose|which|a|an|the)\b[^,~]*),\s*$"
                            # "X - who hosted a rally in a building the office owns - told":
                            # a clause between dashes is an appositive too.
                            r"|\s-{1,2}\s*((?:who|whose|which|a|an|the)\b[^~]*?)\s*-{1,2}\s*$")
_AUX_RE = re.compile(r"(?:\s+(?:has|have|had|also|previously|later|earlier|again|repeatedly|"
                     r"publicly|recently|then|would|will|has also|had also))+$")
# A period inside a phrase only after an abbreviation ("Capt.", "Lt.") or an initial.
_ABBR_DOT = (r"\b(?:Capt|Lt|Sgt|Maj|Det|Cmdr|Col|Gen|Dr|Mr|Mrs|Ms|St|Jr|Sr|Supt|Insp|Cpl|Ofc|"
             r"[A-Z])\.")
_FORWARD_RE = re.compile(
    rf"\s*((?:{_ABBR_DOT}|[^,.;:~\"]){{1,80}}?)(?=\s+(?:that|who|which|on|in|at|after|when|"
    rf"during)\b|"
    rf"[,.;:~\"]|$)(?:,\s*((?:{_ABBR_DOT}|[^.;~]){{0,120}}))?")
# An appositive after a forward speaker phrase opens with a capital, a relative pronoun,
# an article + role ("a spokesman for ..."), or "the <role> of/for"; anything else
# (", the county's jails will ...", ", referring to ICE's ...") is the reporter's clause.
_DESC_OPENER_RE = re.compile(r"(?:[A-Z]|(?:who|whose|which|an?)\b"
                             r"|the (?:[\w'-]+ ){0,3}?(?:spokes\w+|"
                             r"chief|head|director|sheriff|commander|captain|lieutenant|officer|"
                             r"of|for)\b)")
# A wire dateline ("RICHMOND, Va. - ", "HARRIS COUNTY, TX - ", "GRAPEVINE (KXYZ.COM) - ",
# also with no dash after a wire's capitals: "OAKLAND (BCN) The council ...") names where
# the story was filed, never who acts in it.
_DATELINE_RE = re.compile(r"\s*[A-Z][A-Z.'\u00c0-\u00de-]+(?: [A-Z][A-Z.'\u00c0-\u00de-]+)*"
                          r"(?:,\s*[A-Z][\w.]*(?: [A-Z][\w.]*)?)?"
                          r"(?:\s*\([A-Z0-9.&/ -]{1,30}\)\s+(?=[A-Z])"
                          r"|(?:\s*\([^)]{1,30}\))?\s*[-\u2013\u2014]{1,2}\s+)")
# A phrase opening with a preposition of place ("In Bernalillo County, the jail honors ...")
# sets the scene: a subject after it is the voice, else the place's is.
_SCENE_RE = re.compile(r"(?:In|At|Across|Throughout|Within|Near|Outside|Inside|Among)\b")
_WORD_RE = re.compile(r"[A-Za-z\u00c0-\u024f]{2,}")
_LOCAL_ROLES = frozenset({"official", "agency", "body"})
# A news outlet is who reports, never who speaks ("according to the Las Cruces Sun-News").
_OUTLET_RE = re.compile(r"\b(?:News|Times|Post|Tribune|Herald|Gazette|Journal|Press|Globe|"
                        r"Chronicle|Dispatch|Observer|Courier|Examiner|Sentinel|Bulletin|Reuters|"
                        r"Daily \w+|Sun(?:-\w+)?|Inquirer|Register|Star(?:-\w+)?)$")
_TOKEN_RE = re.compile(r"[\w'.\u00c0-\u024f-]+|,")
# Rule 4e: an official named in passing, titled ("X County Sheriff Ann Lee") or with an
# appositive that holds a title ("Ann Lee, the longtime sheriff of X County").
_TITLE_ALT = "|".join(sorted({re.escape(w.capitalize()) for w in TITLE_WORDS}, key=len,
                             reverse=True))
_NAME = r"[A-Z][\w'\u00c0-\u024f-]+(?: [A-Z]\.)?(?: [A-Z][\w'\u00c0-\u024f-]+){1,2}"
_INTRODUCED_RE = re.compile(
    rf"(?P<titled>(?:[A-Z][\w'.-]* ){{0,3}}(?:{_TITLE_ALT})(?<![A-Z]\.)\.? {_NAME})\b"
    rf"|\b(?P<name>{_NAME}), (?P<desc>(?:the|a|an) [^,.;~]{{0,60}}?\b(?:{_TITLE_ALT.lower()})\b"
    r"[^,.;~]{0,60})")
# "the sheriff said", "our police chief wrote", "the mayor's order": a title alone (its
# head word "title"), for the one named so far, else its unnamed holder (rule 4f).
_TITLE_ONLY_RE = re.compile(
    rf"(?P<det>the|our|his|her|their) (?P<held>(?:(?:{'|'.join(sorted(TITLE_MODIFIERS))}) ){{0,2}}"
    rf"(?P<title>[a-z]+))(?:'s (?:{'|'.join(sorted(TITLE_DOCUMENTS))}))?")
# Rule 1b: a transcript's speaker label, in capitals before a colon at the unit start
# ("JENKINS: Over 16 years ...", "SHERIFF ANN LEE: We hold ...").
_LABEL_RE = re.compile(r"\s*([A-Z][A-Z'.-]+(?: [A-Z][A-Z'.-]+){0,3}):\s")


@dataclass(frozen=True)
class Attribution:
    """Who speaks in a unit and how: ``voice`` is quote/reported/action/none."""

    speaker: str | None = None
    title: str | None = None
    agency: Agency | None = None
    role: str = "unknown"
    voice: str = "none"
    phrase: str = ""


@dataclass
class History:
    """Named speakers seen so far in the article (for "he said" and bare surnames); the
    last of each paragraph and of each surname are kept apart, as both are asked for at
    every unit."""

    speakers: list[tuple[int, Attribution]] = field(default_factory=list)
    _by_paragraph: dict[int, Attribution] = field(default_factory=dict, repr=False)
    _by_surname: dict[str, Attribution] = field(default_factory=dict, repr=False)
    _introduced: dict[str, Attribution] = field(default_factory=dict, repr=False)
    _titled: list[Attribution] = field(default_factory=list, repr=False)

    def add(self, paragraph: int, attribution: Attribution) -> None:
        """Remember a named speaker found in ``paragraph``."""
        if attribution.speaker:
            self.speakers.append((paragraph, attribution))
            self._by_paragraph[paragraph] = attribution
            words = attribution.speaker.split()
            if words:
                self._by_surname[words[-1]] = attribution
            if attribution.title:
                self._titled.append(attribution)

    def last(self, paragraph: int) -> Attribution | None:
        """The last named speaker of ``paragraph``, else of the article so far."""
        if paragraph in self._by_paragraph:
            return self._by_paragraph[paragraph]
        return self.speakers[-1][1] if self.speakers else None

    def by_surname(self, name: str) -> Attribution | None:
        """The earlier speaker whose last name is ``name``, else the official of that name
        introduced earlier ("Sheriff Ann Lee said ..." then "Lee said")."""
        return self._by_surname.get(name) or self._introduced.get(name)

    def introduce(self, attribution: Attribution) -> None:
        """Remember a titled person named in passing, for a later bare surname or title."""
        if attribution.speaker:
            self._introduced[attribution.speaker.split()[-1]] = attribution
            if attribution.title:
                self._titled.append(attribution)

    def by_title(self, title: str) -> Attribution | None:
        """The last named speaker or introduced official whose title holds ``title``
        ("the sheriff said" after "Sheriff Ann Lee")."""
        return next((a for a in reversed(self._titled)
                     if a.title and title in a.title.lower().replace(".", " ").split()), None)


def attribute(outside: str, offset: int, has_quote: bool, mentions: list[Mention],
              history: History, paragraph: int) -> Attribution:
    """Attribute one unit: ``outside`` is its text with quotes masked, ``offset`` its
    position in the article (to use the article-wide ``mentions``)."""
    if not isinstance(mentions, agencies.Mentions):
        mentions = agencies.Mentions(mentions)
    ctx = _Context(_without_header(outside), offset, mentions, history, paragraph)
    found = _attribute(ctx, has_quote)
    _introduce(ctx)  # after: the officials named here are for later units (rule 4e)
    return found


def _attribute(ctx: _Context, has_quote: bool) -> Attribution:
    outside, history, paragraph = ctx.outside, ctx.history, ctx.paragraph
    if has_quote and not _WORD_RE.search(outside):  # a quotation alone goes on (rule 4d)
        last = history.last(paragraph)
        return _voiced(last, "quote") if last is not None else Attribution()
    found = _label(ctx)
    if found is not None:
        return _voiced(found, "quote" if has_quote else "reported")
    for m in _SPEECH_RE.finditer(outside):
        found = _from_verb(ctx, m)
        if found is not None and not _empty(found):
            return _voiced(found, "quote" if has_quote else "reported")
    for m in _SOURCE_RE.finditer(outside):
        found = _analyse(ctx, *_forward(outside, m.end()))
        if found is not None:
            return _voiced(found, "quote" if has_quote else "reported")
    found = _subject(ctx)
    if found is None or found.role in {"federal", "unknown"} or _unplaced(found):
        found = _under(ctx) or found
    if found is not None and found.role == "unknown":  # a person's name, no voice (3c)
        return found
    if found is not None:
        return _voiced(found, "quote" if has_quote and ":" in outside else "action")
    return Attribution()


def _introduce(ctx: _Context) -> None:
    """Rule 4e: remember each official the unit names in passing, titled ("Frederick
    County Sheriff Ann Lee") or with a titled appositive ("Ann Lee, the longtime sheriff of
    X County"), so a later bare surname or "the sheriff" finds the full name and agency."""
    for m in _INTRODUCED_RE.finditer(ctx.outside):
        phrase, desc = m.group("titled") or m.group("name"), m.group("desc") or ""
        at = m.start("titled") if m.group("titled") else m.start("name")
        found = _analyse(ctx, phrase, at, desc, remember=False)
        if found is not None and found.speaker and found.role == "official":
            titles = [w for w in desc.split() if w.lower() in TITLE_WORDS]
            ctx.history.introduce(replace(found, title=found.title or " ".join(titles) or None))


def _label(ctx: _Context) -> Attribution | None:
    """Rule 1b: the speaker a transcript's capitals label names ("JENKINS: ..."); a label
    that names no person ("UPDATE:", "ICE:") is none."""
    m = _LABEL_RE.match(ctx.outside)
    if m is None or _header(m.group(1)):
        return None
    phrase = m.group(1).title()  # same length: offsets into the unit still hold
    found = _analyse(ctx, phrase, m.start(1), "")
    return found if found is not None and found.speaker else None


def _header(label: str) -> bool:
    """Is a capitals label a header ("UPDATE", "EDITOR'S NOTE") or an outline's section
    ("A. DETENTION", "IV. PROCEDURE") rather than a speaker's name?"""
    words = label.split()
    return any(w.rstrip(".") in HEADER_WORDS for w in words) or \
        re.fullmatch(r"[A-Z]\.|[IVX]+\.?", words[0]) is not None


def _without_header(outside: str) -> str:
    """A header label ("UPDATE: ...") blanked out (same length): it names no one."""
    m = _LABEL_RE.match(outside)
    if m is None or not _header(m.group(1)):
        return outside
    return " " * m.end() + outside[m.end():]


def _empty(found: Attribution) -> bool:
    """A cue whose phrase names nobody ("the county prison's policy and noted"): the next
    cue or the subject may still name the voice."""
    return found.speaker is None and found.agency is None and found.role == "unknown"


def _unplaced(found: Attribution) -> bool:
    """A kind-only subject ("the county jail") nobody can place: a body named in an
    "under a policy adopted by X" preamble is the better voice (rule 3b)."""
    return found.role in {"agency", "body"} and found.agency is not None \
        and found.agency.place is None and found.speaker is None


def _under(ctx: _Context) -> Attribution | None:
    """Rule 3b: "under a policy the X Board approved": that agency, if it is one."""
    for m in _UNDER_RE.finditer(ctx.outside):
        found = _analyse(ctx, *_forward(ctx.outside, m.end()))
        if found is not None and found.role in {"official", "agency", "body"}:
            return found
    return None


def _voiced(found: Attribution, voice: str) -> Attribution:
    return Attribution(found.speaker, found.title, found.agency, found.role, voice, found.phrase)


@dataclass
class _Context:
    outside: str
    offset: int
    mentions: agencies.Mentions
    history: History
    paragraph: int


def _from_verb(ctx: _Context, m: re.Match[str]) -> Attribution | None:
    """Speaker before the verb, else (inverted: '"...," said Capt. X') after it."""
    before = _backward(ctx.outside, m.start())
    opened = _INVERSION_RE.search(ctx.outside, 0, m.start()) is not None
    after = _forward(ctx.outside, m.end()) if m.group() in _INVERTIBLE and opened else None
    # ", said Sheriff Ann Lee," / ", said Lee,": the speaker follows the verb when a person
    # is named there and not before it ("the U.S., said Sheriff X", rule 2c).
    if after and before[0] and _looks_named(after[0]) and _names_person(ctx, *after[:2]) \
            and not _names_person(ctx, *before[:2]):
        return _analyse(ctx, *after)
    if before[0]:
        return _analyse(ctx, *before)
    if after and after[0] and _looks_named(after[0]):
        return _analyse(ctx, *after)
    return None


def _names_person(ctx: _Context, phrase: str, at: int) -> bool:
    """Does the phrase name a person (agency mentions blanked out first)?"""
    return bool(phrase) and person(phrase, _mentions_in(ctx, at, at + len(phrase)),
                                   ctx.offset + at)[0] is not None


def _looks_named(phrase: str) -> bool:
    words = [w for w in phrase.split() if w.lower() not in {"the", "a", "an"}]
    if not words or words[0].lower() in TIME:
        return False
    return words[0][0].isupper() or words[0].lower().rstrip("'s") in TITLE_WORDS | GENERIC


def _forward(text: str, start: int) -> tuple[str, int, str]:
    """(speaker phrase, its offset, appositive) starting at ``start``."""
    m = _FORWARD_RE.match(text, start)
    if not m:
        return "", start, ""
    raw = m.group(1)
    phrase = re.sub(r"^\s*(?:the |a |an )?(?:\w+ ){0,2}?(?:from|by) ", "", raw).strip()
    desc = m.group(2) or ""
    if desc and not _DESC_OPENER_RE.match(desc):
        desc = ""  # "according to X, the county's jails will ...": the statement, no appositive
    return phrase, m.start(1) + raw.find(phrase), desc


def _backward(text: str, end: int) -> tuple[str, int, str]:
    """(speaker phrase, its offset, appositive) ending at ``end``."""
    prefix = _AUX_RE.sub("", text[:end].rstrip())
    # A speaker phrase never reaches back across a quotation (rule 2).
    cut = max(prefix.rfind('"'), prefix.rfind("~"))
    if cut >= 0:
        prefix = " " * (cut + 1) + prefix[cut + 1:]
    desc = ""
    m = _APPOSITIVE_RE.search(prefix)
    if m:
        desc, prefix = m.group(1) or m.group(2), prefix[:m.start()]
    prefix = prefix.rstrip(" ,")
    kept: list[re.Match[str]] = []
    tokens = list(_TOKEN_RE.finditer(prefix))
    for i in range(len(tokens) - 1, -1, -1):
        if not _keeps(tokens, i, kept):
            break
        kept.append(tokens[i])
    if not kept:
        return "", end, desc
    start = kept[-1].start()
    return prefix[start:].strip(" ,"), start, desc


def _keeps(tokens: list[re.Match[str]], i: int, kept: list[re.Match[str]]) -> bool:
    word = tokens[i].group()
    if word == ",":  # "Omar Reyes, Eastvale Police chief," but not "Thomas Homan, Clarke"
        after = " ".join(k.group() for k in reversed(kept))  # nor "ICE, the release states"
        return bool(kept) and i > 0 and tokens[i - 1].group()[:1].isupper() and len(kept) < 12 \
            and not _titled_name(kept) and any(k.group().lower() in TITLE_WORDS | GENERIC
                                               for k in kept) \
            and not _DOCUMENT_RE.fullmatch(after.lower())
    low = word.lower()
    if low == "in" and i > 0 and tokens[i - 1].group().endswith(("County", "Parish")):
        return is_state(" ".join(k.group() for k in reversed(kept)))  # "X County in Ohio"
    if not kept and low in _PRONOUNS:
        return True
    if kept and kept[-1].group().lower() in _PRONOUNS:
        return False
    return len(kept) < 14 and _phrase_word(word)


def _phrase_word(word: str) -> bool:
    """Can ``word`` be part of a speaker phrase: a capital, a title or agency word, a body's
    members ("commissioners voted") or a title's possessive ("the mayor's order")?"""
    low = word.lower()
    return word[:1].isupper() or low in TITLE_WORDS | GENERIC | BODY_MEMBERS \
        or low.removesuffix("'s") in TITLE_WORDS


def _titled_name(kept: list[re.Match[str]]) -> bool:
    """Do the words kept so far already end in a titled name ("Sheriff Carmen Voss")?
    Then a comma before them ends the phrase: "... Customs Enforcement, Sheriff X said"."""
    last = kept[0].group()
    return last[:1].isupper() and last.lower() not in TITLE_WORDS | GENERIC and any(
        k.group().lower() in TITLE_WORDS for k in kept[1:])


def _subject(ctx: _Context) -> Attribution | None:
    """Rule 3: an agency or official as the subject at the start of the unit, else a
    person named as the subject ("Fulop signed ...", rule 3c) with no role."""
    text = ctx.outside
    dateline = _DATELINE_RE.match(text[:80])
    first = dateline.end() if dateline else 0
    starts = [first] + [m.end() for m in re.finditer(r",\s*", text[:first + 120])
                        if m.end() > first][:2]
    # After a dash, or after a clause between dashes ("Last June - long before ... - the
    # commissioners voted").
    starts += [m.end() for m in re.finditer(r"\s[-\u2013\u2014]{1,2}\s+", text[:80])][:2]
    named = scene = None
    for start in starts:
        phrase, at, _ = _forward_subject(text, start)
        # The words right after the subject can still disqualify it ("The police union").
        tail = " ".join(text[at + len(phrase):at + len(phrase) + 40].split()[:2])
        found = _analyse(ctx, phrase, at, "", subject=True) if phrase else None
        if found is not None and (_SUBJECT_TAIL_RE.match(tail) or _MODAL_TAIL_RE.match(tail)):
            found = replace(found, role="excluded")
        if found is not None and found.role != "unknown":
            if not _SCENE_RE.match(phrase):
                return found
            scene = scene or found
        if named is None and found is not None and _bare_name(found, tail):
            named = found
    return scene or named


def _bare_name(found: Attribution, tail: str) -> bool:
    """Is the subject just a person's name followed by a verb ("Carr honors ...")?"""
    if not found.speaker:
        return False
    words = [w for w in found.phrase.split() if w not in LEADING_STOP]
    if " ".join(words) != found.speaker:
        return False
    if len(words) == 1:  # one word may be any capitalised opener ("Undocumented immigrants")
        return _verb_follows(tail) and _surname(words[0])
    return tail.startswith(",") or _verb_follows(tail)


def _verb_follows(tail: str) -> bool:
    """Do the words after a subject open with its verb, perhaps after an adverb ("signed",
    "recently shared")?"""
    words = tail.split()
    if len(words) > 1 and words[0].endswith("ly"):
        words = words[1:]
    return _VERB_TAIL_RE.fullmatch(words[0] if words else "") is not None


def _forward_subject(text: str, start: int) -> tuple[str, int, str]:
    tokens = list(_TOKEN_RE.finditer(text, start))
    kept = []
    for tok in tokens[:14]:
        word = tok.group()
        if word == "," or not _phrase_word(word):
            break
        if kept and "(" in text[kept[-1].end():tok.start()]:  # "Gov. X (R-Virginia)"
            break
        kept.append(tok)
    if not kept or len(kept) == len(tokens):
        return "", start, ""
    return text[kept[0].start():kept[-1].end()], kept[0].start(), ""


def _analyse(ctx: _Context, phrase: str, at: int, desc: str,
             subject: bool = False, remember: bool = True) -> Attribution | None:
    """Turn a speaker phrase (+ appositive) into an Attribution (rules 4-5)."""
    phrase = phrase.strip(" ,")
    if not phrase:
        return None
    low = phrase.lower()
    if low in _PRONOUNS:
        return _pronoun(ctx, low, at)
    title = _TITLE_ONLY_RE.fullmatch(low)
    if title and title.group("title") in TITLE_WORDS and ctx.history.by_title(title.group("title")):
        return ctx.history.by_title(title.group("title"))  # "the sheriff said": the one named
    if _DOCUMENT_RE.fullmatch(low):  # "the post said", "the release said": its author
        return _author(ctx, at)
    if _OUTLET_RE.search(phrase):  # "according to the Las Cruces Sun-News": a reporter
        return None
    if re.fullmatch(r"[A-Z][\w'\u00c0-\u024f-]+", phrase) and ctx.history.by_surname(phrase):
        return ctx.history.by_surname(phrase)
    inside = _mentions_in(ctx, at, at + len(phrase)) or _mentions_in_text(ctx, desc)
    name, title = person(phrase, inside, ctx.offset + at)
    holder = _unnamed_holder(low) if name is None else None
    if holder is not None:
        name, title = _untitled_speaker(ctx) or holder[0], title or holder[1]
    near = ctx.mentions.ending_by(ctx.offset + at + len(phrase) + 200)
    agency, role = agency_role(phrase, desc, inside, near, name)
    government = _government(ctx, phrase, inside, role, subject)
    if government is not None:
        name, agency, role = None, government, "body"
    agency = placed(agency, ctx.outside)
    lead = re.match(r"(?i)(?:(?:for|to|be|become|the)\s+)*", phrase).group()
    if _SOUGHT_RE.search(ctx.outside[max(0, at - 40):at] + lead) \
            or _STATUS_BEFORE_RE.search(ctx.outside[max(0, at - 20):at]):
        role = "excluded"
    found = Attribution(name, title, agency, role, "none", phrase)
    if remember:
        ctx.history.add(ctx.paragraph, found)
    return found


def _unnamed_holder(low: str) -> tuple[str, str] | None:
    """Rule 4f: a head title with no name ("The Deputy Mayor reiterated", "the mayor's order
    does not ...") is its holder, named by the title: ("the deputy mayor", its title)."""
    m = _TITLE_ONLY_RE.fullmatch(low)
    if m is None or m.group("det") not in {"the", "our"} or m.group("title") not in HEAD_TITLES:
        return None
    return f"the {m.group('held')}", m.group("title")


def _untitled_speaker(ctx: _Context) -> str | None:
    """The paragraph's last speaker when named by surname alone, with no title or role: a
    title after it is that speaker's ('"...," Frey continued. "...," the mayor said')."""
    last = ctx.history.last(ctx.paragraph)
    if last is None or last.title or last.role != "unknown" or not _surname(last.speaker):
        return None
    return last.speaker


def _surname(word: str | None) -> bool:
    """Is ``word`` one capitalised word shaped like a surname ("Frey", not "Secondly")?"""
    return bool(word) and re.fullmatch(r"[A-Z][\w'\u00c0-\u024f-]+", word) is not None \
        and not _NOT_SURNAME_RE.search(word)


def _government(ctx: _Context, phrase: str, inside: list[Mention], role: str,
                subject: bool) -> Agency | None:
    """Rule 4c: a phrase that is only a place ("Washington County informed ICE", "the
    Minneapolis Code of Ordinances states"; as a subject also a large city: "Seattle
    passed") is that place's government, a body."""
    if role in {"excluded", "federal"} or any(not m.federal for m in inside):
        return None
    if len(phrase) > 60 or not re.search(r"[A-Z]", phrase):
        return None
    bare = subject and not ctx.history.by_surname(phrase.split()[-1])
    return agencies.place_government(phrase, bare, agencies.state_hint(ctx.outside))


_COUNTY_RE = re.compile(r"\b((?:[A-Z][\w'.-]+ ){1,3}County)\b"
                        r"(?!'s? (?:[A-Z]|jail|board|commission))")


def placed(agency: Agency | None, outside: str) -> Agency | None:
    """Rule 4b: an unplaced "sheriff's office" ("a sheriff's office spokesperson said
    Rutherford County will continue ...") is the sheriff's office of the one county the
    unit names, when the gazetteer knows it; several counties or none leave it as is."""
    if agency is None or agency.place or agency.kind is None:
        return agency
    if agency.kind == "state":
        return _placed_by_state(agency, outside)
    if agency.kind not in {"sheriff", "county"}:
        return _placed_by_possessive(agency, outside)
    counties = {m.group(1) for m in _COUNTY_RE.finditer(outside)}
    if len(counties) != 1:
        return agency if agency.kind == "sheriff" else _placed_by_possessive(agency, outside)
    place, state = agencies.locate(counties.pop())
    if state is None:
        return agency
    if agency.kind == "county":  # "Commissioners voted ... designating Dallas County"
        head = re.sub(r"(?i)^(?:the |its |a )?(?:county )?", "", agency.name)
        return Agency(f"{place} {head[:1].upper()}{head[1:]}", "county", place, state,
                      agency.as_written)
    return Agency(f"{place} Sheriff's Office", "sheriff", place, state, agency.as_written)


def _placed_by_state(agency: Agency, outside: str) -> Agency:
    """Rule 4b: "state police" or "State Troopers" with one state named in the unit
    ("Gov. X (R-Virginia) directed state police ...") is that state's police."""
    names = set(states_named(outside))
    if len(names) != 1:
        return agency
    name = names.pop()
    head = "Highway Patrol" if "highway patrol" in agency.name.lower() else "State Police"
    return Agency(f"{name} {head}", "state", name, agencies.state_hint(name), agency.as_written)


_POSSESSIVE_PLACE_RE = re.compile(r"\b((?:[A-Z][a-z]+ ){0,2}[A-Z][a-z]+)'s (?=[a-z])")


def _is_state(place: str) -> bool:
    import us  # lazily, as in places.locate

    return us.states.lookup(place.removesuffix(" State")) is not None


def _placed_by_possessive(agency: Agency, outside: str) -> Agency:
    """Rule 4b (round9): any other unplaced agency ("a spokesman for the Department of
    Prisons said" after "Philadelphia's prisons will ...") is placed by the one city or
    county the unit names in the possessive before a common noun; a state ("Texas's
    prisons"), several places or none leave it as is."""
    places = set()
    for m in _POSSESSIVE_PLACE_RE.finditer(outside):
        place, state = agencies.locate(m.group(1))
        if state is not None and not _is_state(place):
            places.add((place, state))
    if len(places) != 1:
        return agency
    place, state = places.pop()
    name = re.sub(r"(?i)^(?:the|a|an)\s+", "", agency.name)
    return Agency(f"{place} {name}", agency.kind, place, state, agency.as_written)


def _author(ctx: _Context, at: int) -> Attribution | None:
    """The author of "the release states": the local voice last named ("In a news release,
    Sheriff X's office said ..."), else the last agency named."""
    last = ctx.history.last(ctx.paragraph)
    if last is not None and last.agency is not None and last.role in _LOCAL_ROLES:
        return Attribution(None, None, last.agency, "agency")
    return _pronoun(ctx, "it", at)


def _pronoun(ctx: _Context, low: str, at: int) -> Attribution | None:
    if _PRONOUNS[low] == "person":
        return ctx.history.last(ctx.paragraph)
    before = ctx.mentions.starting_before(ctx.offset + at)
    if before and before[-1].federal:
        return Attribution(None, None, before[-1].agency, "federal")
    agency = agencies.resolve_generic("the agency", before)
    return Attribution(None, None, agency, "agency")


def _mentions_in(ctx: _Context, start: int, end: int) -> list[Mention]:
    return ctx.mentions.within(ctx.offset + start, ctx.offset + end)


def _mentions_in_text(ctx: _Context, desc: str) -> list[Mention]:
    if not desc:
        return []
    at = ctx.outside.find(desc)
    return _mentions_in(ctx, at, at + len(desc)) if at >= 0 else agencies.find_mentions(desc)


