"""detect.merge: one statement per agency per text."""
from __future__ import annotations

import pytest

from detect import Agency, Statement
from detect.merge import combine_stances, merge_by_agency


def make_statement(stance: str, *, agency: str | None = "Kern County Sheriff's Office", kind: str = "reported",
                   speaker: str | None = None, score: float = 0.7, cue: str = "cue") -> Statement:
    agency_kind = "police" if agency and "Police" in agency else "sheriff"
    place = agency.split(" Police")[0].split(" Sheriff")[0] if agency else None
    found = Agency(agency, agency_kind, place, "CA", agency) if agency else None
    return Statement(f"{stance} words", speaker, None, found, stance, score, (cue,), kind)


@pytest.mark.parametrize("stances,expected", [
    (["refuses", "refuses"], "refuses"),
    (["cooperates"], "cooperates"),
    (["refuses", "cooperates"], "mixed"),
    (["cooperates", "refuses", "cooperates"], "mixed"),
    (["refuses", "mixed"], "mixed"),
    (["mixed", "mixed"], "mixed"),
], ids=["same-refuses", "single", "opposite", "press-release-flip-flop", "with-mixed", "all-mixed"])
def test_combine_stances(stances: list[str], expected: str) -> None:
    assert combine_stances(stances) == expected


def test_one_agency_three_statements_become_one() -> None:
    merged = merge_by_agency([make_statement("cooperates", cue="a"), make_statement("refuses", cue="b", score=0.9),
                              make_statement("cooperates", cue="a")])
    assert len(merged) == 1
    assert merged[0].stance == "mixed" and merged[0].score == 0.9 and merged[0].cues == ("b", "a")


def test_named_quote_beats_reported_beats_agency_voice() -> None:
    voice = make_statement("refuses", kind="agency_voice", score=0.95)
    reported = make_statement("refuses", kind="reported", score=0.9)
    quote = make_statement("refuses", kind="quote", speaker="Ana Ruiz", score=0.6)
    merged = merge_by_agency([voice, reported, quote])
    assert merged[0].speaker == "Ana Ruiz" and merged[0].kind == "quote" and merged[0].score == 0.95
    assert merge_by_agency([voice, reported])[0].kind == "reported"


def test_two_agencies_stay_two() -> None:
    other = make_statement("cooperates", agency="Bakersfield Police Department")
    assert len(merge_by_agency([make_statement("refuses"), other])) == 2


def test_jail_and_sheriff_of_one_county_are_one_agency() -> None:
    jail = Statement("q", None, None, Agency("Kern County Jail", "jail", "Kern County", "CA", "x"),
                     "cooperates", 0.7, (), "reported")
    assert len(merge_by_agency([make_statement("refuses"), jail])) == 1


def test_no_agency_separate_per_speaker() -> None:
    a = make_statement("refuses", agency=None, speaker="Ana Ruiz")
    b = make_statement("cooperates", agency=None, speaker="Bo Lee")
    c = make_statement("cooperates", agency=None, speaker="Ana Ruiz")
    merged = merge_by_agency([a, b, c])
    assert [(s.speaker, s.stance) for s in merged] == [("Ana Ruiz", "mixed"), ("Bo Lee", "cooperates")]


def test_cues_are_capped() -> None:
    many = [make_statement("refuses", cue=f"cue {i}") for i in range(12)]
    assert len(merge_by_agency(many)[0].cues) == 8


ARTICLES = [
    ("press-release-three-paragraphs",
     "The Garland County Sheriff's Office will continue to honor ICE detainers, Sheriff Rob Haines said.\n"
     "The sheriff's office will not ask crime victims about their immigration status, Haines said.\n"
     "Jail staff will also keep notifying ICE before releasing inmates with detainers, the office said.",
     "Garland County Sheriff's Office", "mixed"),
    ("same-stance-twice",
     "“We will not honor ICE detainers,” Riverton County Sheriff Al Diaz said Monday.\n"
     "Diaz said his deputies also will not take part in immigration sweeps with ICE.",
     "Riverton County Sheriff's Office", "refuses"),
]


@pytest.mark.parametrize("text,agency,stance", [a[1:] for a in ARTICLES], ids=[a[0] for a in ARTICLES])
def test_detector_yields_one_statement_per_agency(detector, text: str, agency: str, stance: str) -> None:
    found = detector.find_statements(text)
    assert [(s.agency.name, s.stance) for s in found] == [(agency, stance)]
