"""detect.attribution (through the detector): speaker, title and agency."""
from __future__ import annotations

import pytest

CASES = [
    ("title-name-before-verb",
     "Brookfield Police Chief Nadia Osei said Tuesday that officers will not ask anyone about their immigration status.",
     "Nadia Osei", "Brookfield Police Department"),
    ("agency-title-name-before-verb",
     "Garland County Sheriff's Office spokesman Lt. Theo Banks said the jail will keep honoring ICE detainers.",
     "Theo Banks", "Garland County Sheriff's Office"),
    ("inverted-after-quote",
     "“We do not take part in immigration raids,” said Capt. Irene Vo, a spokeswoman for the Millbrook Police Department.",
     "Irene Vo", "Millbrook Police Department"),
    ("appositive-name-then-title",
     "Omar Reyes, Eastvale Police Department chief, said his officers will not work with ICE on deportations.",
     "Omar Reyes", "Eastvale Police Department"),
    ("told-a-newspaper-is-not-the-agency",
     "Sheriff Lou Carver of the Dunmore County Sheriff's Office told the Dunmore Gazette that deputies will continue to notify ICE of every release.",
     "Lou Carver", "Dunmore County Sheriff's Office"),
    ("according-to-a-memo",
     "Jail staff will no longer give ICE agents access to booking records, according to a memo from jail administrator Maj. Carla Frey of the Rockport County Jail.",
     "Carla Frey", "Rockport County Jail"),
    ("department-said-press-voice",
     "The Alder Bay Police Department will not assist ICE with civil immigration arrests, the department said in a statement.",
     None, "Alder Bay Police Department"),
    ("appositive-clause-skipped",
     "“We hold people on ICE detainers, as the law requires,” Capt. Lena Ford, who runs the Pike County Jail, said Monday.",
     "Lena Ford", "Pike County Jail"),
]


