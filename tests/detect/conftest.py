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
