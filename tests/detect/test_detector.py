"""detect.Detector end to end: press-release voice, two agencies, thresholds."""
from __future__ import annotations

import pytest

from detect import Detector, QueryError, Statement, find_statements


def test_module_level_find_statements() -> None:
    found = find_statements("“We will not honor ICE detainers,” Riverton County Sheriff Al Diaz said.")
    assert found and isinstance(found[0], Statement) and found[0].stance == "refuses"


def test_press_release_voice(best) -> None:
    text = ("The department does not enforce federal immigration law.\n"
            "Officers will not ask anyone about their immigration status during a stop.")
    found = best(text, agency_voice="Northgate Police Department")
    assert found is not None and found.kind == "agency_voice" and found.speaker is None
    assert found.agency.name == "Northgate Police Department" and found.stance == "refuses"


def test_two_agencies_with_opposite_stances(detector) -> None:
    text = ("Ridley Police Chief Sam Ortiz said Tuesday that his officers will not transport or question "
            "anyone on behalf of ICE, a break from the Baxter County Sheriff's Office, which has said it "
            "will keep honoring ICE detainers.")
    found = {s.agency.name: s.stance for s in detector.find_statements(text)}
    assert found["Ridley Police Department"] == "refuses"
    assert found["Baxter County Sheriff's Office"] == "cooperates"
    assert detector.find_statements(text)[0].agency.name == "Ridley Police Department"


def test_two_paragraphs_two_agencies(detector) -> None:
    text = ("The Hollins County Board of Commissioners voted 4-1 to end the jail's contract to house ICE detainees.\n"
            "Across the river, Tern City Police Chief Dee Park said her department will keep notifying ICE of arrests.")
    stances = {s.agency.name: s.stance for s in detector.find_statements(text)}
    assert stances == {"Hollins County Board of Commissioners": "refuses", "Tern City Police Department": "cooperates"}


@pytest.mark.parametrize("text", [
    "Police said the driver was cooperating with investigators after the crash on Route 4.",
    "Deputies arrested 12 people in a drug sweep, the Lanier County Sheriff's Office said.",
    "ICE agents arrested 20 people in a four-day operation, the agency said.",
], ids=["crash", "drug-sweep", "federal-arrests"])
def test_off_topic_yields_nothing(detector, text: str) -> None:
    assert detector.find_statements(text) == []


def test_threshold_filters_weak_candidates() -> None:
    strict = Detector(threshold=0.99)
    text = "“We will not honor ICE detainers,” Riverton County Sheriff Al Diaz said."
    assert strict.find_statements(text) == [] and strict.candidates(text)


def test_custom_query_gates_articles() -> None:
    text = "“We will not honor ICE detainers,” Riverton County Sheriff Al Diaz said."
    assert Detector(query="ICE AND sheriff").find_statements(text)
    assert Detector(query="ICE AND mayor").find_statements(text) == []


def test_bad_query_raises() -> None:
    with pytest.raises(QueryError):
        Detector(query="ICE AND (")


AGENCY_VOICE = [
    ("county-jail", "Cold Creek County Sheriff's Office",
     "The county jail will no longer hold anyone for ICE past their release date."),
    ("the-office", "Cold Creek County Sheriff's Office",
     "The office will continue to honor every detainer issued by ICE."),
    ("the-department", "Northgate Police Department",
     "The department does not enforce federal immigration law and will not ask about status."),
    ("our-officers", "Northgate Police Department",
     "Our officers will not take part in ICE enforcement operations."),
    ("deputies", "Cold Creek County Sheriff's Office",
     "Deputies will notify ICE before releasing any inmate with a detainer."),
]


@pytest.mark.parametrize("voice,text", [a[1:] for a in AGENCY_VOICE], ids=[a[0] for a in AGENCY_VOICE])
def test_agency_voice_generic_mentions_are_the_feed_agency(detector, voice: str, text: str) -> None:
    found = detector.find_statements(text, agency_voice=voice)
    assert len(found) == 1 and found[0].agency.name == voice


def test_agency_voice_keeps_other_named_agencies(detector) -> None:
    text = ("Our officers will not take part in ICE enforcement operations. "
            "The Baxter County Sheriff's Office said it will keep honoring ICE detainers.")
    found = {s.agency.name for s in detector.find_statements(text, agency_voice="Northgate Police Department")}
    assert found == {"Northgate Police Department", "Baxter County Sheriff's Office"}


UNIDENTIFIABLE = [
    ("plural-chiefs-background",
     "In the wake of the election, police chiefs in a number of “sanctuary cities” have spoken out against the "
     "new immigration policies, stating that they will not use their police force as an extension of federal "
     "immigration enforcement."),
    ("plural-sheriffs",
     "Sheriffs across the state said they will keep honoring ICE detainers despite the new law."),
    ("the-department-unresolved",
     "The department will not ask anyone about their immigration status, a spokesman said."),
]


