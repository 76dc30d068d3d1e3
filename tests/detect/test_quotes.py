"""detect.quotes: units built from sentences and quotations."""
from __future__ import annotations

import re

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


def collapsed(found) -> list[str]:
    """Each unit's ``outside`` with every run of masked characters shown as one ``~``."""
    return [re.sub("~+", "~", u.outside) for u in found]


# Written sentences and the reporter's words of each unit they make (quoted words masked).
WRITTEN = [
    ("quote-then-speaker", "“We will not hold anyone for ICE,” Chief Ada Lin said.",
     ['"~" Chief Ada Lin said.']),
    ("split-by-attribution", "“We won't ask,” Sheriff Bo Tran said. “Our deputies never will.”",
     ['"~" Sheriff Bo Tran said. "~"']),
    ("colon-intro", "The sheriff gave a short answer: “We honor detainers.”",
     ['The sheriff gave a short answer: "~"']),
    ("straight-quotes", '"We will not," Chief Ana Ruiz said of the request.',
     ['"~" Chief Ana Ruiz said of the request.']),
    ("quote-inside-a-sentence",
     "Mayor Joy Pratt called the policy “a promise we keep” and said it will stay.",
     ['Mayor Joy Pratt called the policy "~" and said it will stay.']),
    ("reported-speech", "Okanee County Sheriff Tomas Breck said the jail will honor detainers.",
     ["Okanee County Sheriff Tomas Breck said the jail will honor detainers."]),
    ("two-reported-sentences", "The chief spoke Monday. The council voted Tuesday.",
     ["The chief spoke Monday.", "The council voted Tuesday."]),
]


@pytest.mark.parametrize("sentence,outside", [w[1:] for w in WRITTEN], ids=[w[0] for w in WRITTEN])
def test_a_sentence_masks_alike_alone_and_in_a_large_paragraph(sentence: str, outside) -> None:
    assert collapsed(make_units(sentence)) == outside
    found = make_units(" ".join([sentence] * 400))  # tens of kilobytes, hundreds of quotes
    assert collapsed(found) == outside * 400
    assert [u.text for u in found] == [u.text for u in make_units(sentence)] * 400


def test_a_quote_run_over_many_paragraphs_is_one_unit() -> None:
    text = "\n".join(["Sheriff Mae Ortiz said: “Our jail is not an arm of ICE."]
                     + ["“We will keep it that way."] * 300 + ["“That is final.”"])
    (unit,) = make_units(text)
    assert re.sub("~+", "~", unit.outside) == 'Sheriff Mae Ortiz said: "~' + ' "~' * 300 + ' "~"'
    assert unit.quoted.count("We will keep it that way.") == 300
