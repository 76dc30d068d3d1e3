"""detect.agencies: mentions, canonical names, gazetteer places, aliases."""
from __future__ import annotations

import pytest

from detect.agencies import find_mentions, locate, resolve_generic, state_hint


def agencies_in(text: str):
    return [m.agency for m in find_mentions(text) if not m.federal and not m.org]


NAMED = [
    ("police-department", "The Denver Police Department said", "Denver Police Department", "police", "CO"),
    ("police-chief-title", "Tucson Police Chief Ana Gil said", "Tucson Police Department", "police", "AZ"),
    ("misspelled-place", "Tuscon Police Chief Ana Gil said", "Tucson Police Department", "police", "AZ"),
    ("sheriff-office", "the Maricopa County Sheriff's Office", "Maricopa County Sheriff's Office", "sheriff", "AZ"),
    ("sheriff-title", "Multnomah County Sheriff Ed Cole said", "Multnomah County Sheriff's Office", "sheriff", "OR"),
    ("jail-lowercase", "the Hennepin County jail", "Hennepin County Jail", "jail", "MN"),
    ("board", "The Fresno County Board of Supervisors voted", "Fresno County Board of Supervisors", "county", "CA"),
    ("council", "the Austin City Council voted", "Austin City Council", "city", "TX"),
    ("state-patrol", "the Arizona Highway Patrol said", "Arizona Highway Patrol", "state", "AZ"),
    ("alias", "LAPD officers", "Los Angeles Police Department", "police", "CA"),
    ("unknown-place-kept", "the Quillby Falls Police Department", "Quillby Falls Police Department", "police", None),
    ("lowercase-county-sheriff", "as Wake County sheriff she ended it", "Wake County Sheriff's Office", "sheriff", "NC"),
    ("lowercase-city-council", "Phoenix city council voted", "Phoenix City Council", "city", "AZ"),
    ("city-council-of-place", "the City Council of Lansing voted", "Lansing City Council", "city", "MI"),
    ("village-of-place", "the Village of Orland Park adopted", "Village of Orland Park", "city", "IL"),
    ("place-before-mayor", "Seattle Mayor Ed Vance said", "Seattle city government", "city", "WA"),
    ("mayor-of-place", "Mayor Ed Vance of Danbury said", "Danbury city government", "city", "CT"),
    ("county-executive", "Westchester County Executive Jo Lane said", "Westchester County government", "county", "NY"),
    ("head-first-at-sentence-end", "a deputy to the sheriff of Payette County.",
     "Payette County Sheriff's Office", "sheriff", "ID"),
    ("two-counties-listed", "Payette and Canyon counties will stop holding", "Payette County government",
     "county", "ID"),
    ("two-counties-after-an-opener", "Both Payette and Canyon counties will stop holding",
     "Payette County government", "county", "ID"),
    ("three-counties-listed", "sheriffs in Canyon, Payette and Gem counties", "Canyon County government",
     "county", "ID"),
]


@pytest.mark.parametrize("text,name,kind,state", [n[1:] for n in NAMED], ids=[n[0] for n in NAMED])
def test_named_agency(text: str, name: str, kind: str, state: str | None) -> None:
    found = agencies_in(text)
    assert [a.name for a in found] == [name]
    assert found[0].kind == kind and found[0].state == state
    assert found[0].as_written in text


@pytest.mark.parametrize("text", [
    "sheriffs in Payette, Canyon, Gem, Owyhee and Washington counties signed",
    "jails in Acadia, Allen, Caddo and Vernon parishes now hold people for ICE",
    "sheriffs in Gem, Payette, Van Buren and Canyon counties signed",
], ids=["counties", "parishes", "two-word-place-late-in-the-list"])
def test_a_long_list_of_places_is_a_tally_not_a_mention(text: str) -> None:
    assert agencies_in(text) == []


@pytest.mark.parametrize("text", [
    "the Fairview Police Officers Association",
    "the Valley Immigrant Defense Network",
], ids=["union", "advocacy-group"])
def test_organisations_are_not_agencies(text: str) -> None:
    assert agencies_in(text) == []


@pytest.mark.parametrize("text", ["ICE", "Immigration and Customs Enforcement", "the Border Patrol",
                                  "Homeland Security"], ids=["ice", "ice-long", "border-patrol", "dhs"])
def test_federal_bodies_are_marked(text: str) -> None:
    assert any(m.federal for m in find_mentions(text))


def test_initials_acronym_resolves_to_named_agency() -> None:
    found = agencies_in("The Port Alder Police Department (PAPD) said PAPD officers will not.")
    assert {a.name for a in found} == {"Port Alder Police Department"}


def test_generic_reference_resolves_to_last_named() -> None:
    before = find_mentions("Sheriff Bo Lee of the Kern County Sheriff's Office spoke.")
    assert resolve_generic("the sheriff's office", before).name == "Kern County Sheriff's Office"


def test_generic_reference_after_federal_agency_is_not_local() -> None:
    assert resolve_generic("the agency", find_mentions("ICE arrested 31 people.")) is None


def test_state_hint_picks_among_same_named_counties() -> None:
    found = [m.agency for m in find_mentions("the Cook County jail in Chicago", state_hint="IL")]
    assert found[0].state == "IL"


def test_state_hint_and_locate() -> None:
    assert state_hint("reported by the Arizona Daily Star") == "AZ"
    assert locate("Aurora", "CO") == ("Aurora", "CO")
