"""Speakers: what a speaker phrase says about who is talking (attribution rule 5).

``person`` takes the name and title out of a phrase ("Los Angeles County Sheriff's
Department spokesman Capt. Jeff Scroggin" -> "Jeff Scroggin", "spokesman Capt."), agency
mentions blanked out first so a place is never taken for a name. Nor are: a run right
before County/Parish/City ("Washington County"), a state's name, the words of "Department
of Public Safety", openers and answers ("Well", "No.", "Even", "U.S."), documents ("Code of
Ordinances"), plural titles ("Commissioners") or words with digits ("Denver7"). A
possessive right after a title is the person ("Sheriff Richard K. Jones' office"). ``agency_role``
decides whether the voice can speak for an agency, in this order:

1. Excluded voices: candidates, former/retired officials, advocates, lawyers, unions and
   associations, residents, editorials, federal and state lawmakers, governors, judges,
   single council members or commissioners, and documents (records, data, lawsuits).
   Words inside a named agency ("Union County Sheriff's Office") never count here; a
   chair or a police commissioner is not a single member.
2. A federal body as the only agency named, or the word "federal" with no local agency
   ("Federal commissioners voted") -> ``federal``; an organisation -> excluded.
3. A local agency named in the phrase -> ``official`` (with a name) or ``agency``/``body``.
4. A generic agency word ("the department", "sheriff's office") or a title resolves to
   the last named agency of that kind before it (``agencies.resolve_generic``), else is
   kept as written, also after a title when the phrase holds the agency's noun ("a
   Department of Public Safety spokesperson"); plural phrases ("police chiefs") never
   become an agency. A council or
   board nobody can place ("Council voted", "the town board") is kept as written too.
5. Anything else is ``unknown``.
"""
from __future__ import annotations

import re

from . import agencies, places
from .agencies import Mention
from .model import Agency

TITLE_WORDS = frozenset("""
    chief sheriff undersheriff captain capt. lieutenant lt. sergeant sgt. major maj. commander
    cmdr. spokesman spokeswoman spokesperson officer deputy detective det. trooper director
    administrator warden superintendent supt. colonel col. mayor manager executive chair
    chairman chairwoman president commissioner supervisor councilman councilwoman councilor
    alderman alderwoman member pio marshal constable assistant interim acting
""".split())
# Titles that head an agency or a government: "the mayor said", "the deputy mayor
# reiterated" name the holder though not by name (a rank such as "the officer" does not).
HEAD_TITLES = frozenset("""mayor sheriff undersheriff chief warden superintendent executive
    administrator manager commissioner marshal constable""".split())
# Words that may stand before such a title ("the deputy police chief", "our county sheriff").
TITLE_MODIFIERS = frozenset("""deputy vice assistant acting interim police county city town
    village jail""".split())
# What a title holder's possessive may introduce as the holder's own act ("the mayor's order").
TITLE_DOCUMENTS = frozenset("""order orders policy directive memo statement letter
    proclamation""".split())
GENERIC = frozenset("""
    the a an of for de del la and department office agency police officials official jail
    sheriff's state highway patrol county city council board commission release statement
    order memo post policy regional local longtime new former senior top field public
    information media relations general updated staff troopers deputies officers its his her
    town village township borough
    their department's office's agency's
""".split())
TIME = frozenset("""monday tuesday wednesday thursday friday saturday sunday today yesterday
    tonight week month year morning afternoon evening night""".split())
_NOT_NAMES = frozenset(w.lower() for w in agencies.LEADING_STOP) | frozenset(
    "but yet still however also instead now so we it they he she i our your my federal".split())
# Words that open a sentence or an answer but never name anyone ("Well, ...", "No. ...").
_DISCOURSE = frozenset("""well no yes will however u.s. us okay ok please thanks indeed first
    finally even those these this that either neither every all any some most many such other
    another one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty hundred dozens
    several few nearly about only just amid despite following during throughout within without
    against among upon until unless whether because once while where there yet perhaps maybe
    instead rather overall together currently recently""".split())
