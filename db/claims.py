"""Claiming work from the database: due feeds and pending alerts.

A claim is a lease (`claimed_until`): the claimer owns the row until it
finishes or the lease runs out, so a worker killed mid-task leaves its work to
be re-claimed, never lost. Each row is taken with a conditional UPDATE that
only succeeds if nobody holds a live lease, which is correct on SQLite (writes
are serialised) and on PostgreSQL; there `FOR UPDATE SKIP LOCKED` also keeps
concurrent workers from queueing on each other's rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from db.engine import is_postgres
from db.models import Alert, Feed

CLAIMABLE_ALERT_STATUSES = ("pending", "sending")


def _free(model, now: datetime):
    return or_(model.claimed_until.is_(None), model.claimed_until < now)


def _take(session: Session, model, candidates, now: datetime, lease: timedelta) -> list[int]:
    if is_postgres(session):
        candidates = candidates.with_for_update(skip_locked=True)
    taken = []
    for row_id in session.scalars(candidates).all():
        result = session.execute(
            update(model)
            .where(model.id == row_id, _free(model, now))
            .values(claimed_until=now + lease)
        )
        if result.rowcount == 1:
            taken.append(row_id)
    return taken


def claim_due_feeds(session: Session, *, now: datetime, limit: int, lease: timedelta,
                    only: list[int] | None = None) -> list[Feed]:
    """Lease up to `limit` enabled, not-gone feeds whose next poll has come.

    `only` restricts the claim to those feed ids and ignores `next_poll_at`
    (used by `run --once`, which polls every enabled feed now).
    """
    query = select(Feed.id).where(Feed.enabled.is_(True), Feed.status != "gone", _free(Feed, now))
    if only is None:
        query = query.where(Feed.next_poll_at <= now)
    else:
        query = query.where(Feed.id.in_(only))
    ids = _take(session, Feed, query.order_by(Feed.next_poll_at).limit(limit), now, lease)
    session.commit()
    return list(session.scalars(select(Feed).where(Feed.id.in_(ids)).order_by(Feed.id)))


def release_feed(session: Session, feed_id: int) -> None:
    """Give up a feed's lease without recording a poll (shutdown, abandoned work)."""
    session.execute(update(Feed).where(Feed.id == feed_id).values(claimed_until=None))


def claim_pending_alerts(session: Session, *, now: datetime, limit: int,
                         lease: timedelta) -> list[Alert]:
    """Lease up to `limit` alerts that are due for a (re)try, oldest first."""
    query = (
        select(Alert.id)
        .where(Alert.status.in_(CLAIMABLE_ALERT_STATUSES), Alert.next_attempt_at <= now,
               _free(Alert, now))
        .order_by(Alert.id)
        .limit(limit)
    )
    ids = _take(session, Alert, query, now, lease)
    session.commit()
    return list(session.scalars(select(Alert).where(Alert.id.in_(ids)).order_by(Alert.id)))
