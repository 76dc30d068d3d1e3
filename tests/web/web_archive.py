"""The web suite's archive (what the `archive` fixture stores, its texts by name) and how a
test reads a page."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime, timezone

SCRIPT = "<script>alert(1)</script>"
KERN = "Kern County Sheriff's Office"
REFUSAL = f"We will not hold anyone on an ICE detainer {SCRIPT} without a judge's warrant."
TURN = "Our deputies will now notify ICE before releasing anyone with a detainer."
DENVER = "Officers will not ask about immigration status during traffic stops."


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Archive:
    """What the `archive` fixture stored, by name."""

    refusal: int         # Kern's refusal (the quote holds a <script>)
    rereport: int        # the same refusal re-reported by a second outlet
    turn: int            # Kern's later cooperation: a stance change
    denver: int          # another agency, another state
    hostile_link: int    # a statement whose article URL is javascript:
    kern: int            # the Kern agency's id
    refusal_url: str
    rereport_url: str


def text(page: str) -> str:
    """What a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