# Words for a group of people that open a sentence ("Lawmakers said", "Advocates argued"):
# never a surname.
_GROUP_NOUNS = frozenset("""lawmakers legislators residents advocates activists critics
    supporters opponents protesters voters leaders members agents immigrants families parents
    students workers organizers experts analysts authorities prosecutors attorneys lawyers
    judges citizens people neighbors others officers deputies""".split())
# Capitals labels before a colon that head a story or a section, never a speaker's
# transcript label ("UPDATE: ...", "EDITOR'S NOTE: ...").
HEADER_WORDS = frozenset("""UPDATE UPDATED BREAKING NOTE EDITOR'S CORRECTION WATCH READ MORE
    RELATED PHOTOS PHOTO VIDEO LISTEN SOURCE SOURCES TITLE SUBJECT RE FAQ Q A QUESTION ANSWER
    WHEN WHERE WHAT WHO WHY HOW ALSO ADVERTISEMENT ICE CBP DHS FBI""".split())
# Documents and their parts: "the Minneapolis Code of Ordinances states" names no one.
_DOCUMENT_WORDS = frozenset("""code ordinance ordinances charter resolution act order policy
    title chapter section article""".split())
# Letters, apostrophes, hyphens, an initial's period: "Denver7" is no name.
_NAME_SHAPE_RE = re.compile(r"[^\W\d_][^\W\d_'.-]*(?:['-][^\W\d_]+)*\.?")
# A capitalised run right before one of these is a place ("Washington County").
_PLACE_TAIL = frozenset("county parish borough township city town village".split())
# "a Department of Public Safety spokesperson": the words of an agency's name, not a person.
_AGENCY_OF_RE = re.compile(r"\b(?:Department|Office|Bureau|Division)(?: of(?: the)?| for)"
                           r"(?: [A-Z][\w'.-]*)+")
# The members of a body named as one, in lower case ("commissioners voted 2-1"): the body.
BODY_MEMBERS = frozenset("commissioners supervisors legislators aldermen alders selectmen".split())
_BODY_RE = re.compile(r"(?i)(?:the |its |a )?((?:city |town |village |county |borough )?"
                      rf"(?:council|board|commission|legislature|{'|'.join(sorted(BODY_MEMBERS))}))")
_EXCLUDED_RE = re.compile(
    r"\b(?:candidate|challenger|running for|if elected|former|formerly|retired|ex-|advocate|"
    r"advocacy|"
    r"activist|organi[sz]er|coalition|network|union|association|attorney|lawyer|professor|"
    r"researcher|"
    r"analyst|expert|residents?|mother|father|parent|grower|farmer|owner|pastor|priest|student|"
    r"protesters?|editorial|op-ed|columnist|letter to the editor|congress\w*|senator|"
    r"representative|lawmaker|legislator|governor|secretary|company|contractor|firm|judge|"
    r"council ?member|councilman|councilwoman|councilor|alderman|alderwoman|commissioner|"
    r"supervisor|"
    r"board member|trustee|acting director|field office director|records|documents|data|figures|"
    r"logs|filings|court papers|reports?|study|survey|lawsuit|complaint)\b"
    r"|\b(?:sen|rep|gov)\.\B", re.I)  # "Gov. X": a period ends the word, so no \b after it
_SINGLE_MEMBER_OK_RE = re.compile(r"\b(?:chair\w*|president of the (?:board|council|commission)|"
                                  r"(?:police|corrections|public safety) commissioner)\b", re.I)

# "Federal commissioners voted": a federal voice, though no federal agency is named.
_FEDERAL_WORD_RE = re.compile(r"(?i)\bfederal\b")