@pytest.mark.parametrize("text,speaker,agency", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_speaker_and_agency(best, text: str, speaker: str | None, agency: str) -> None:
    found = best(text)
    assert found is not None
    assert found.speaker == speaker
    assert found.agency is not None and found.agency.name == agency


def test_he_said_resolves_to_last_named_speaker(best) -> None:
    text = ("Sheriff Paula Grant of the Wexford County Sheriff's Office spoke after the meeting. "
            "Deputies will not hold anyone for ICE past their release date, she said.")
    found = best(text)
    assert found is not None and found.speaker == "Paula Grant"


def test_surname_resolves_to_earlier_speaker(best) -> None:
    text = ("Milton County Sheriff Ray Dunn spoke to reporters on Friday about the budget. "
            "“We will keep our 287(g) agreement with ICE,” Dunn said.")
    found = best(text)
    assert found is not None and found.speaker == "Ray Dunn" and found.stance == "cooperates"


def test_title_is_kept(best) -> None:
    found = best("Undersheriff Jo Park of the Elm County Sheriff's Office said the jail will not honor ICE detainers.")
    assert found is not None and found.speaker_title == "Undersheriff"


EXCLUDED = [
    ("candidate", "Sheriff's candidate Wes Holt said he would sign a 287(g) agreement on his first day."),
    ("advocate", "“The jail still hands people to ICE,” said Rosa Lim, an organizer with the Valley Immigrant Alliance."),
    ("union", "The Fairview Police Officers Association said its members should not do ICE's job."),
    ("federal-official", "An ICE spokesman said the agency expects the Otter County jail to keep honoring detainers."),
    ("single-council-member", "Council member Dev Rao said the city should stop sharing information with ICE."),
    ("former-sheriff", "Former Sheriff Al Voss said he now regrets signing the county's 287(g) agreement."),
    ("congressman", "U.S. Rep. Tom Hale said cities that refuse to honor ICE detainers should lose grants."),
]


@pytest.mark.parametrize("text", [e[1] for e in EXCLUDED], ids=[e[0] for e in EXCLUDED])
def test_voices_that_cannot_speak_for_an_agency(best, text: str) -> None:
    assert best(text) is None


GENERAL = [
    ("comma-before-titled-name",
     "The Lee County Sheriff's Office has signed a 287(g) agreement with U.S. Immigration and Customs Enforcement, "
     "Sheriff Carmen Voss announced Thursday.", "Carmen Voss", "Lee County Sheriff's Office"),
    ("place-word-union-is-not-a-union",
     "Union County Sheriff's Office Capt. Reid Carver said the agency has applied to join the 287(g) program.",
     "Reid Carver", "Union County Sheriff's Office"),
    ("decided-is-a-speech-verb",
     "ICE agents will be allowed to interview inmates at the county jail only if the inmate agrees, "
     "the Santa Clara County Board of Supervisors decided Tuesday.", None, "Santa Clara County Board of Supervisors"),
    ("possessive-place",
     "New Haven's Board of Alders passed a resolution directing police not to hold anyone for federal immigration "
     "authorities.", None, "New Haven Board of Alders"),
    ("parish-sheriff",
     "Jefferson Parish Sheriff Dan Roy said deputies will keep honoring ICE detainers.",
     "Dan Roy", "Jefferson Parish Sheriff's Office"),
    ("police-commissioner-is-not-a-single-member",
     "Suffolk County Police Commissioner Gerard Hale said officers will not go on street sweeps for ICE.",
     "Gerard Hale", "Suffolk County Police Department"),
    ("state-between-county-and-sheriff",
     "Payette County, Idaho Sheriff Dee Lusk said deputies will keep honoring every ICE detainer.",
     "Dee Lusk", "Payette County Sheriff's Office"),
    ("county-named-like-a-state-keeps-its-sheriff",
     "The Washington County Sheriff's Office announced it will end its 287(g) agreement with ICE.",
     None, "Washington County Sheriff's Office"),
    ("jail-named-then-sheriffs-office",
     "“Deputies will ask every person booked into the Bracken County Jail about citizenship and will forward that "
     "information to ICE,” the sheriff's office said.", None, "Bracken County Sheriff's Office"),
]


@pytest.mark.parametrize("text,speaker,agency", [g[1:] for g in GENERAL], ids=[g[0] for g in GENERAL])
def test_general_attribution(best, text: str, speaker: str | None, agency: str) -> None:
    found = best(text)
    assert found is not None and found.speaker == speaker and found.agency.name == agency


@pytest.mark.parametrize("text", [
    "Our sheriff should stop treating ICE detainers as if they were court orders.",
    "The Clark County jail must stop honoring ICE detainers, advocates said.",
], ids=["op-ed-should", "must-from-advocates"])
def test_opinions_about_an_agency_are_not_its_statements(rule_best, text: str) -> None:
    assert rule_best(text) is None


@pytest.mark.parametrize("text,speaker,agency", [
    ("Rumors of status checks are false, the Bexar County Sheriff's Office wrote on Facebook. "
     "“Our deputies do not ask about immigration status,” the post said.", None, "Bexar County Sheriff's Office"),
    ("Nassau County Executive Bruce Kellerman signed an agreement Friday that lets county police detectives act "
     "as immigration officers under the 287(g) program.", "Bruce Kellerman", "Nassau County government"),
], ids=["the-post-said", "county-executive"])
def test_documents_and_county_executives(best, text: str, speaker: str | None, agency: str) -> None:
    found = best(text)
    assert found is not None and found.speaker == speaker and found.agency.name == agency


def test_police_union_is_not_an_agency(best) -> None:
    text = ("The state Fraternal Order of Police said in a statement that it supports a plan to have local "
            "officers assist ICE.")
    assert best(text) is None


def attributed(text: str):
    """Attribution of every unit of ``text`` in order (rule layer only, no learned model)."""
    from detect.agencies import find_mentions
    from detect.attribution import History, attribute
    from detect.quotes import units
    from detect.text import normalize

    norm = normalize(text)
    mentions, history = find_mentions(norm, None), History()
    return [attribute(u.outside, u.start, u.has_quote, mentions, history, u.paragraph)
            for u in units(text, norm)]


# (id, text, speaker of the last unit, its agency's name or None)
RULES = [
    ("bare-surname-before-verb",
     "Halvorsen said deputies will no longer honor ICE detainers without a judge's order.",
     "Halvorsen", None),
    ("bare-surname-after-quote",
     "“We are not going to hold anyone a minute longer for ICE,” Marlowe said.", "Marlowe", None),
    ("discourse-word-is-no-speaker", "Well, the deputy called me, explained the new jail program and left.",
     None, None),
    ("no-answer-is-no-speaker", "No. Officers do not take part in immigration sweeps.", None, None),
    ("inverted-after-comma-titled-name",
     "When the reply names a birthplace abroad, said Sheriff Dana Kirk, deputies will phone ICE.",
     "Dana Kirk", None),
    ("inverted-after-comma-bare-name",
     "The order, said Okafor, does not stop city police from working with ICE on criminal cases.",
     "Okafor", None),
    ("according-to-capitalised-with-acting-chief",
     "According to Pike County acting Police Chief Rosa Tan, officers never ask about immigration status.",
     "Rosa Tan", None),
    ("mayor-after-place",
     "Seattle Mayor Lena Brandt said the city will keep its ordinance limiting help to ICE.",
     "Lena Brandt", "Seattle city government"),
    ("mayor-of-place",
     "Mayor Lena Brandt of Danbury said police will not ask anyone about immigration status.",
     "Lena Brandt", "Danbury city government"),
    ("county-executive-is-the-county",
     "Ulster County Executive Tom Reyes signed an order barring county staff from sharing data with ICE.",
     "Tom Reyes", "Ulster County government"),
    ("county-as-subject-is-its-government",
     "Benton County will keep applying the judge's ruling to every ICE detainer request.",
     None, "Benton County government"),
    ("county-in-state-is-not-the-state",
     "Luna County in New Mexico said this month it would no longer honor ICE detainers.",
     None, "Luna County government"),
    ("large-city-as-subject",
     "Detroit is not a sanctuary city, and its police will keep working with ICE.",
     None, "Detroit city government"),
    ("city-code-speaks-for-the-city",
     "The Tacoma Code of Ordinances says city staff will not carry out federal immigration law.",
     None, "Tacoma city government"),
    ("place-officials-are-its-government",
     "Northbrook officials said local police will not assist ICE agents.",
     None, "Northbrook city government"),
    ("person-as-subject",
     "Okafor signed an executive order barring city employees from helping ICE.", "Okafor", None),
    ("dateline-is-skipped",
     "SPRINGFIELD, Ill. - Sheriff Tom Bale renewed the county's 287(g) agreement with ICE.",
     "Tom Bale", None),
    ("state-police-placed-by-state",
     "Troopers in Virginia will not ask drivers about immigration status, the state police said.",
     None, "Virginia State Police"),
    ("lowercase-city-council",
     "Phoenix city council voted 7-2 against making Phoenix a sanctuary city.",
     None, "Phoenix City Council"),
    ("city-council-of-place",
     "The City Council of Lansing rescinded its sanctuary resolution.", None, "Lansing City Council"),
    ("village-of-place",
     "The Village of Ellicottville has no plans to pass a sanctuary law.", None, "Village of Ellicottville"),
    ("commissioners-placed-by-the-county-named",
     "Commissioners voted 4-1 to declare Dallas County a welcoming community for immigrants.",
     None, "Dallas County Commissioners"),
    ("town-board-kept-as-written",
     "By a 4-1 margin, the town board agreed to declare itself a sanctuary town.", None, "town board"),
    ("newspaper-is-no-source",
     "According to the Millbrook Gazette, county commissioners approved a measure limiting ICE holds.",
     None, None),
    ("titled-possessive-name",
     "Sheriff Dale Price's office said it will stop housing ICE detainees.", "Dale Price", None),
    ("comma-does-not-join-two-people",
     "In a letter to ICE director Tom Hale, Clarke said the county would help with deportations.",
     "Clarke", None),
    ("surname-is-the-official-named-in-passing-with-appositive",
     "Voters here know Dee Lusk, the longtime sheriff of Payette County. "
     "“We hold people for ICE only on a warrant,” Lusk said.", "Dee Lusk", "Payette County Sheriff's Office"),
    ("surname-is-the-titled-official-named-in-passing",
     "The board met with Sheriff Dee Lusk on Tuesday. Deputies will not ask about status, Lusk said.",
     "Dee Lusk", None),
    ("the-sheriff-is-the-sheriff-named-before",
     "The board met with Sheriff Dee Lusk on Tuesday. Deputies will not ask about status, the sheriff said.",
     "Dee Lusk", None),
    ("the-chief-is-not-the-sheriff",
     "The board met with Sheriff Dee Lusk on Tuesday. Officers will not ask about status, the chief said.",
     "the chief", None),
    ("reiterated-is-a-speech-verb",
     "Sheriff Nora Vell spoke Monday. The jail will not hold anyone for ICE past release, she reiterated.",
     "Nora Vell", None),
    ("assured-is-a-speech-verb",
     "Chief Omar Dahl met pastors on Sunday. Officers do not ask about immigration status, he assured them.",
     "Omar Dahl", None),
    ("appositive-between-dashes-is-skipped",
     "In the week after the state passed its new jail funding law and the governor signed it into law "
     "last spring Sheriff Omar Dahl - who hosted a rally in a hall the county owns - told reporters that "
     "deputies will not help with deportations.", "Omar Dahl", None),
    ("transcript-label-names-the-speaker",
     "TESSLER: Over ten years in the 287(g) program, we have handed about 900 people to ICE.",
     "Tessler", None),
    ("titled-transcript-label",
     "SHERIFF ANN CORVIN: We hold people on detainers only with a judge's warrant.", "Ann Corvin", None),
    ("header-label-is-no-speaker",
     "UPDATE: The county jail will no longer hold people for ICE.", None, None),
    ("outline-section-label-is-no-speaker",
     "B. DETENTION: Members shall not detain anyone solely to check immigration status.", None, None),
    ("titled-agency-noun-is-kept",
     "Drivers will not be asked about status, a Department of Public Safety spokesperson said.",
     None, "Department of Public Safety"),
]


@pytest.mark.parametrize("text,speaker,agency", [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_attribution_rules(text: str, speaker: str | None, agency: str | None) -> None:
    found = attributed(text)[-1]
    assert found.speaker == speaker
    if agency is not None:
        assert found.agency is not None and found.agency.name == agency


def test_quotation_alone_goes_on_with_the_last_speaker() -> None:
    text = ("Sheriff Ana Ruiz said the jail will not hold anyone for ICE past release.\n\n"
            "“If agents want someone, they can bring a warrant signed by a judge.”")
    assert [a.speaker for a in attributed(text)] == ["Ana Ruiz", "Ana Ruiz"]


def test_release_author_is_the_local_office_not_ice() -> None:
    text = ("In a news release, Sheriff Dale Price of the Orange County Sheriff's Office said the jail "
            "will stop housing detainees. The office is also ending its contract with ICE, the release states.")
    found = attributed(text)[-1]
    assert found.agency is not None and found.agency.name == "Orange County Sheriff's Office"


def rule_lead(detector, text: str):
    """The rule layer's reading of ``text`` as training sees it: the first passage's first
    statement (``train.rule_evidence``), before the learned model weighs anything."""
    passages = detector.passages(text)
    return passages[0].statements[0] if passages else None


# (id, text, speaker, agency name; None: no agency; ANY: not asked): a title with no name
# (rule 4f).
ANY = "any agency"
UNNAMED_HOLDERS = [
    ("head-title-alone-is-its-unnamed-holder",
     "The Deputy Mayor reiterated on Monday that city officers leave civil immigration cases to federal agents.",
     "the deputy mayor", "city government"),
    ("title-possessive-order-is-the-holders-act",
     "The mayor's order bars city staff from sharing home addresses with ICE unless a judge signs a warrant.",
     "the mayor", "city government"),
    ("unnamed-sheriff-takes-the-county-named",
     "Deputies in Harlan County will keep honoring every ICE detainer, the sheriff said.",
     "the sheriff", "Harlan County Sheriff's Office"),
    ("title-after-a-bare-surname-is-that-speaker",
     "“We will not hold anyone for ICE,” Okonkwo said. “Officers answer to this city,” the mayor added.",
     "Okonkwo", None),
    ("an-adverb-opener-is-no-surname-to-title",
     "Secondly, deputies are not immigration agents. The sheriff will not hold anyone for ICE without a warrant.",
     "the sheriff", ANY),
    ("a-rank-names-no-holder",
     "Officers will not ask drivers about their immigration status, the officer said.",
     None, ANY),
    ("plural-titles-name-no-holder",
     "Police chiefs across the region said they will not join ICE sweeps.", None, ANY),
    ("a-possessive-of-a-staffer-is-no-holder",
     "His chief of staff said the jail will stop honoring ICE detainers.", None, ANY),
]


@pytest.mark.parametrize("text,speaker,agency", [u[1:] for u in UNNAMED_HOLDERS],
                         ids=[u[0] for u in UNNAMED_HOLDERS])
def test_a_title_without_a_name(detector, text: str, speaker: str | None, agency: str | None) -> None:
    found = rule_lead(detector, text)
    assert found is not None and found.speaker == speaker
    assert agency is ANY or (found.agency.name if found.agency else None) == agency


def test_unnamed_holder_is_an_official_with_the_title() -> None:
    found = attributed("The mayor's order bars city staff from sharing home addresses with ICE.")[-1]
    assert (found.speaker, found.title, found.role) == ("the mayor", "mayor", "official")


# (id, text, agency name or None): a body named by its members or role noun acts as one;
# its speaker stays unnamed, as for councils ("Commissioners voted ...").
BODIES = [
    ("lower-case-members-are-the-body",
     "After a long hearing, commissioners voted 3-2 to keep the jail's 287(g) agreement with ICE.",
     "commissioners"),
    ("body-after-a-clause-between-dashes",
     "Last spring - well before the election - supervisors voted to end the jail's contract with ICE.",
     "supervisors"),
    ("members-placed-by-the-county-named",
     "Commissioners in Lamar County voted 4-1 to approve a resolution backing the sheriff's 287(g) agreement.",
     "Lamar County Commissioners"),
    ("body-with-no-act-keeps-its-voice",
     "By a 3-2 vote, the village board approved a resolution declaring the village a sanctuary for immigrants.",
     "village board"),
    ("wire-dateline-without-a-dash-is-skipped",
     "RIVERTON (AP) The Riverton City Council voted to end the city's agreement with ICE.",
     "Riverton City Council"),
    ("a-scene-before-the-subject-is-not-the-voice",
     "In Dade County, the county jail honors ICE detainers only for people charged with felonies.",
     "county jail"),
    ("a-single-member-is-not-the-body",
     "The council member voted against the city's sanctuary resolution on ICE detainers.", None),
    ("a-federal-body-voting-is-no-local-body",
     "Federal commissioners voted to expand the detention of immigrants held for ICE.", None),
    ("a-state-body-voting-is-no-local-body",
     "The Senate Judiciary Committee voted to cut grants to sanctuary cities.", None),
]


@pytest.mark.parametrize("text,agency", [b[1:] for b in BODIES], ids=[b[0] for b in BODIES])
def test_a_body_named_by_its_members(detector, text: str, agency: str | None) -> None:
    found = rule_lead(detector, text)
    assert found is not None and found.speaker is None
    assert (found.agency.name if found.agency else None) == agency


@pytest.mark.parametrize("text,role", [
    ("After a long hearing, commissioners voted 3-2 to keep the jail's 287(g) agreement with ICE.", "body"),
    ("The council member voted against the city's sanctuary resolution on ICE detainers.", "excluded"),
    ("Federal commissioners voted to expand the detention of immigrants held for ICE.", "federal"),
], ids=["members-act-as-a-body", "one-member-is-excluded", "federal-members-are-federal"])
def test_role_of_a_voting_body(text: str, role: str) -> None:
    assert attributed(text)[-1].role == role


# (id, text, speaker, agency name or None): a bare surname speaks, never introduced in the
# excerpt; the paragraph it closes is that speaker's when no one else is named in it.
SURNAMES = [
    ("surname-closing-the-paragraph-is-its-voice",
     "Either way, the booking clerk notifies ICE before each release. Most of the time nobody comes for the "
     "person, Okafor said.", "Okafor", None),
    ("surname-after-a-he-said-with-no-one-before",
     "The agency will not take part in immigration sweeps, he said. However, Brannigan later stated that "
     "deputies would work with ICE on criminal cases.", "Brannigan", None),
    ("surname-adverb-verb-is-a-subject",
     "Brannigan recently shared a video saying deputies will not honor ICE detainers without a warrant.",
     "Brannigan", None),
    ("a-weekday-is-no-surname",
     "Deputies will not honor ICE detainers without a warrant, Tuesday said.", None, None),
    ("a-month-is-no-surname",
     "Deputies will not honor ICE detainers without a warrant, March said.", None, None),
    ("a-county-is-its-government-not-a-surname",
     "Deputies will not honor ICE detainers without a warrant, Monroe County said.", None,
     "Monroe County government"),
    ("a-group-noun-is-no-surname",
     "Lawmakers said every county jail must honor ICE detainers.", None, ANY),
    ("a-named-agency-keeps-its-own-sentence",
     "The Dane County Sheriff's Office will keep honoring ICE detainers. Nobody asked us about it, Okafor said.",
     None, "Dane County Sheriff's Office"),
    ("an-advocate-is-not-the-paragraphs-voice",
     "Either way, nobody is held for ICE past release anymore. That is not enough, said Rosa Lim, an "
     "organizer with the Valley Immigrant Alliance.", None, None),
]


@pytest.mark.parametrize("text,speaker,agency", [s[1:] for s in SURNAMES], ids=[s[0] for s in SURNAMES])
def test_a_bare_surname_speaks(detector, text: str, speaker: str | None, agency: str | None) -> None:
    found = rule_lead(detector, text)
    assert found is not None and found.speaker == speaker
    assert agency is ANY or (found.agency.name if found.agency else None) == agency


def test_a_bare_surname_has_no_role() -> None:
    """The learned model, not the rules, decides whether an unknown voice is relevant."""
    found = attributed("Deputies will not honor ICE detainers without a warrant, Okafor said.")[-1]
    assert (found.speaker, found.role, found.agency) == ("Okafor", "unknown", None)
