"""The seed article (a copy of ../shared/seed, kept in demo/site) yields its four statements."""
from __future__ import annotations

from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[2] / "demo" / "site" / "police-immigration-statements-2016.txt"


@pytest.fixture(scope="module")
def statements(detector):
    return detector.find_statements(SEED.read_text(encoding="utf-8"))


def find(statements, agency_part: str, speaker: str | None):
    for s in statements:
        if s.agency is not None and agency_part in s.agency.name and s.speaker == speaker:
            return s
    raise AssertionError(f"no statement by {speaker!r} for {agency_part!r}: "
                         f"{[(s.speaker, s.agency and s.agency.name) for s in statements]}")


def test_beck_lapd_refuses(statements) -> None:
    found = find(statements, "Los Angeles Police Department", "Charlie Beck")
    assert found.stance == "refuses" and found.kind == "quote"


def test_magnus_tucson_refuses(statements) -> None:
    found = find(statements, "Tucson Police", "Chris Magnus")
    assert found.stance == "refuses" and found.agency.state == "AZ"


def test_denver_department_itself_refuses(statements) -> None:
    assert find(statements, "Denver Police Department", None).stance == "refuses"


def test_scroggin_la_county_sheriff(statements) -> None:
    found = find(statements, "Los Angeles County Sheriff's Department", "Jeff Scroggin")
    assert found.stance is not None and "Capt." in (found.speaker_title or "")


def test_strongest_first(statements) -> None:
    scores = [s.score for s in statements]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
