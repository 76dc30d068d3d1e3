"""General rules added in the generalisation rounds (round2/round3 misses), each with
sentences of its own: stance rules, scope, attribution and agency patterns."""
from __future__ import annotations

import pytest

from detect import agencies
from detect.stance import decide

STANCES = [
    # passive voice: the immigration object is the subject, negators in the verb group
    ("passive-no-longer-honored", "ICE detainers will no longer be honored at the county jail.", "refuses"),
    ("passive-still-honored", "Immigration holds are still honored at the jail, the office said.", "cooperates"),
    ("passive-wont-be-accepted", "Detainer requests won't be accepted by jail staff anymore.", "refuses"),
    ("passive-but-not", "Criminal warrants will be honored, but civil ICE detainers will not.", "mixed"),
    # aspectual keep + V-ing is not the hold verb
    ("keep-declining-holds", "The sheriff will keep declining ICE requests to hold inmates past release.",
     "refuses"),
    ("keep-holding", "Deputies will keep holding people for ICE as before.", "cooperates"),
    # series of predicates: each "does not" negates its own verb
    ("series-negation", "The office does not run checkpoints, does not ask about immigration status, "
     "and does not assist ICE.", "refuses"),
    # a clause-initial participle restates the action (", ending ...")
    ("participle-ending", "The board voted to cancel the 287(g) contract with ICE, ending the jail "
     "program.", "refuses"),
    # pseudo-cleft
    ("cleft-not-do", "What our officers do not do is federal immigration enforcement.", "refuses"),
    # objects: indefinite relative, federal custody, demonstrative determiner, "the ones"
    ("indefinite-relative-object", "We will not assign deputies to any operation that involves "
     "deportation.", "refuses"),
    ("transfer-that-person", "Officers will transfer that inmate to federal custody when ICE asks.",
     "cooperates"),
    ("honor-the-ones", "The jail reviews every ICE detainer case by case and honors the ones tied to "
     "felonies.", "mixed"),
    # access: ICE as subject of a jail verb with a modal; letting ICE house people
    ("ice-may-interview", "ICE officers can interview inmates at the jail only with their consent.", "mixed"),
    ("lets-ice-house", "The contract lets ICE house detainees at the county lockup.", "cooperates"),
    # 287(g) with words between the agreement and "with"
    ("agreement-day-with", "The sheriff signed an agreement Friday with ICE to train jailers.", "cooperates"),
    ("withdraw-task-force", "The office withdrew from the federal task force after the immigration raids.",
     "refuses"),
]


@pytest.mark.parametrize("text,stance", [s[1:] for s in STANCES], ids=[s[0] for s in STANCES])
def test_general_stance_rules(text: str, stance: str) -> None:
    assert decide(text, topical=True).stance == stance


BACKGROUND = [
    ("past-perfect-relative", "The county ended a program that had screened inmates for immigration "
     "status.", "refuses"),
]


@pytest.mark.parametrize("text,stance", [s[1:] for s in BACKGROUND], ids=[s[0] for s in BACKGROUND])
def test_past_perfect_relative_clause_is_background(text: str, stance: str) -> None:
    found = decide(text, topical=True)
    assert found.stance == stance and all(a.rule != "ask" for a in found.acts)


AGENCIES = [
    ("sheriff-of-county", "The sheriff of Brazoria County said Monday ...", "Brazoria County Sheriff's Office",
     "sheriff"),
    ("police-department-of", "The police department of Waco released ...", "Waco Police Department", "police"),
    ("county-commissioners", "Chatham County commissioners voted Tuesday ...", None, "county"),
]


@pytest.mark.parametrize("text,name,kind", [a[1:] for a in AGENCIES], ids=[a[0] for a in AGENCIES])
def test_agency_patterns(text: str, name: str | None, kind: str) -> None:
    found = [m for m in agencies.find_mentions(text) if not m.federal and not m.org]
    assert found and found[0].agency.kind == kind and found[0].agency.place
    assert name is None or found[0].agency.name == name


