"""Claiming work from the database: due feeds and pending alerts.

A claim is a lease (`claimed_until`) held by someone (`claimed_by`: a worker's id, or a
one-off id for a claim made outside the daemon). The holder owns the row until it
finishes or the lease runs out; a running worker renews the leases of the work in its
hands, and a dead worker's claims are released at once by whoever finds it dead (see
db/workers.py). Writes that end a claim are fenced on the holder, so a worker that lost
its claim writes nothing. Each row is taken with a conditional UPDATE that only succeeds
if nobody holds a live lease, which is correct on SQLite (writes are serialised) and on
PostgreSQL; there `FOR UPDATE SKIP LOCKED` also keeps concurrent workers from queueing
on each other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from db.engine import is_postgres
from db.models import Alert, Feed

CLAIMABLE_ALERT_STATUSES = ("pending", "sending")
CLAIMED = (Feed, Alert)


def one_off_holder() -> str:
    """A holder id for a claim made outside a registered worker (`feeds test`, tools)."""
    return uuid.uuid4().hex


def held_by(model, holder: str | None):
    """The row's claim is `holder`'s (None: nobody's)."""
    return model.claimed_by.is_(None) if holder is None else model.claimed_by == holder


def _free(model, now: datetime):
    return or_(model.claimed_until.is_(None), model.claimed_until < now)


def _take(session: Session, model, candidates, now: datetime, lease: timedelta,
          holder: str) -> list[int]:
    if is_postgres(session):
        candidates = candidates.with_for_update(skip_locked=True)
    taken = []
    for row_id in session.scalars(candidates).all():
        result = session.execute(
            update(model)
            .where(model.id == row_id, _free(model, now))
            .values(claimed_until=now + lease, claimed_by=holder)
        )
        if result.rowcount == 1:
            taken.append(row_id)
    return taken


def claim_due_feeds(session: Session, *, now: datetime, limit: int, lease: timedelta,
                    only: list[int] | None = None, worker: str | None = None,
                    polled_before: datetime | None = None) -> list[Feed]:
    """Lease up to `limit` enabled, not-gone feeds whose next poll has come, for `worker`.

    `only` restricts the claim to those feed ids and ignores `next_poll_at`
    (used by `run --once`, which polls every enabled feed now). `polled_before` leaves out
    feeds polled since then (the `run --once --workers N` children share one cycle). Without
    a worker the claim gets a one-off holder; either way it is in each row's `claimed_by`.
    """
    query = select(Feed.id).where(Feed.enabled.is_(True), Feed.status != "gone", _free(Feed, now))
    if only is None:
        query = query.where(Feed.next_poll_at <= now)
    else:
        query = query.where(Feed.id.in_(only))
    if polled_before is not None:
        # Checked under the row lock (FOR UPDATE re-reads a row another worker just recorded).
        query = query.where(or_(Feed.last_polled_at.is_(None),
                                Feed.last_polled_at < polled_before))
    ids = _take(session, Feed, query.order_by(Feed.next_poll_at).limit(limit), now, lease,
                worker or one_off_holder())
    session.commit()
    return list(session.scalars(select(Feed).where(Feed.id.in_(ids)).order_by(Feed.id)))


def release_feed(session: Session, feed_id: int, holder: str | None = None) -> bool:
    """Give up `holder`'s lease on a feed without recording a poll (shutdown, abandoned work).

    False when the claim is no longer `holder`'s: someone else's lease is left alone.
    """
    result = session.execute(update(Feed).where(Feed.id == feed_id, held_by(Feed, holder))
                             .values(claimed_until=None, claimed_by=None))
    return result.rowcount == 1


def claim_pending_alerts(session: Session, *, now: datetime, limit: int,
                         lease: timedelta, worker: str | None = None) -> list[Alert]:
    """Lease up to `limit` alerts that are due for a (re)try, oldest first, for `worker`."""
    query = (
        select(Alert.id)
        .where(Alert.status.in_(CLAIMABLE_ALERT_STATUSES), Alert.next_attempt_at <= now,
               _free(Alert, now))
        .order_by(Alert.id)
        .limit(limit)
    )
    ids = _take(session, Alert, query, now, lease, worker or one_off_holder())
    session.commit()
    return list(session.scalars(select(Alert).where(Alert.id.in_(ids)).order_by(Alert.id)))


def renew_claims(session: Session, holder: str, *, now: datetime, lease: timedelta,
                 feeds: Collection[int] = (), alerts: Collection[int] = ()) -> int:
    """Extend to `now + lease` the claims `holder` still has on these feeds and alerts.

    Only the work in the holder's hands is named: a claim it lost track of still runs out.
    Returns how many leases were renewed.
    """
    renewed = 0
    for model, ids in ((Feed, feeds), (Alert, alerts)):
        if ids:
            result = session.execute(
                update(model)
                .where(model.id.in_(list(ids)), model.claimed_by == holder,
                       model.claimed_until.is_not(None))
                .values(claimed_until=now + lease))
            renewed += result.rowcount
    return renewed


def release_claims_of(session: Session, holder: str, *, now: datetime,
                      posting_grace: timedelta) -> dict[str, int]:
    """Free every claim `holder` has (a dead worker's): claimable by anyone at once.

    An alert it left `sending` may have a post still on its way to Slack: it is looked
    for in the channel (and only then posted again) `posting_grace` from now, as after a
    post whose answer was lost.
    """
    held = (Alert.claimed_by == holder, Alert.claimed_until.is_not(None))
    session.execute(update(Alert).where(*held, Alert.status == "sending")
                    .values(next_attempt_at=now + posting_grace))
    released = {}
    for model in CLAIMED:
        result = session.execute(
            update(model)
            .where(model.claimed_by == holder, model.claimed_until.is_not(None))
            .values(claimed_until=None, claimed_by=None))
        released[model.__tablename__] = result.rowcount
    return released
