"""Merging: one statement per agency per text.

Policy staff want one alert per new statement, and the archive compares an agency's
stance across articles: a press release that says "cooperates", "refuses" and
"cooperates" in three paragraphs is one mixed statement, not three. Rules:

1. Statements are grouped by canonical agency: ``Agency.name`` (case-folded) plus
   ``state``; a county's jail and its sheriff's office are one agency (the sheriff runs
   the jail: "Polk County Jail" and "Polk County Sheriff's Office" group together). A
   statement without an agency is grouped by its speaker; one with neither stays alone.
   Two different agencies in one text stay two statements.
2. The main statement of a group is the strongest: a named speaker's direct quote beats
   any other quote or reported speech, which beats the agency's own voice; then the higher
   score, then the earlier one. Its quote, speaker, title, agency and kind are kept.
3. Stances combine: all the same -> that stance; ``refuses`` with ``cooperates``, or
   anything with ``mixed`` -> ``mixed``.
4. Cues are merged main statement first, then the others strongest first, duplicates
   dropped, at most ``MAX_CUES``. The score is the group's highest.

Only statements that reach the threshold are merged (the caller's job): a weak candidate
never changes a real statement's stance.
"""
from __future__ import annotations

from dataclasses import replace

from .model import Agency, Statement

MAX_CUES = 8
_KIND_RANK = {"quote": 2, "reported": 1, "agency_voice": 0}


def merge_by_agency(statements: list[Statement]) -> list[Statement]:
    """One statement per agency (see the module rules), in order of first appearance."""
    groups: dict[object, list[Statement]] = {}
    for index, statement in enumerate(statements):
        groups.setdefault(_key(statement, index), []).append(statement)
    return [_merged(group) for group in groups.values()]


def agency_key(agency: Agency) -> tuple[str, str, str | None]:
    """The canonical identity of an agency for rule 1."""
    if agency.kind in {"sheriff", "jail"} and agency.place:
        return ("county-sheriff", agency.place.casefold(), agency.state)
    return ("agency", agency.name.casefold(), agency.state)


def _key(statement: Statement, index: int) -> object:
    if statement.agency is not None:
        return agency_key(statement.agency)
    if statement.speaker:
        return ("speaker", statement.speaker)
    return ("alone", index)


def strength(statement: Statement) -> tuple[int, float]:
    """Sort key of rule 2 (higher is stronger); ties go to the earlier statement."""
    rank = _KIND_RANK.get(statement.kind, 0)
    named_quote = statement.kind == "quote" and bool(statement.speaker)
    return (rank + (1 if named_quote else 0), statement.score)


def combine_stances(stances: list[str | None]) -> str | None:
    """Rule 3: the stance of several statements of one agency."""
    found = {s for s in stances if s}
    if not found:
        return None
    if len(found) == 1:
        return found.pop()
    return "mixed"


def _merged(group: list[Statement]) -> Statement:
    if len(group) == 1:
        return group[0]
    ordered = sorted(group, key=strength, reverse=True)  # stable: earlier wins ties
    main = ordered[0]
    cues = list(dict.fromkeys(c for s in ordered for c in s.cues))[:MAX_CUES]
    return replace(main, stance=combine_stances([s.stance for s in group]),
                   cues=tuple(cues), score=max(s.score for s in group))