RELEVANT = [
    ("passive-with-agency-said", "Immigration detainers will no longer be honored at the Polk County Jail, "
     "the Polk County Sheriff's Office said Friday.", "refuses"),
    ("under-rules-body", "ICE agents may interview inmates at the Marin County jail only if a lawyer is "
     "present, under rules the Marin County Board of Supervisors adopted Tuesday.", "mixed"),
    ("head-first-sheriff", "The sheriff of Brazoria County signed an agreement Monday with ICE that "
     "lets jailers check immigration status, a sheriff's spokesman said.", "cooperates"),
    ("order-signed-by-judge-is-no-source", "The Anoka County Sheriff's Office will honor an ICE detainer "
     "when it comes with an order signed by a judge.", "mixed"),
]


@pytest.mark.parametrize("text,stance", [r[1:] for r in RELEVANT], ids=[r[0] for r in RELEVANT])
def test_relevant_statements(best, text: str, stance: str) -> None:
    found = best(text)
    assert found is not None and found.stance == stance, found


NEGATIVES = [
    ("candidates-for-sheriff", "Both candidates for Pinal County sheriff said they would honor ICE detainers."),
    ("running-for-sheriff", "A deputy running for Cobb County sheriff said he would sign a 287(g) agreement."),
]


@pytest.mark.parametrize("text", [n[1] for n in NEGATIVES], ids=[n[0] for n in NEGATIVES])
def test_office_sought_is_no_agency_voice(best, text: str) -> None:
    assert best(text) is None


ROUND3_STANCES = [
    ("no-role-in-immigration", "Our deputies have no role in immigration enforcement.", "refuses"),
    ("wanted-by-ice", "The jail will hold inmates wanted by ICE for two days past release.", "cooperates"),
    ("subject-of-ice-warrant", "Deputies will detain anyone who is the subject of an ICE warrant.",
     "cooperates"),
    ("is-welcome-in-jail", "ICE is welcome in the Pike County jail whenever agents want.", "cooperates"),
    ("immigration-agents-subject", "Federal immigration agents will not be allowed into the jail without "
     "a criminal warrant.", "mixed"),
    ("requires-a-warrant", "The jail now requires a warrant before it will keep anyone for ICE.", "mixed"),
    ("exclusive-class", "We honor detainers for people with felony records and ignore the rest of ICE's "
     "requests.", "mixed"),
    ("but-stay-out", "Officers help HSI on smuggling cases but stay out of civil immigration arrests.",
     "mixed"),
    ("rumors-colon", "After weeks of rumors: the office does not help ICE with deportations.", "refuses"),
]


@pytest.mark.parametrize("text,stance", [s[1:] for s in ROUND3_STANCES],
                         ids=[s[0] for s in ROUND3_STANCES])
def test_round3_stance_rules(text: str, stance: str) -> None:
    assert decide(text, topical=True).stance == stance


ROUND3_RELEVANT = [
    ("dateline-subject", "YAKIMA, Wash. - The Yakima Police Department says officers have no role in "
     "immigration enforcement.", "refuses"),
    ("passive-agent-body", "A resolution supporting the sheriff's 287(g) agreement with ICE was approved 5-0 by "
     "the Gaston County Board of Commissioners.", "cooperates"),
]


@pytest.mark.parametrize("text,stance", [r[1:] for r in ROUND3_RELEVANT],
                         ids=[r[0] for r in ROUND3_RELEVANT])
def test_round3_relevant(best, text: str, stance: str) -> None:
    found = best(text)
    assert found is not None and found.stance == stance, found