def person(phrase: str, inside: list[Mention], abs_at: int) -> tuple[str | None, str | None]:
    """(name, title) from a speaker phrase, agency mentions blanked out first."""
    chars = list(phrase)
    for m in inside:
        for i in range(max(0, m.start - abs_at), min(len(chars), m.end - abs_at)):
            chars[i] = " "
    blanked = _AGENCY_OF_RE.sub(lambda m: " " * len(m.group()), "".join(chars))
    words = re.findall(r"[\w'.\u00c0-\u024f-]+", blanked)
    titles = [w for w in words if w.lower() in TITLE_WORDS]
    runs: list[list[str]] = [[]]
    for i, w in enumerate(words):
        if _name_word(w) or (_possessive(w) and _titled_run(words, i, runs[-1])):
            runs[-1].append(re.sub(r"'s?$", "", w))
            if _possessive(w):
                runs.append([])
        elif runs[-1]:
            if w.lower() in _PLACE_TAIL:  # "Washington County": a place, not a person
                runs[-1] = []
            runs.append([])
    named = [r for r in runs if r and not places.is_state(" ".join(r))]
    name = " ".join(named[-1]) if named and len(named[-1]) <= 4 else None
    return name, (" ".join(titles) or None)


def _name_word(word: str) -> bool:
    """Can ``word`` be part of a person's name?"""
    low = word.lower()
    if not word[:1].isupper() or word.endswith(("'s", "'")) or not _NAME_SHAPE_RE.fullmatch(word):
        return False
    if low in TITLE_WORDS | GENERIC | TIME | _NOT_NAMES | _GROUP_NOUNS or \
            low.rstrip(".") in _DISCOURSE | _DOCUMENT_WORDS:  # "No. LAPD officers ..."
        return False
    return not (low.endswith("s") and low[:-1] in TITLE_WORDS)  # "Commissioners voted"


def _possessive(word: str) -> bool:
    return word[:1].isupper() and word.endswith(("'s", "'")) and len(word) > 3


def _titled_run(words: list[str], i: int, run: list[str]) -> bool:
    """A possessive name right after a title ("Sheriff Ann Lee's office") is the person;
    an untitled one ("Denver's jail") is as likely a place."""
    start = i - len(run)
    return start > 0 and words[start - 1].lower() in TITLE_WORDS


def agency_role(phrase: str, desc: str, inside: list[Mention], before: list[Mention],
                name: str | None) -> tuple[Agency | None, str]:
    local = [m for m in inside if not m.federal and not m.org]
    words = blanked = f"{phrase} , {desc}"
    for m in local:  # "Union County Sheriff's Office": a place, not a union
        blanked = blanked.replace(m.agency.as_written, " ")
    if _EXCLUDED_RE.search(blanked) and not _SINGLE_MEMBER_OK_RE.search(words):
        return (local[0].agency if local else None), "excluded"
    if any(m.federal for m in inside) and not local:
        return inside[0].agency, "federal"
    if _FEDERAL_WORD_RE.search(phrase) and not local:
        return None, "federal"
    if any(m.org for m in inside) and not local:
        return None, "excluded"
    if local:
        return local[0].agency, ("official" if name else body_or_agency(local[0].agency))
    generic = agencies.generic_kind(phrase)
    titled = any(w.lower() in TITLE_WORDS for w in phrase.split())
    if generic or titled:
        agency = agencies.resolve_generic(phrase, before) if generic else None
        # "a Department of Public Safety spokesperson": the agency noun is there, though
        # titled; a title alone ("the sheriff") names no agency to keep as written.
        agency = agency or agencies.generic_agency(phrase) or _body_as_written(phrase, generic)
        kind_role = "body" if generic in {"city", "county"} else "agency"
        return agency, ("official" if name or titled else kind_role)
    return None, "unknown"


def _body_as_written(phrase: str, kind: str | None) -> Agency | None:
    """A council or board nobody placed ("Council voted", "the town board approved") is kept
    as written, like "the sheriff's office": the detector may still place it."""
    m = _BODY_RE.fullmatch(phrase.strip())
    if kind not in {"city", "county"} or m is None:
        return None
    if re.match(r"(?i)(?:city|town|village|borough)\b", m.group(1)):
        kind = "city"  # "the town board" is no county's board
    return Agency(m.group(1), kind, None, None, phrase)


def body_or_agency(agency: Agency | None) -> str:
    if agency is None:
        return "unknown"
    return "body" if agency.kind in {"city", "county"} else "agency"
