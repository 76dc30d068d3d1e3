"""Statement detection: find agencies' statements about cooperating with immigration
enforcement in news text. Pure (text in, statements out); see DESIGN.md.

Stages, one module each: ``query`` (relevance query), ``quotes`` (statement units),
``attribution`` (speaker, title, agency), ``agencies`` and ``places`` (canonical
agencies, gazetteer), ``scope`` and ``stance`` (refuses / cooperates / mixed), ``score``;
``text`` holds the shared splitting and normalising; ``lexicon`` the word classes all of
them share. ``evidence`` turns what the rules read into named features, ``classifier``
(the learned decision, model in ``data/``, rebuilt by ``train``) makes the call;
``detector`` runs them in order, ``novelty`` links re-reports of one quote; ``classify``,
``explain``, ``evaluate`` and ``snapshot`` are the command-line faces.
"""
from __future__ import annotations

from functools import lru_cache

from .detector import Detector
from .model import Agency, Statement
from .query import DEFAULT_QUERY, QueryError, parse_query

__all__ = ["Agency", "Statement", "Detector", "find_statements", "QueryError", "DEFAULT_QUERY",
           "parse_query", "default_detector"]


@lru_cache(maxsize=1)
def default_detector() -> Detector:
    """The shared Detector with the default query and threshold (built on first use)."""
    return Detector()


def find_statements(text: str, *, title: str = "",
                    agency_voice: str | None = None) -> list[Statement]:
    """Relevant statements in ``text`` using the default Detector, strongest first."""
    return default_detector().find_statements(text, title=title, agency_voice=agency_voice)