@pytest.mark.parametrize("text", [u[1] for u in UNIDENTIFIABLE], ids=[u[0] for u in UNIDENTIFIABLE])
def test_rule_score_is_capped_without_an_identifiable_agency(rule_best, text: str) -> None:
    # The model decides these (an unnamed speaker is reported, not dropped); the rules'
    # evidence says no agency could be identified.
    assert rule_best(text) is None


@pytest.mark.parametrize("text,agency", [
    ("Sheriff Dana Ruiz said deputies will not hold anyone for ICE.", "sheriff's office"),
    ("The Elm Grove Police Department will not ask about immigration status, the department said.",
     "Elm Grove Police Department"),
], ids=["named-official-placeless", "placed-agency"])
def test_identifiable_statements_are_kept(detector, text: str, agency: str) -> None:
    found = detector.find_statements(text)
    assert found and found[0].agency.name == agency


def test_context_paragraph_names_the_speaker(best) -> None:
    text = ("Milton County Sheriff Ray Dunn spent most of the interview on jail staffing.\n"
            "Asked about immigration, he was blunt. “My deputies are not ICE agents,” Dunn said.")
    found = best(text)
    assert found is not None and found.speaker == "Ray Dunn" and found.stance == "refuses"


FEED_PLACE = [
    ("kind-only-sheriff-takes-the-feed-place",
     "The sheriff's office will no longer hold anyone for ICE past their release date, a spokeswoman said.",
     "Linn County, IA", "Linn County Sheriff's Office"),
    ("titled-chief-takes-the-feed-place",
     "Chief Dana Wells said her officers will not ask anyone about immigration status.",
     "Marlow", "Marlow Police Department"),
    ("placed-agency-keeps-its-own",
     "The Tucson Police Department will not ask anyone about immigration status, Chief Ray Soto said.",
     "Linn County, IA", "Tucson Police Department"),
]


@pytest.mark.parametrize("text,place,agency", [f[1:] for f in FEED_PLACE], ids=[f[0] for f in FEED_PLACE])
def test_feed_place_places_unplaced_agencies(detector, text: str, place: str, agency: str) -> None:
    passages = detector.passages(text, place=place)
    assert passages and passages[0].statements[0].agency.name == agency


DATELINE = [
    ("city-dateline-places-the-police", "MARLOW, Okla. — The police department will not ask anyone "
     "about immigration status, a spokesman said.", "Marlow Police Department"),
    ("county-dateline-places-the-sheriff", "HARRIS COUNTY, TX -- The sheriff's office will keep "
     "honoring ICE detainers, a spokeswoman said.", "Harris County Sheriff's Office"),
]


@pytest.mark.parametrize("text,agency", [d[1:] for d in DATELINE], ids=[d[0] for d in DATELINE])
def test_dateline_places_an_unplaced_agency_of_its_kind(detector, text: str, agency: str) -> None:
    passages = detector.passages(text)
    assert passages and passages[0].statements[0].agency.name == agency


@pytest.mark.parametrize("statement_first,found", [(True, True), (False, False)],
                         ids=["statement-before-the-cap-is-read", "text-past-the-cap-is-cut"])
def test_text_past_max_chars_is_cut_with_a_log_line(detector, caplog, statement_first: bool,
                                                    found: bool) -> None:
    from detect.detector import MAX_CHARS

    statement = "“We will not honor ICE detainers,” Riverton County Sheriff Al Diaz said."
    filler = "The council met on Tuesday to discuss the library budget.\n" * (MAX_CHARS // 50)
    text = f"{statement}\n{filler}" if statement_first else f"{filler}{statement}"
    with caplog.at_level("WARNING", logger="detect.detector"):
        statements = detector.find_statements(text)
    assert bool(statements) is found
    assert caplog.text.count("text cut before detection") == 1


UNREAD_WITH_A_VOICE = [
    ("surname-only-voice", "The board asked about ICE detainers at Tuesday's meeting. Ruiz said "
     "the county attorney is still reviewing the request from immigration officials.", "Ruiz"),
    ("full-name-voice", "Sheriff Dana Ruiz of Marlow County spoke about ICE detainers on Tuesday. "
     "Ruiz told commissioners the office gets about a dozen requests a month from immigration "
     "agents.", "Dana Ruiz"),
]


@pytest.mark.parametrize("text,speaker", [u[1:] for u in UNREAD_WITH_A_VOICE],
                         ids=[u[0] for u in UNREAD_WITH_A_VOICE])
def test_a_paragraph_no_rule_reads_keeps_its_named_voice(detector, text: str, speaker: str) -> None:
    """The model judges it; if it is kept, it is the named official's, not "unnamed"."""
    (found,) = detector.candidates(text)
    assert found.speaker == speaker