ROUND6 = [
    # withdrawal from a cooperation program, with no listed refusal verb
    ("leaving-hsi-task-force", "The police department is leaving a regional Homeland Security "
     "Investigations task force.", "refuses"),
    ("walking-away-partnership", "The county is walking away from its partnership with ICE.", "refuses"),
    ("walking-away-contract-to-house", "The sheriff is walking away from a contract to house federal "
     "immigration detainees.", "refuses"),
    ("opting-out-of-pilot", "The department is opting out of a federal pilot that would have sent "
     "fingerprints to immigration officials.", "refuses"),
    ("stepping-back-from-program", "The sheriff is stepping back from a federal program that let ICE "
     "screen inmates at booking.", "refuses"),
    ("leave-enforcement-to-ice", "Officers leave immigration enforcement to ICE, the chief said.",
     "refuses"),
    ("never-walk-away", "We will never walk away from our partnership with ICE.", "cooperates"),
    ("parting-ways-with-ice", "The jail is parting ways with ICE after a decade.", "refuses"),
    ("no-plans-to-leave", "The sheriff has no plans to leave the 287(g) jail program.", "cooperates"),
    # ICE as the grammatical doer under negation
    ("ice-dont-get-to-walk-in", "Immigration agents don't get to walk into our booking area anymore.",
     "refuses"),
    ("ice-wont-be-let-behind", "Federal immigration officers will not be let behind the lockup doors.",
     "refuses"),
    ("ice-doesnt-get-a-desk", "ICE doesn't get a desk in the jail.", "refuses"),
    ("ice-gets-a-desk", "ICE officers will keep a desk inside the jail's intake unit.", "cooperates"),
    # "immigration officers" is an actor, not an "immigration office"
    ("keep-for-immigration-officers", "The jail will keep people for immigration officers.", "cooperates"),
    # a charge makes a policy mixed only when it narrows the cooperation
    ("including-charged-with", "The sheriff honors all ICE detainers, including for people charged "
     "with violent felonies.", "cooperates"),
    ("even-charged-with", "The jail honors ICE detainers even for people charged with minor felonies.",
     "cooperates"),
    ("class-convicted-of", "The jail honors ICE detainers for inmates convicted of violent felonies.",
     "mixed"),
    ("only-convicted-of", "The jail will honor ICE detainers only for people convicted of felonies.",
     "mixed"),
    ("convicted-in-passing", "The sheriff honors every ICE detainer; the man was convicted of a felony "
     "assault in 2019.", "cooperates"),
    # a reason clause ("after learning ...") is not the agency's own act
    ("after-learning-reason", "The department is walking away from its partnership with HSI after "
     "learning a sweep it assisted was used to arrest people for deportation.", "refuses"),
    ("after-reports-reason", "The sheriff ended the 287(g) agreement after reports that deputies had "
     "helped ICE agents at a courthouse.", "refuses"),
    # individual review and "not otherwise" are conditions
    ("reviews-individually", "The jail reviews each immigration detainer individually and will honor "
     "those tied to serious charges.", "mixed"),
    ("not-otherwise", "The jail will hold people for ICE when a judge has signed a warrant, and not "
     "otherwise.", "mixed"),
]


@pytest.mark.parametrize("text,stance", [s[1:] for s in ROUND6], ids=[s[0] for s in ROUND6])
def test_round6_stance_rules(text: str, stance: str) -> None:
    assert decide(text, topical=True).stance == stance


NOT_WITHDRAWALS = [
    ("leave-jail-in-custody", "Inmates with ICE detainers leave the jail in the custody of ICE "
     "officers."),
    ("chief-leaving-department", "The chief is leaving the department after 31 years."),
]


@pytest.mark.parametrize("text", [s[1] for s in NOT_WITHDRAWALS], ids=[s[0] for s in NOT_WITHDRAWALS])
def test_leaving_a_place_or_job_is_no_withdrawal(text: str) -> None:
    assert all(a.rule != "withdraws" for a in decide(text, topical=True).acts)


# Round8 (real-news messiness): each rule with sentences not taken from round8.jsonl.
ROUND8_FOUND = [
    # "called X \"...\"": a naming verb, not a notification; "end it" refers to the program
    ("called-then-end-it", "Clark County Sheriff Dana Kolb called the jail's ICE detainer arrangement \"a legal "
     "liability\" and said she would end it this spring.", "refuses"),
    ("described-as-then-keep", "Lee County Sheriff Mark Ruiz described the 287(g) agreement with ICE as \"a "
     "good tool\" and said the county will keep it.", "cooperates"),
    # a source "released / issued ... by" names the speaker; the clause after it is no appositive
    ("statement-released-by", "According to a statement issued Monday by the Essex County Sheriff's "
     "Office, the jail will stop honoring ICE detainers.", "refuses"),
    ("county-executive-office", "According to a statement from the Kane County Executive's office, the "
     "county jail will no longer notify ICE of release dates.", "refuses"),
    # a speaker phrase never reaches back across a quotation
    ("speaker-after-quote", "Polk County's jail \"will keep every hold ICE sends us,\" Sheriff Lee "
     "Abner said, referring to ICE's Enforcement and Removal Operations.", "cooperates"),
    # an unplaced "sheriff's office" takes the one county the unit names
    ("unplaced-sheriffs-office", "A sheriff's office spokeswoman said Bibb County will keep its 287(g) "
     "agreement with ICE.", "cooperates"),
]


