"""detect.quotes: units built from sentences and quotations."""
from __future__ import annotations

import pytest

from detect.quotes import units
from detect.text import normalize


def make_units(text: str):
    return units(text, normalize(text))


CASES = [
    ("curly-quote-one-unit", "“We will not hold anyone for ICE. Not one person,” Chief Ada Lin said.", 1, True),
    ("straight-quote-one-unit", '"We will not hold anyone for ICE. Not one person," Chief Ada Lin said.', 1, True),
    ("split-by-attribution", "“We won't ask,” Sheriff Bo Tran said. “Our deputies never will.”", 1, True),
    ("colon-intro", "The sheriff gave a short answer: “We honor detainers.”", 1, True),
    ("two-reported-sentences", "The chief spoke Monday. The council voted Tuesday.", 2, False),
    ("abbreviation-not-a-break", "Capt. Rosa Diaz said Lt. Omar Wu will lead it.", 1, False),
]


@pytest.mark.parametrize("text,count,quoted", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_units(text: str, count: int, quoted: bool) -> None:
    found = make_units(text)
    assert len(found) == count
    assert found[0].has_quote is quoted


def test_quote_across_paragraphs_is_one_unit() -> None:
    text = ("Sheriff Mae Ortiz said: “Our jail is not an arm of ICE.\n"
            "“We will keep it that way as long as I hold this office.”")
    found = make_units(text)
    assert len(found) == 1
    assert "keep it that way" in found[0].quoted


def test_outside_masks_quoted_words() -> None:
    unit = make_units("“We will not honor detainers,” said Chief Ana Ruiz.")[0]
    assert "honor" not in unit.outside
    assert "Chief Ana Ruiz" in unit.outside
    assert unit.quoted == "We will not honor detainers,"
