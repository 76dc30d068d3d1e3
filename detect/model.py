"""Data that leaves the detection stage: frozen dataclasses, no behaviour.

Other stages (crawler pipelines, db, alerts, ``beatwire classify``) rely on these
names and fields exactly; change them only together with those callers.
"""
from __future__ import annotations

from dataclasses import dataclass

AGENCY_KINDS = frozenset({"police", "sheriff", "jail", "city", "county", "state"})
STANCES = frozenset({"refuses", "cooperates", "mixed"})
STATEMENT_KINDS = frozenset({"quote", "reported", "agency_voice"})


@dataclass(frozen=True)
class Agency:
    """A law-enforcement agency or the local government body over it.

    ``name`` is canonical ("Los Angeles Police Department"); ``as_written`` is the
    mention as it appeared ("LAPD"). ``kind`` is one of AGENCY_KINDS or None,
    ``state`` a two-letter code or None. An agency we cannot place is kept with
    ``place``/``state`` None rather than dropped.
    """

    name: str
    kind: str | None
    place: str | None
    state: str | None
    as_written: str


@dataclass(frozen=True)
class Statement:
    """One public statement by an agency about cooperating with immigration enforcement.

    ``stance`` is one of STANCES or None; ``kind`` one of STATEMENT_KINDS; ``score``
    is a confidence in [0, 1]; ``cues`` are short human-readable reasons, e.g.
    ``'refuses: "will not honor detainers"'``.
    """

    quote: str
    speaker: str | None
    speaker_title: str | None
    agency: Agency | None
    stance: str | None
    score: float
    cues: tuple[str, ...]
    kind: str
