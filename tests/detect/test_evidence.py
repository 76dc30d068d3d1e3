"""detect.evidence: the rule layer's and the lexicon's evidence for one passage."""
from __future__ import annotations

import pytest

from detect import evidence


def gathered(detector, text: str) -> dict[str, float]:
    passages = detector.passages(text)
    statements = sorted((s for p in passages for s in p.statements), key=lambda s: -s.score)
    return evidence.gather(text, statements)


PRESENT = [
    ("official-refusal", "Sheriff Ana Ruiz of Linn County said deputies will not honor ICE detainers.",
     {"rule_refuses", "acts_refuse", "role_official", "speaker_named", "agency_named",
      "lex_federal_agency", "lex_detainer", "lex_negator"}),
    ("condition-read", "The Marlow Police Department honors ICE detainers only with a judicial warrant, "
     "Chief Tom Vail said.", {"rule_condition", "lex_condition", "agency_placed"}),
    ("advocate-voice", "\u201cThe jail should stop holding people for ICE,\u201d said Rosa Lind, an "
     "attorney with the ACLU.", {"lex_excluded_voice", "lex_quote"}),
]


@pytest.mark.parametrize("text,names", [c[1:] for c in PRESENT], ids=[c[0] for c in PRESENT])
def test_evidence_present(detector, text: str, names: set[str]) -> None:
    found = gathered(detector, text)
    assert {n for n in names if found[n] <= 0} == set()


# passage -> is its speaker named?
NAMED = [
    ("a-name-names-the-speaker",
     "Mayor Ines Calvo of Port Alder said the city will not ask anyone about immigration status.",
     1.0),
    ("a-title-alone-names-no-one",
     "The deputy mayor said the city will not ask anyone about immigration status.", 0.0),
]


@pytest.mark.parametrize("text,named", [c[1:] for c in NAMED], ids=[c[0] for c in NAMED])
def test_speaker_named_means_a_name(detector, text: str, named: float) -> None:
    passages = detector.passages(text)
    assert passages and passages[0].statements[0].speaker  # a speaker either way
    assert gathered(detector, text)["speaker_named"] == named


def test_passage_without_rule_statement_says_no_agency() -> None:
    found = evidence.gather("ICE was mentioned once.", [])
    assert found["rule_none"] == 1.0 and found["no_agency"] == 1.0 and found["rule_score"] == 0.0


def test_values_are_bounded_and_ordered_like_names(detector) -> None:
    found = gathered(detector, "Deputies will not hold anyone for ICE, ICE, ICE or ICE, the sheriff said.")
    assert all(0.0 <= v <= 1.0 for v in found.values())
    assert evidence.vector(found) == [found[n] for n in evidence.NAMES]


def test_every_feature_has_plain_words() -> None:
    assert all(f.means and not f.means.startswith(f.name) for f in evidence.FEATURES)
