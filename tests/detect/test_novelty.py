"""detect.novelty: re-reports of one quote are linked, different quotes are not."""
from __future__ import annotations

import pytest

from detect.novelty import normalize_quote, same_quote


def test_normalize_quote() -> None:
    assert normalize_quote("“We won’t   hold anyone — period,”") == "we wont hold anyone period"


SAME = [
    ("curly-vs-straight", "“We won’t hold anyone for ICE — not one person.”",
     '"We won\'t hold anyone for ICE - not one person."'),
    ("case-and-punctuation", "We will NOT honor ICE detainers, period.", "we will not honor ice detainers period"),
    ("trimmed-by-one-outlet", "Our deputies will not take part in the federal sweep on Tuesday, and that is final.",
     "Our deputies will not take part in the federal sweep on Tuesday"),
    ("two-of-three-sentences",
     "We are not going to arrest anyone based on their immigration status alone. We will not "
     "work with Homeland Security on deportation efforts. That is not our job, nor will I make it our job.",
     "We will not work with Homeland Security on deportation efforts. That is not our job, "
     "nor will I make it our job."),
]
DIFFERENT = [
    ("negation-differs", "Our deputies will not take part in the federal sweep on Tuesday.",
     "Our deputies will take part in the federal sweep on Tuesday."),
    ("excerpt-drops-a-negation",
     "We are not going to work with Homeland Security on deportation efforts, and we never will.",
     "We are going to work with Homeland Security on deportation efforts"),
    ("short-quotes-need-identity", "We will comply.", "We will comply with ICE."),
    ("unrelated", "The jail will keep honoring every detainer it receives from ICE.",
     "Officers will not ask anyone about immigration status during traffic stops."),
    ("empty", "", "We will comply."),
]


@pytest.mark.parametrize("a,b", [s[1:] for s in SAME], ids=[s[0] for s in SAME])
def test_same_quote(a: str, b: str) -> None:
    assert same_quote(a, b) and same_quote(b, a)


@pytest.mark.parametrize("a,b", [d[1:] for d in DIFFERENT], ids=[d[0] for d in DIFFERENT])
def test_different_quote(a: str, b: str) -> None:
    assert not same_quote(a, b)
