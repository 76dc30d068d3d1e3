"""The structural fallback (detect/fallback.py): a local voice, federal enforcement named,
and a policy frame, with stance from general signals; and its precision guards."""
from __future__ import annotations

import pytest

from detect.attribution import Attribution
from detect.fallback import candidate, upgrade
from detect.model import Agency

FOUND = [
    ("keep-out-matters", "Salem Police Department Chief Ana Ruiz said Tuesday her officers would "
     "keep out of federal immigration matters altogether.", "refuses"),
    ("not-going-to-hold-paper", "Hennepin County Sheriff Gloria Vang said the jail is not going "
     "to hold a single person on a piece of paper from ICE.", "refuses"),
    ("pull-off-task-force", "The Ithaca Common Council voted Wednesday to pull the city's two "
     "detectives off a federal task force used to locate people for deportation.", "refuses"),
    ("lease-beds", "The Hall County Board of Commissioners on Monday approved a deal allowing "
     "Immigration and Customs Enforcement to lease 150 beds at the county jail.", "cooperates"),
    ("one-at-a-time", "Framingham Police Department Chief Lester Baker said requests from "
     "immigration agents are weighed one at a time.", "mixed"),
    # round6: a refusal scoped before ICE-as-doer words; a judge's signature as a condition
    ("refusal-before-ice-actor", "The Hennepin County Sheriff's Office said it will not keep "
     "anyone in custody one extra minute because ICE sent a form.", "refuses"),
    ("not-otherwise", "Marion County Sheriff Paul Yates said ICE requests will get a yes "
     "when a judge has signed the warrant, and not otherwise.", "mixed"),
    ("stay-but-pulled", "Aurora Police Department Chief Carla Mendes said detectives will remain on "
     "federal drug task forces but will be pulled from any civil immigration arrests.", "mixed"),
]


@pytest.mark.parametrize("text,stance", [f[1:] for f in FOUND], ids=[f[0] for f in FOUND])
def test_fallback_finds_statements_the_rules_miss(rule_best, text: str, stance: str) -> None:
    found = rule_best(text)
    assert found is not None and found.stance == stance
    assert any(c.startswith("fallback") for c in found.cues)
    assert found.score < 0.6  # below precise statements


NOT_FOUND = [
    ("federal-voice", "ICE acting director Tom Lassiter said his agency would send more officers "
     "to Chicago."),
    ("ice-as-actor", "The Dunmore Police Department warned of scam calls. \"ICE does not call "
     "people asking for gift cards,\" Sgt. Ana Holt said."),
    ("in-case-of-emergency", "Bloomington police are reminding residents to add an ICE, or In "
     "Case of Emergency, contact so officers can reach a relative."),
    ("no-comment", "A spokesman for the Fort Worth Police Department said the agency would not "
     "comment on whether officers were present during the ICE raid."),
    ("yes-no-question", "Will the Boise Police Department help ICE if agents show up at a school? "
     "The chief spoke only about traffic safety."),
    ("whether-to", "Harris County commissioners debated for three hours whether to end the "
     "jail's cooperation with ICE but adjourned without a vote."),
    ("demand-that", "About 200 people rallied outside the Marion County jail demanding that the "
     "sheriff stop honoring immigration detainers."),
    ("background-year", "In 2017 the Frederick County Sheriff's Office signed a 287(g) agreement "
     "with ICE, one of the first in Maryland."),
    ("council-member", "City Councilwoman Inez Albarran said the Santa Ana Police Department "
     "should cut every remaining tie with ICE."),
]


@pytest.mark.parametrize("text", [f[1] for f in NOT_FOUND], ids=[f[0] for f in NOT_FOUND])
def test_fallback_guards_precision(rule_best, text: str) -> None:
    assert rule_best(text) is None


UPGRADES = [
    ("prohibition-scope", "The ordinance forbids employees from using city resources to aid in "
     "arrests based solely on immigration status.", "cooperates", [62], "refuses"),
    ("act-outside-scope", "The ordinance forbids employees from using city cars. Officers assist "
     "ICE.", "cooperates", [70], "cooperates"),
    ("refusal-untouched", "The council bars officers from asking about status.", "refuses", [30],
     "refuses"),
]


@pytest.mark.parametrize("words,stance,starts,expected", [u[1:] for u in UPGRADES],
                         ids=[u[0] for u in UPGRADES])
def test_upgrade_in_prohibition_scope(words: str, stance: str, starts: list[int],
                                      expected: str) -> None:
    assert upgrade(words, stance, starts) == expected


NO_SIGNAL = [
    # round6: with no condition, no scoped refusal and no cooperation verb, the fallback
    # does not default to cooperation: the reading is weak (below the threshold).
    ("no-cooperation-verb", "Mesa Police Department Chief Ray Dunn said ICE is a federal agency "
     "and the department has a policy on immigration status."),
]


@pytest.mark.parametrize("text", [f[1] for f in NO_SIGNAL], ids=[f[0] for f in NO_SIGNAL])
def test_fallback_needs_a_cooperation_signal(detector, rule_best, text: str) -> None:
    found = [s for p in detector.passages(text) for s in p.statements
             if any(c.startswith("fallback") for c in s.cues)]
    assert rule_best(text) is None
    assert found and all("weak: no cooperation signal" in s.cues for s in found)


_SHERIFF = Agency("Polk County Sheriff's Office", "sheriff", "Polk County", "FL", "sheriff")
READINGS = [
    # The lexicon's refusing verbs are the fallback's: "barring", "terminating" refuse, and
    # "end" is a word ("endorses" refuses nothing); HSI and ERO are federal agencies.
    ("barring-refuses", "Sheriff Ana Ruiz said a new rule is barring deputies from helping ICE.",
     "refuses"),
    ("terminating-refuses", "Sheriff Ana Ruiz said she is terminating the county's 287(g) deal.",
     "refuses"),
    ("endorses-is-no-end", "Sheriff Ana Ruiz said her office endorses the 287(g) program.",
     "cooperates"),
    ("hsi-is-enforcement", "Sheriff Ana Ruiz said detectives will keep working with HSI.",
     "cooperates"),
    ("judges-warrant-is-a-condition", "Sheriff Ana Ruiz said ICE can bring a judge's warrant.",
     "mixed"),
]


@pytest.mark.parametrize("text,stance", [r[1:] for r in READINGS], ids=[r[0] for r in READINGS])
def test_fallback_reading_uses_the_lexicon(text: str, stance: str) -> None:
    attr = Attribution(speaker="Ana Ruiz", agency=_SHERIFF, role="official", voice="reported")
    reading = candidate(text, attr, "reported", True)
    assert reading is not None and reading.stance == stance


@pytest.mark.parametrize("year,weak", [(2021, False), (2024, True)], ids=["recent", "past"])
def test_fallback_background_year_is_the_articles(year: int, weak: bool) -> None:
    text = "Sheriff Ana Ruiz said deputies will honor ICE detainers, as they have since 2022."
    attr = Attribution(speaker="Ana Ruiz", agency=_SHERIFF, role="official", voice="reported")
    reading = candidate(text, attr, "reported", True, year=year)
    assert reading is not None and ("weak: background" in reading.cues) is weak
