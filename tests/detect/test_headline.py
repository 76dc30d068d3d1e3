"""detect.headline: the outlet's headline is never a statement of its own."""
from __future__ import annotations

import pytest

from detect.headline import headline_paragraphs
from detect.text import paragraphs

HEADLINES = [
    ("equal-to-title", "Alder Bay police will not ask about immigration status",
     "Alder Bay police will not ask about immigration status\nBody text follows here.", {0}),
    ("near-equal-title", "Alder Bay Police Won't Ask About Immigration Status",
     "Alder Bay police won't ask about immigration status\nBody text.", {0}),
    ("title-repeated-later", "Sheriff ends 287(g) deal",
     "By Staff Writer\nSheriff ends 287(g) deal\nBody text.", {1}),
    ("shortened-web-headline", "Sheriff ends 287(g) deal with ICE after 10 years | Valley Courier",
     "Sheriff ends 287(g) deal with ICE after 10 years\nBody text.", {0}),
    ("no-title-short-first-line", "",
     "County jail to keep honoring ICE detainers\nThe Polk County Jail will keep holding inmates.", {0}),
]


@pytest.mark.parametrize("title,text,expected", [h[1:] for h in HEADLINES], ids=[h[0] for h in HEADLINES])
def test_headline_paragraphs(title: str, text: str, expected: set[int]) -> None:
    assert headline_paragraphs(text, paragraphs(text), title) == expected


NOT_HEADLINES = [
    ("first-line-is-a-sentence", "",
     "The sheriff said deputies will not honor ICE detainers.\nSecond paragraph."),
    ("single-paragraph", "", "Sheriff says jail will keep honoring detainers"),
    ("unrelated-title", "Storm closes schools across the county",
     "Police will not ask about immigration status\nBody."),
]


@pytest.mark.parametrize("title,text", [n[1:] for n in NOT_HEADLINES], ids=[n[0] for n in NOT_HEADLINES])
def test_not_headlines(title: str, text: str) -> None:
    assert headline_paragraphs(text, paragraphs(text), title) == set()


ARTICLES = [
    ("headline-with-title",
     "Alder Bay police will not ask about immigration status",
     "Alder Bay police will not ask about immigration status\n"
     "“Our officers will not ask anyone about their immigration status,” Alder Bay Police Chief "
     "Mara Quinn said Tuesday."),
    ("headline-without-title", "",
     "Wexford sheriff: jail will stop honoring ICE detainers\n"
     "Wexford County Sheriff Paula Grant said Monday the jail will stop honoring ICE detainers."),
]


@pytest.mark.parametrize("title,text", [a[1:] for a in ARTICLES], ids=[a[0] for a in ARTICLES])
def test_headline_never_becomes_a_statement(detector, title: str, text: str) -> None:
    found = detector.find_statements(text, title=title)
    assert len(found) == 1 and found[0].speaker is not None
    first_line = text.splitlines()[0]
    assert first_line not in found[0].quote


def test_headline_still_counts_for_relevance(detector) -> None:
    """The query reads the title: a body without a police word is still on topic."""
    text = "“We will not hold anyone for ICE,” Sheriff Lou Carver of Dunmore County said."
    assert detector.find_statements(text, title="Dunmore sheriff on immigration holds")
