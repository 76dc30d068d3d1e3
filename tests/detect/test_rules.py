"""detect.rules as data: every rule finds its examples (with the polarity after negation)
and no act in its counterexamples; the shared lexicon spells each concept for all copies;
score's past year is measured against the article's year."""
from __future__ import annotations

import re

import pytest

from detect import DEFAULT_QUERY, lexicon
from detect.attribution import Attribution
from detect.fallback import ENFORCEMENT_RE
from detect.model import Agency
from detect.query import parse_query
from detect.rules import _STRONG_RE, RULES, TOPIC_RE, Rule, topic_hits
from detect.score import past_year, score
from detect.stance import decide, rule_acts

_READS = {1: "cooperates", -1: "refuses"}


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9()]+", text.lower())[:7])


EXAMPLES = [(rule, text, polarity) for rule in RULES for text, polarity in rule.examples]
COUNTEREXAMPLES = [(rule, text) for rule in RULES for text in rule.counterexamples]
EXAMPLE_IDS = [f"{r.name}-{_READS[p]}-{_slug(t)}" for r, t, p in EXAMPLES]
COUNTEREXAMPLE_IDS = [f"{r.name}-no-act-{_slug(t)}" for r, t in COUNTEREXAMPLES]


def _acts(rule: Rule, text: str) -> list:
    """The rule's acts in ``text`` read as one paragraph (topical when it names immigration)."""
    return rule_acts(rule, text, topical=bool(topic_hits(text)))


@pytest.mark.parametrize("rule,text,polarity", EXAMPLES, ids=EXAMPLE_IDS)
def test_rule_finds_its_example(rule: Rule, text: str, polarity: int) -> None:
    assert polarity in [a.polarity for a in _acts(rule, text)]


@pytest.mark.parametrize("rule,text", COUNTEREXAMPLES, ids=COUNTEREXAMPLE_IDS)
def test_rule_finds_no_act_in_its_counterexample(rule: Rule, text: str) -> None:
    assert not _acts(rule, text)


def test_every_rule_has_examples_and_a_counterexample() -> None:
    assert all(r.examples and r.counterexamples for r in RULES)


def test_example_ids_are_unique() -> None:
    ids = EXAMPLE_IDS + COUNTEREXAMPLE_IDS
    assert len(ids) == len(set(ids))


SHARED = [(c, t, True) for c in lexicon.SHARED for t in c.examples] + \
    [(c, t, False) for c in lexicon.SHARED for t in c.counterexamples]


@pytest.mark.parametrize("word_class,text,found", SHARED,
                         ids=[f"{c.name}-{'finds' if f else 'ignores'}-{_slug(t)}"
                              for c, t, f in SHARED])
def test_shared_word_class_examples(word_class: lexicon.WordClass, text: str, found: bool) -> None:
    assert (word_class.count(text) > 0) is found


AGENCIES = [a for a in lexicon.FEDERAL_ACRONYMS] + [n.title() for n in lexicon.FEDERAL_NAMES]


@pytest.mark.parametrize("agency", AGENCIES, ids=[_slug(a) for a in AGENCIES])
def test_every_copy_knows_every_federal_agency(agency: str) -> None:
    """The act rules' objects, the topic test, the fallback and the default query agree."""
    text = f"The sheriff said deputies will work with {agency} at the jail."
    assert _STRONG_RE.search(text) and ENFORCEMENT_RE.search(text)
    assert topic_hits(text) and TOPIC_RE.search(text)
    if agency != "I.C.E.":  # three one-letter tokens: the query spells ICE instead
        assert parse_query(DEFAULT_QUERY).match(text) is not None


@pytest.mark.parametrize("text", [
    "Black ice closed the bridge, the police said.",
    "NICE guidelines were read to the city council.",
    "The sheriff hired an ERA consultant for the jail.",
], ids=["black-ice", "nice-is-no-ice", "era-is-no-ero"])
def test_no_copy_reads_lower_case_or_longer_words_as_an_agency(text: str) -> None:
    assert not topic_hits(text) and not TOPIC_RE.search(text)
    assert not ENFORCEMENT_RE.search(text) and parse_query(DEFAULT_QUERY).match(text) is None


@pytest.mark.parametrize("text", [
    "The county's 287(g) deal with Customs and Border Protection, the sheriff said.",
    "Officers do not ask whether someone is here illegally or in the country legally.",
    "A state illegal entry law, the Border Patrol, and HSI or I.C.E. agents.",
], ids=["names-and-287g", "legal-stems", "anchors-and-acronyms"])
def test_topic_hits_are_the_topic_regex_offsets(text: str) -> None:
    assert topic_hits(text) == [m.start() for m in TOPIC_RE.finditer(text)]


PAST_YEARS = [
    ("two-years-before-is-past", "The board voted in 2022.", 2024, True),
    ("last-year-is-not-past", "The board voted in 2023.", 2024, False),
    ("same-year-is-not-past", "The board voted in 2024.", 2024, False),
    ("future-year-is-not-past", "The agreement runs until 2027.", 2024, False),
    ("old-article-old-year", "The board voted in 2016.", 2018, True),
    ("old-article-own-year", "The board voted in 2018.", 2018, False),
    ("before-1950-is-no-year", "Deputies patrol the 1900 block.", 2024, False),
    ("no-year", "The board voted on Monday.", 2024, False),
]


@pytest.mark.parametrize("text,year,past", [p[1:] for p in PAST_YEARS],
                         ids=[p[0] for p in PAST_YEARS])
def test_past_year_is_measured_against_the_article_year(text: str, year: int, past: bool) -> None:
    assert past_year(text, year) is past


def test_past_year_defaults_to_this_year() -> None:
    assert past_year("The board voted in 1990.") and not past_year("The board voted in 2999.")


def test_score_takes_off_a_past_year_of_an_action() -> None:
    text = "The county commission voted in 2022 to end its 287(g) agreement."
    stance = decide(text, topical=True)
    agency = Agency("Polk County Commission", "county", "Polk County", "FL", "county commission")
    attr = Attribution(agency=agency, role="body", voice="action")
    recent = score(stance, attr, "action", text, False, year=2023)
    assert score(stance, attr, "action", text, False, year=2024) == round(recent - 0.25, 3)