@pytest.mark.parametrize("text,stance", [r[1:] for r in ROUND8_FOUND], ids=[r[0] for r in ROUND8_FOUND])
def test_round8_found(best, text: str, stance: str) -> None:
    found = best(text)
    assert found is not None and found.stance == stance, found


ROUND8_NOT_FOUND = [
    # "it was not clear whether ..." is a non-answer, like "did not say whether"
    ("not-clear-whether", "It was not clear whether the Mesa Police Department would help with the "
     "ICE operation."),
    ("unclear-if", "It is unclear if the Cobb County Sheriff's Office will honor the ICE detainer."),
    # "calls from X to end it": someone else's demand
    ("calls-from-to-end-it", "Residents renewed calls from the pulpit to end it, but the sheriff has "
     "said nothing about the 287(g) agreement with ICE."),
]


@pytest.mark.parametrize("text", [r[1] for r in ROUND8_NOT_FOUND], ids=[r[0] for r in ROUND8_NOT_FOUND])
def test_round8_not_found(best, text: str) -> None:
    assert best(text) is None


# Round9 (2017-2019 / 2025-2026 waves): each rule with sentences not taken from round9.jsonl.
ROUND9_FOUND = [
    # a state illegal-entry law (Texas SB4 and its copies) is immigration enforcement
    ("illegal-entry-law", "El Paso Police Chief Omar Lujan said officers will not arrest anyone under "
     "the new state illegal entry law while the courts weigh it.", "refuses"),
    # "under a policy adopted by X, the county jail ...": the body is the voice, not the generic jail
    ("under-policy-adopted-by", "Under a policy approved by the Dane County Board of Supervisors, the "
     "county jail will no longer hold anyone for ICE past their release date.", "refuses"),
    # a kind-only agency is placed by the one city the unit names in the possessive
    ("possessive-place-jail", "Denver's jail will no longer hold people for ICE past their release, a "
     "spokeswoman for the county jail said Friday.", "refuses"),
    ("possessive-place-police", "Boise's officers will not ask anyone about immigration status, a "
     "spokesman for the police department said.", "refuses"),
]


@pytest.mark.parametrize("text,stance", [r[1:] for r in ROUND9_FOUND], ids=[r[0] for r in ROUND9_FOUND])
def test_round9_found(best, text: str, stance: str) -> None:
    found = best(text)
    assert found is not None and found.stance == stance, found


ROUND9_NOT_FOUND = [
    # a status word before the speaker phrase ("retired ... chief") is a former official's opinion
    ("retired-chief-lowercase", "In a guest column, retired Tucson police chief Marta Reyes wrote that "
     "officers who help ICE make witnesses stop calling."),
    ("former-sheriff-lowercase", "Speaking at a forum, former Harris County sheriff Leon Pratt said "
     "deputies should honor every ICE detainer."),
    # a possessive state places nothing: an unplaced "the department" stays unidentifiable
    ("possessive-state-unplaced", "Texas's officers will not ask about immigration status, a "
     "spokesman for the department said."),
    # "illegal entry" in a burglary story has no agency act about immigration
    ("illegal-entry-burglary", "Police said there were no signs of illegal entry at the Dallas home, "
     "and the department is investigating the theft."),
]


@pytest.mark.parametrize("text", [r[1] for r in ROUND9_NOT_FOUND], ids=[r[0] for r in ROUND9_NOT_FOUND])
def test_round9_not_found(rule_best, text: str) -> None:
    assert rule_best(text) is None
