"""detect.lexicon: every word class finds its own examples and none of its counterexamples."""
from __future__ import annotations

import pytest

from detect import lexicon

CASES = [(c, text, True) for c in lexicon.CLASSES for text in c.examples] + \
    [(c, text, False) for c in lexicon.CLASSES for text in c.counterexamples]


@pytest.mark.parametrize("word_class,text,found", CASES,
                         ids=[f"{c.name}-{'example' if f else 'counterexample'}-{i}"
                              for i, (c, _, f) in enumerate(CASES)])
def test_word_class_examples(word_class: lexicon.WordClass, text: str, found: bool) -> None:
    assert (word_class.count(text) > 0) is found


def test_every_class_has_an_example_and_a_counterexample() -> None:
    assert all(c.examples and c.counterexamples for c in lexicon.CLASSES)


def test_class_names_are_unique() -> None:
    assert len(lexicon.BY_NAME) == len(lexicon.CLASSES)
