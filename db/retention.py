"""Retention: fetch_log rows (one per poll) and failed entries older than
`archive.fetch_log_days` are deleted, in one pass.

A daemon polling 1,000 feeds every 15 minutes adds about 96,000 fetch_log rows a day, kept by
nothing: they only explain recent polls (`feeds list`, /metrics). A failed entry whose last
attempt is older than the window goes too: if its feed still carries it, it gets its 3
attempts again (db.failures), a few tries a month rather than one on every poll. Rows go in
batches of BATCH, each its own transaction, so neither engine holds a long write lock or a
huge transaction while the crawl goes on writing beside it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from db.engine import transaction
from db.models import FailedEntry, FetchLog

log = logging.getLogger(__name__)

BATCH = 5_000


class Pruned(NamedTuple):
    """How many rows one retention pass deleted, per table."""

    fetch_log: int
    failed_entries: int


def prune(sessions: sessionmaker[Session], *, now: datetime, days: int,
          batch: int = BATCH) -> Pruned:
    """Delete the fetch_log rows and failed entries older than `days` days before `now`."""
    return Pruned(prune_fetch_log(sessions, now=now, days=days, batch=batch),
                  prune_failed_entries(sessions, now=now, days=days, batch=batch))


def prune_fetch_log(sessions: sessionmaker[Session], *, now: datetime, days: int,
                    batch: int = BATCH) -> int:
    """Delete the fetch_log rows fetched more than `days` days before `now`, `batch` rows
    per transaction; how many went."""
    return _prune(sessions, FetchLog.fetched_at, now - timedelta(days=days), batch, days)


def prune_failed_entries(sessions: sessionmaker[Session], *, now: datetime, days: int,
                         batch: int = BATCH) -> int:
    """Delete the failed entries last tried more than `days` days before `now` (failed_at
    is set on every attempt), `batch` rows per transaction; how many went."""
    return _prune(sessions, FailedEntry.failed_at, now - timedelta(days=days), batch, days)


def _prune(sessions: sessionmaker[Session], stamp: InstrumentedAttribute[datetime],
           cutoff: datetime, batch: int, days: int) -> int:
    """Delete the rows whose `stamp` is before `cutoff`, batch by batch; how many went."""
    total = 0
    while True:
        with transaction(sessions) as session:
            deleted = _delete_batch(session, stamp, cutoff, batch)
        total += deleted
        if deleted < batch:
            break
    if total:
        log.info("%s pruned rows=%d older_than_days=%d", stamp.class_.__tablename__, total, days)
    return total


def _delete_batch(session: Session, stamp: InstrumentedAttribute[datetime], cutoff: datetime,
                  batch: int) -> int:
    """Delete up to `batch` of the oldest rows before `cutoff` (a subquery with LIMIT: both
    SQLite and PostgreSQL take it, neither has DELETE ... LIMIT in common)."""
    model = stamp.class_
    # Ordered by the stamp, not the id: the index on fetch_log.fetched_at then serves both the
    # filter and the order, and a batch reads only the rows it deletes.
    oldest = select(model.id).where(stamp < cutoff).order_by(stamp).limit(batch)
    result = session.execute(delete(model).where(model.id.in_(oldest.scalar_subquery()))
                             .execution_options(synchronize_session=False))
    return result.rowcount
