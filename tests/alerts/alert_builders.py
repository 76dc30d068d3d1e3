"""Row builders for the alerts suite (unsaved ORM objects); fixtures live in conftest."""

from __future__ import annotations

import hashlib
import itertools
from datetime import datetime, timezone

from support import T0  # noqa: E402

from db.models import Agency, Alert, Article, Statement

CHANNEL = "#beatwire-alerts"
_numbers = itertools.count(1)


def statement_row(**fields) -> Statement:
    """An unsaved Statement with its Agency and Article; any field may be overridden."""
    n = next(_numbers)
    agency = fields.pop("agency", Agency(name="Los Angeles Police Department", kind="police",
                                         place="Los Angeles", state="CA"))
    article = fields.pop("article", None) or Article(
        url=fields.pop("url", f"https://www.latimes.com/local/story-{n}"),
        url_hash=hashlib.sha256(f"story-{n}".encode()).hexdigest(),
        title=fields.pop("title", "Police chiefs on immigration enforcement"),
        published=fields.pop("published", datetime(2016, 11, 14, tzinfo=timezone.utc)), text="...")
    values = dict(quote="We are not going to work in conjunction with Homeland Security on "
                        "deportation efforts.",
                  quote_key=f"quote-{n}", speaker="Charlie Beck", speaker_title="Chief of Police",
                  agency_as_written="LAPD", stance="refuses", score=0.92,
                  cues=['refuses: "not going to work in conjunction"',
                        "mentions: Homeland Security"],
                  kind="quote")
    values.update(fields)
    return Statement(agency=agency, article=article, **values)


def alert_row(statement: Statement | None = None, *, kind: str = "statement", **fields) -> Alert:
    """An unsaved Alert for `statement`."""
    n = next(_numbers)
    values = dict(key=f"{kind}:{n}", kind=kind, channel=CHANNEL, statement=statement,
                  status="pending", attempts=0, next_attempt_at=T0)
    values.update(fields)
    return Alert(**values)
