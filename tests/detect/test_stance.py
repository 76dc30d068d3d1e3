"""detect.stance and detect.scope: refuses / cooperates / mixed, negation-aware."""
from __future__ import annotations

import pytest

from detect.scope import count_negators
from detect.stance import decide

STANCES = [
    # refuses
    ("will-not-honor", "The sheriff said the jail will not honor ICE detainers.", "refuses"),
    ("does-not-and-will-not", "The department does not and will not take part in immigration raids.", "refuses"),
    ("ending-287g", "Her office is terminating its 287(g) agreement with ICE.", "refuses"),
    ("stop-notifying", "Jail staff will stop notifying ICE of release dates.", "refuses"),
    ("no-status-questions", "Officers will not ask victims or witnesses about their immigration status.", "refuses"),
    ("not-an-arm-of-ice", "Our police department is not an arm of ICE.", "refuses"),
    ("no-plans-to-join", "The office has no plans, now or later, to join the 287(g) program.", "refuses"),
    ("status-blind", "We serve everyone regardless of immigration status.", "refuses"),
    # cooperates
    ("will-not-hesitate", "I will not hesitate to cooperate with ICE when it comes to my jail.", "cooperates"),
    ("no-intention-of-ending", "She has no intention of ending the county's 287(g) agreement.", "cooperates"),
    ("honor-detainers", "Deputies will continue to honor every ICE detainer.", "cooperates"),
    ("sign-287g", "The sheriff signed a 287(g) agreement with ICE on Monday.", "cooperates"),
    ("give-ice-office", "ICE officers will get an office inside the county jail.", "cooperates"),
    ("wont-stop", "The jail won't stop honoring ICE holds.", "cooperates"),
    ("help-when-asked", "When ICE asks us for help, we will help.", "cooperates"),
    # mixed
    ("judicial-warrant", "We will not hold anyone for ICE without a judicial warrant.", "mixed"),
    ("unless", "The jail will decline ICE detainers unless a judge has signed them.", "mixed"),
    ("notify-not-hold", "We notify ICE before a release, but we won't hold anyone past release.", "mixed"),
    ("serious-crimes-only", "The office will honor ICE detainers only for people charged with violent felonies.", "mixed"),
    ("criminal-not-civil", "Detectives will keep working with ICE on trafficking cases but will not join civil immigration arrests.", "mixed"),
]


@pytest.mark.parametrize("text,stance", [s[1:] for s in STANCES], ids=[s[0] for s in STANCES])
def test_stance(text: str, stance: str) -> None:
    assert decide(text, topical=True).stance == stance


NOT_IMMIGRATION = [
    ("cooperate-with-investigation", "We are cooperating fully with the state investigation into the crash."),
    ("cooperating-driver", "Police said the driver stayed at the scene and was cooperating."),
    ("audit", "The sheriff's office is cooperating with the county auditor's review of overtime."),
    ("probation-hold", "He remains in jail on a probation violation hold."),
    ("sobriety-checkpoint", "Officers will run a sobriety checkpoint on Friday night."),
    ("animal-sanctuary", "The dogs were taken to an animal sanctuary in the next county."),
    ("dea-task-force", "Two detectives joined the DEA's regional drug task force."),
]


@pytest.mark.parametrize("text", [n[1] for n in NOT_IMMIGRATION], ids=[n[0] for n in NOT_IMMIGRATION])
def test_not_about_immigration_has_no_stance(text: str) -> None:
    assert decide(text, topical=False).stance is None


NO_STANCE = [
    ("did-not-say-whether", "The sheriff's office did not say whether it would honor the ICE detainer."),
    ("declined-to-say", "A spokesman declined to say whether officers helped ICE."),
    ("reviewing", "The sheriff is reviewing ICE's invitation to join the 287(g) program."),
    ("question-to-chief", "Asked whether officers check immigration status, the chief said he would look into it."),
    ("third-party-request", "Advocates urged the county to end its 287(g) agreement."),
    ("individual-case", "The man is being held at the jail on an ICE detainer."),
]


@pytest.mark.parametrize("text", [n[1] for n in NO_STANCE], ids=[n[0] for n in NO_STANCE])
def test_non_answers_and_facts_have_no_stance(text: str) -> None:
    assert decide(text, topical=True).stance is None


def test_cues_show_why() -> None:
    result = decide("The jail will not honor ICE detainers unless a judge signs them.", topical=True)
    assert 'refuses: "will not honor ICE detainers unless"' in result.cues()
    assert 'condition: "unless"' in result.cues()


