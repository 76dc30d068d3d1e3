"""Retention: fetch_log rows (one per poll) older than `archive.fetch_log_days` are deleted.

A daemon polling 1,000 feeds every 15 minutes adds about 96,000 rows a day, kept by
nothing: they only explain recent polls (`feeds list`, /metrics). Rows go in batches of
BATCH, each its own transaction, so neither engine holds a long write lock or a huge
transaction while the crawl goes on writing beside it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import transaction
from db.models import FetchLog

log = logging.getLogger(__name__)

BATCH = 5_000


def prune_fetch_log(sessions: sessionmaker[Session], *, now: datetime, days: int,
                    batch: int = BATCH) -> int:
    """Delete the fetch_log rows fetched more than `days` days before `now`, `batch` rows
    per transaction; how many went."""
    cutoff = now - timedelta(days=days)
    total = 0
    while True:
        with transaction(sessions) as session:
            deleted = _delete_batch(session, cutoff, batch)
        total += deleted
        if deleted < batch:
            break
    if total:
        log.info("fetch_log pruned rows=%d older_than_days=%d", total, days)
    return total


def _delete_batch(session: Session, cutoff: datetime, batch: int) -> int:
    """Delete up to `batch` of the oldest rows before `cutoff` (a subquery with LIMIT: both
    SQLite and PostgreSQL take it, neither has DELETE ... LIMIT in common)."""
    oldest = (select(FetchLog.id).where(FetchLog.fetched_at < cutoff)
              .order_by(FetchLog.id).limit(batch))
    result = session.execute(delete(FetchLog).where(FetchLog.id.in_(oldest.scalar_subquery()))
                             .execution_options(synchronize_session=False))
    return result.rowcount
