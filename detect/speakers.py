"""Speakers: what a speaker phrase says about who is talking (attribution rule 5).

``person`` takes the name and title out of a phrase ("Los Angeles County Sheriff's
Department spokesman Capt. Jeff Scroggin" -> "Jeff Scroggin", "spokesman Capt."), agency
mentions blanked out first so a place is never taken for a name. ``agency_role``
decides whether the voice can speak for an agency, in this order:

1. Excluded voices: candidates, former/retired officials, advocates, lawyers, unions and
   associations, residents, editorials, federal and state lawmakers, governors, judges,
   single council members or commissioners, and documents (records, data, lawsuits).
   Words inside a named agency ("Union County Sheriff's Office") never count here; a
   chair or a police commissioner is not a single member.
2. A federal body as the only agency named -> ``federal``; an organisation -> excluded.
3. A local agency named in the phrase -> ``official`` (with a name) or ``agency``/``body``.
4. A generic agency word ("the department", "sheriff's office") or a title resolves to
   the last named agency of that kind before it (``agencies.resolve_generic``), else is
   kept as written; plural phrases ("police chiefs") never become an agency.
5. Anything else is ``unknown``.
"""
from __future__ import annotations

import re

from . import agencies
from .agencies import Mention
from .model import Agency

TITLE_WORDS = frozenset("""
    chief sheriff undersheriff captain capt. lieutenant lt. sergeant sgt. major maj. commander
    cmdr. spokesman spokeswoman spokesperson officer deputy detective det. trooper director
    administrator warden superintendent supt. colonel col. mayor manager executive chair
    chairman chairwoman president commissioner supervisor councilman councilwoman councilor
    alderman alderwoman member pio marshal constable assistant interim acting
""".split())
GENERIC = frozenset("""
    the a an of for de del la and department office agency police officials official jail
    sheriff's state highway patrol county city council board commission release statement
    order memo post policy regional local longtime new former senior top field public
    information media relations general updated staff troopers deputies officers its his her
    their department's office's agency's
""".split())
TIME = frozenset("""monday tuesday wednesday thursday friday saturday sunday today yesterday
    tonight week month year morning afternoon evening night""".split())
_NOT_NAMES = frozenset(w.lower() for w in agencies.LEADING_STOP) | frozenset(
    "but yet still however also instead now so we it they he she i our your my".split())
_EXCLUDED_RE = re.compile(
    r"\b(?:candidate|challenger|running for|if elected|former|formerly|retired|ex-|advocate|"
    r"advocacy|"
    r"activist|organi[sz]er|coalition|network|union|association|attorney|lawyer|professor|"
    r"researcher|"
    r"analyst|expert|residents?|mother|father|parent|grower|farmer|owner|pastor|priest|student|"
    r"protesters?|editorial|op-ed|columnist|letter to the editor|congress\w*|senator|sen\.|rep\.|"
    r"representative|lawmaker|legislator|governor|gov\.|secretary|company|contractor|firm|judge|"
    r"council ?member|councilman|councilwoman|councilor|alderman|alderwoman|commissioner|"
    r"supervisor|"
    r"board member|trustee|acting director|field office director|records|documents|data|figures|"
    r"logs|filings|court papers|reports?|study|survey|lawsuit|complaint)\b", re.I)
_SINGLE_MEMBER_OK_RE = re.compile(r"\b(?:chair\w*|president of the (?:board|council|commission)|"
                                  r"(?:police|corrections|public safety) commissioner)\b", re.I)

def person(phrase: str, inside: list[Mention], abs_at: int) -> tuple[str | None, str | None]:
    """(name, title) from a speaker phrase, agency mentions blanked out first."""
    chars = list(phrase)
    for m in inside:
        for i in range(max(0, m.start - abs_at), min(len(chars), m.end - abs_at)):
            chars[i] = " "
    words = re.findall(r"[\w'.\u00c0-\u024f-]+", "".join(chars))
    titles = [w for w in words if w.lower() in TITLE_WORDS]
    runs: list[list[str]] = [[]]
    for w in words:
        if w[:1].isupper() and w.lower() not in TITLE_WORDS | GENERIC | TIME | _NOT_NAMES \
                and not w.endswith("'s"):
            runs[-1].append(w)
        elif runs[-1]:
            runs.append([])
    named = [r for r in runs if r]
    name = " ".join(named[-1]) if named and len(named[-1]) <= 4 else None
    return name, (" ".join(titles) or None)


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
    if any(m.org for m in inside) and not local:
        return None, "excluded"
    if local:
        return local[0].agency, ("official" if name else body_or_agency(local[0].agency))
    generic = agencies.generic_kind(phrase)
    titled = any(w.lower() in TITLE_WORDS for w in phrase.split())
    if generic or titled:
        agency = agencies.resolve_generic(phrase, before) if generic else None
        agency = agency or (agencies.generic_agency(phrase) if not titled else None)
        kind_role = "body" if generic in {"city", "county"} else "agency"
        return agency, ("official" if name or titled else kind_role)
    return None, "unknown"


def body_or_agency(agency: Agency | None) -> str:
    if agency is None:
        return "unknown"
    return "body" if agency.kind in {"city", "county"} else "agency"
