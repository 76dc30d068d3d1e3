"""Re-reports of one quote match; different statements do not."""

import pytest

from detect.novelty import normalize_quote, same_quote

BECK = ("We are not going to work in conjunction with Homeland Security on deportation "
        "efforts. That is not our job, nor will I make it our job.")


@pytest.mark.parametrize(
    "a, b, same",
    [
        (BECK, BECK.replace("'", "\u2019"), True),
        (BECK, "We are not going to work in conjunction with Homeland Security on deportation "
               "efforts,", True),
        (BECK, "“We are not going to work in conjunction with homeland security on deportation "
               "efforts — that is not our job, nor will I make it our job.”", True),
        (BECK, "We are going to work in conjunction with Homeland Security on every "
               "deportation effort they ask us to join.", False),
        (BECK, "Our deputies will continue to honor every ICE detainer we receive.", False),
        ("No comment.", "No comment", True),
        ("We will comply.", "We will not comply.", False),
        ("", BECK, False),
    ],
    ids=["curly-apostrophe", "trimmed-sentence", "dash-and-case", "opposite-claim",
         "different-statement", "short-exact", "short-differs", "empty"],
)
def test_same_quote(a, b, same):
    assert same_quote(a, b) is same
    assert same_quote(b, a) is same


def test_normalize_quote_unifies_quotes_dashes_and_space():
    assert normalize_quote("“We won’t  hold — anyone,” he said.") == "we wont hold anyone he said"
