"""Fixtures for the detection tests: one compiled Detector per session, a builder."""
from __future__ import annotations

import pytest

from detect import Detector, Statement


@pytest.fixture(scope="session")
def detector() -> Detector:
    """The default Detector (query compiled and gazetteer loaded once)."""
    return Detector()


@pytest.fixture(scope="session")
def best(detector: Detector):
    """``best(text, **kw)``: the strongest relevant statement, or None."""
    def strongest(text: str, **kwargs) -> Statement | None:
        found = detector.find_statements(text, **kwargs)
        return found[0] if found else None
    return strongest


# The rule layer's own score, kept as evidence for the model: 0.5 was its threshold when
# the rules decided alone, and the rule tests still read it so.
RULE_THRESHOLD = 0.5


@pytest.fixture(scope="session")
def rule_best(detector: Detector):
    """``rule_best(text, **kw)``: the rule layer's strongest reading at or above
    RULE_THRESHOLD (before the model weighs it), or None."""
    def strongest(text: str, **kwargs) -> Statement | None:
        found = sorted((s for p in detector.passages(text, **kwargs) for s in p.statements),
                       key=lambda s: -s.score)
        return found[0] if found and found[0].score >= RULE_THRESHOLD else None
    return strongest