@pytest.mark.parametrize("words,count", [
    ("does not and will not".split(), 1),
    ("will not hesitate to".split(), 2),
    ("has no intention of".split(), 1),
    ("will never ever".split(), 1),
], ids=["coordinated-nots-once", "lexical-counts", "no-intention", "never"])
def test_count_negators(words: list[str], count: int) -> None:
    assert count_negators(words) == count


GENERAL_RULES = [
    ("legal-presence", "Troopers will not stop or detain anyone to determine whether they are in the country legally.", "refuses"),
    ("where-born", "Officers do not question people about where they were born.", "refuses"),
    ("no-agreement", "The department has no agreement with ICE.", "refuses"),
    ("has-agreement", "The sheriff's office has had an agreement with ICE for a decade.", "cooperates"),
    ("not-our-mission", "Chasing people for civil immigration violations is not our mission.", "refuses"),
    ("dont-do-immigration", "We don't do immigration, period.", "refuses"),
    ("federal-job", "Immigration enforcement is the federal government's job.", "refuses"),
    ("handled-federally", "Immigration enforcement is handled at the federal level, not by local police.", "refuses"),
    ("not-ice-agents", "My deputies are not ICE agents.", "refuses"),
    ("holding-facility", "This jail won't be a holding facility for ICE.", "refuses"),
    ("street-sweeps", "We won't go out on street sweeps for ICE.", "refuses"),
    ("look-for-undocumented", "Deputies don't go out looking for people who are undocumented.", "refuses"),
    ("at-ices-request", "The jail will not detain anyone at ICE's request.", "refuses"),
    ("extend-stop", "Officers may not extend a traffic stop to wait for Border Patrol.", "refuses"),
    ("allowed-to-interview", "ICE agents will be allowed to interview inmates at the jail.", "cooperates"),
    ("court-order-condition", "The county will stop honoring ICE detainers not accompanied by a court order.", "mixed"),
    ("federal-operation", "Officers will not take part in the federal operation planned by ICE this weekend.", "refuses"),
]


@pytest.mark.parametrize("text,stance", [g[1:] for g in GENERAL_RULES], ids=[g[0] for g in GENERAL_RULES])
def test_general_rules(text: str, stance: str) -> None:
    assert decide(text, topical=True).stance == stance


MORE_NOT_IMMIGRATION = [
    ("second-amendment-sanctuary", "Commissioners voted to declare the county a Second Amendment sanctuary county."),
    ("immigration-system-opinion", "The sheriff said Congress needs to fix what he called a broken immigration system."),
    ("sentence-end-stops-gap", "Deputies keep the roads safe. For ICE, the news came late."),
    ("allegheny-is-not-alleging", "The Allegheny County Jail held a job fair for corrections officers."),
]


@pytest.mark.parametrize("text", [n[1] for n in MORE_NOT_IMMIGRATION], ids=[n[0] for n in MORE_NOT_IMMIGRATION])
def test_more_non_acts(text: str) -> None:
    assert decide(text, topical=True).stance is None


@pytest.mark.parametrize("words,count", [
    ("will not stop or detain anyone".split(), 1),
    ("will stop".split(), 1),
], ids=["coordinated-verb-is-not-a-negator", "stop-alone-negates"])
def test_coordinated_lexical_negator(words: list[str], count: int) -> None:
    assert count_negators(words) == count


FRESH_RULES = [
    ("book-on-ice-hold", "The office no longer books anyone into the jail solely on an ICE hold.", "refuses"),
    ("rent-space-to-ice", "The sheriff's office will no longer rent space to ICE in its jail.", "refuses"),
    ("program-will-continue", "The county's 287(g) jail program will continue.", "cooperates"),
    ("program-will-not-continue", "The 287(g) agreement with ICE will not continue past June.", "refuses"),
    ("criminal-warrants-are-no-condition",
     "Officers will continue to assist federal agents when they serve criminal warrants.", "cooperates"),
    ("felonies-with-only", "Deputies will notify ICE only about inmates charged with felonies.", "mixed"),
    ("violent-felonies-with-refusal",
     "The jail will notify ICE about people charged with violent felonies but will not hold anyone.", "mixed"),
]


@pytest.mark.parametrize("text,stance", [f[1:] for f in FRESH_RULES], ids=[f[0] for f in FRESH_RULES])
def test_fresh_rules(text: str, stance: str) -> None:
    assert decide(text, topical=True).stance == stance
