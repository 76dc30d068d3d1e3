"""detect.query: Lucene-style syntax compiled once, evaluated over tokens."""
from __future__ import annotations

import pytest

from detect import DEFAULT_QUERY, QueryError
from detect.query import parse_query

MATCHES = [
    ("term", "sheriff", "The Sheriff spoke.", True),
    ("term-is-whole-token", "sheriff", "The sheriffdom of old.", False),
    ("caps-term-is-case-sensitive", "ICE", "Black ice closed Route 9.", False),
    ("caps-term-matches-agency", "ICE", "ICE lodged a detainer.", True),
    ("wildcard", "deport*", "Deportations rose.", True),
    ("single-char-wildcard", "polic?", "The police said.", True),
    ("phrase", '"judicial warrant"', "without a judicial  warrant", True),
    ("phrase-order", '"judicial warrant"', "a warrant that is judicial", False),
    ("287g-phrase", '"287(g)"', "its 287(g) agreement", True),
    ("proximity-in-window", '"sheriff detainer"~3', "the detainer, the sheriff said", True),
    ("proximity-too-far", '"sheriff detainer"~1', "the detainer was lodged by ICE, the sheriff said", False),
    ("and", "ICE AND jail", "ICE visited the jail", True),
    ("and-missing", "ICE AND jail", "ICE visited the court", False),
    ("or", "jail OR sheriff", "the sheriff", True),
    ("not", "ICE NOT scam", "an ICE scam warning", False),
    ("prohibit", "ICE -scam", "ICE agents at the jail", True),
    ("implicit-and", "ICE jail", "ICE only", False),
    ("groups", "(ICE OR CBP) AND (jail OR sheriff)", "CBP and the sheriff", True),
    # round6: the default query knows "have papers" and the Warrant Service Officer program
    ("default-have-papers", DEFAULT_QUERY, "No officer will ask whether a victim has or does not "
     "have papers, the police chief said.", True),
    ("default-wso", DEFAULT_QUERY, "The sheriff will stay in the Warrant Service Officer program.", True),
    ("default-newspapers", DEFAULT_QUERY, "The sheriff said newspapers have covered the jail.", False),
    # the default query takes the lexicon's federal agencies (ERO and the CBP's full name too)
    ("default-ero", DEFAULT_QUERY, "ERO officers met the sheriff at the jail.", True),
    ("default-cbp-name", DEFAULT_QUERY, "Customs and Border Protection and the police chief met.", True),
    ("default-ero-is-capitals", DEFAULT_QUERY, "The sheriff said the hero of the day was a deputy.", False),
]


@pytest.mark.parametrize("query,text,expected", [m[1:] for m in MATCHES], ids=[m[0] for m in MATCHES])
def test_match(query: str, text: str, expected: bool) -> None:
    assert (parse_query(query).match(text) is not None) is expected


BAD = [
    ("unbalanced", "ICE AND (jail"),
    ("field", "title:ICE"),
    ("fuzzy", "sherif~2"),
    ("empty", "   "),
    ("dangling-operator", "ICE AND"),
]


@pytest.mark.parametrize("query", [b[1] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_query_raises_query_error(query: str) -> None:
    with pytest.raises(QueryError) as err:
        parse_query(query)
    assert str(err.value)


def test_cue_names_matched_terms() -> None:
    cue = parse_query("ICE AND sheriff").cue("The sheriff met ICE.")
    assert cue == "query: ICE AND sheriff"


@pytest.mark.parametrize("text", [
    "The school board approved a new bus contract on Monday.",
    "Deputies seized 40 dogs and took them to an animal rescue.",
], ids=["school-board", "animal-rescue"])
def test_default_prefilter_rejects_off_topic(text: str) -> None:
    assert parse_query(DEFAULT_QUERY).prefilter(text) is False


def test_default_query_accepts_on_topic() -> None:
    text = "The sheriff said the jail will keep honoring ICE detainers."
    assert parse_query(DEFAULT_QUERY).match(text) is not None
