"""The daily digest: one outbox row summarising the period's new statements.

The row's key is `digest:<date>` (UTC date of `now`), so a second call the same day, or a
second worker, adds nothing. Only primary statements count (re-reports are sources of an
earlier statement, not news), and not a backfill's (alerts `skipped`: a feed's backlog
archived on its first poll is not news either). The payload holds raw text;
`blocks.render_digest` escapes it.

With `[[alerts.routes]]` each route gets its own digest of the statements its filters admit,
keyed `digest:<date>:<route>` and sent where the route sends (alerts/routes.py).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from alerts.routes import Destination, destination_of, facts_of, route_matches
from db.models import Alert, Feed, Statement

log = logging.getLogger(__name__)

MAX_ITEMS = 100
QUOTE_CHARS = 400


def digest_key(now: datetime) -> str:
    return f"digest:{now.date().isoformat()}"


def new_statements(session: Session, since: datetime, until: datetime) -> list[Statement]:
    """Primary statements archived in [since, until), oldest first, backfill left out."""
    backfilled = exists().where(Alert.statement_id == Statement.id, Alert.kind == "statement",
                                Alert.status == "skipped")
    query = (select(Statement)
             .where(Statement.duplicate_of_id.is_(None), Statement.created_at >= since,
                    Statement.created_at < until, ~backfilled)
             .options(selectinload(Statement.agency), selectinload(Statement.article))
             .order_by(Statement.created_at, Statement.id))
    return list(session.scalars(query))


def summarise(statements: list[Statement], *, now: datetime, since: datetime) -> dict:
    """The digest payload: counts by stance and the first MAX_ITEMS statements."""
    counts = Counter(s.stance or "unclear" for s in statements)
    return {
        "date": now.date().isoformat(),
        "since": since.isoformat(),
        "until": now.isoformat(),
        "total": len(statements),
        "counts": dict(counts),
        "stance_changes": sum(1 for s in statements if s.previous_stance
                              and s.previous_stance != s.stance),
        "items": [_item(s) for s in statements[:MAX_ITEMS]],
    }


def _item(statement: Statement) -> dict:
    agency = statement.agency
    article = statement.article
    return {
        "statement_id": statement.id,
        "agency": (agency.name if agency else None) or statement.agency_as_written,
        "state": agency.state if agency else None,
        "stance": statement.stance,
        "previous_stance": statement.previous_stance,
        "speaker": statement.speaker,
        "quote": (statement.quote or "")[:QUOTE_CHARS],
        "url": article.url if article else None,
        "published": article.published.isoformat() if article and article.published else None,
    }


def enqueue_digests(session: Session, *, now: datetime, channel: str, routes=(),
                    period: timedelta = timedelta(days=1)) -> list[Alert]:
    """Add today's digest alerts (flushed, not committed): one per route, or with no routes
    the one for `channel`; a route that has one already, or nothing new, gets none."""
    if not routes:
        alert = enqueue_digest(session, now=now, channel=channel, period=period)
        return [alert] if alert is not None else []
    since = now - period
    statements = new_statements(session, since, now)
    feeds = {feed_id: name for feed_id, name in session.execute(select(Feed.id, Feed.name))}
    facts = [(s, facts_of(s, feeds.get(s.article.feed_id))) for s in statements]
    added = []
    for route in routes:
        mine = [s for s, fact in facts if route_matches(route, fact)]
        alert = _enqueue(session, now, since, destination_of(route), mine)
        if alert is not None:
            added.append(alert)
    return added


def enqueue_digest(session: Session, *, now: datetime, channel: str,
                   period: timedelta = timedelta(days=1)) -> Alert | None:
    """Add today's digest alert (flushed, not committed); None if it exists or nothing is new."""
    since = now - period
    return _enqueue(session, now, since, Destination(channel), None)


def _enqueue(session: Session, now: datetime, since: datetime, place: Destination,
             statements: list[Statement] | None) -> Alert | None:
    """The digest for `place`; `statements` None: this period's, read now."""
    key = place.key(digest_key(now))
    channel = place.channel
    if session.scalar(select(Alert.id).where(Alert.key == key)) is not None:
        return None
    if statements is None:
        statements = new_statements(session, since, now)
    if not statements:
        log.info("digest skipped, nothing new: alert=%s", key)
        return None
    alert = Alert(key=key, kind="digest", channel=channel, route=place.route, sink=place.sink,
                  next_attempt_at=now, payload=summarise(statements, now=now, since=since))
    try:
        with session.begin_nested():  # another worker may have added it since our check
            session.add(alert)
    except IntegrityError:
        return None
    log.info("digest queued: alert=%s statements=%d channel=%s", key, len(statements), channel)
    return alert
