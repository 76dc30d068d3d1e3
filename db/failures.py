"""Entries whose detection failed for their size or time, and when to stop trying them.

Such an entry (detection ran over, needed more memory than a worker may use, or its worker
died under it) is not archived, so a later poll would try it again: on a feed that sends no
ETag or Last-Modified, that is every poll, each costing a fetch and a killed worker. Each
failure is counted here; after MAX_DETECTION_ATTEMPTS the entry is skipped like one already
seen, and `feeds list` shows how many a feed skips.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import scalars_in
from db.models import FailedEntry

MAX_DETECTION_ATTEMPTS = 3


def record_failed_detection(session: Session, feed_id: int, entry_key: str, error: str,
                            now: datetime) -> int:
    """Count one more failed detection of this feed's entry; its attempts so far."""
    row = session.scalar(select(FailedEntry).where(FailedEntry.feed_id == feed_id,
                                                   FailedEntry.entry_key == entry_key))
    if row is None:
        row = FailedEntry(feed_id=feed_id, entry_key=entry_key, attempts=0)
        session.add(row)
    row.attempts += 1
    row.last_error, row.failed_at = error, now
    session.flush()
    return row.attempts


def given_up(session: Session, feed_id: int, entry_key: str) -> bool:
    """True when this feed's entry failed detection MAX_DETECTION_ATTEMPTS times."""
    return entry_key in given_up_keys(session, feed_id, [entry_key])


def given_up_keys(session: Session, feed_id: int, entry_keys: Sequence[str]) -> set[str]:
    """Those of `entry_keys` this feed gave up on (`given_up`), in one query per 500 keys."""
    return scalars_in(session, lambda keys: select(FailedEntry.entry_key).where(
        FailedEntry.feed_id == feed_id, FailedEntry.entry_key.in_(keys),
        FailedEntry.attempts >= MAX_DETECTION_ATTEMPTS), entry_keys)


def skipped_per_feed(session: Session) -> dict[int, int]:
    """Feed id -> how many of its entries are skipped (given up on)."""
    query = (select(FailedEntry.feed_id, func.count())
             .where(FailedEntry.attempts >= MAX_DETECTION_ATTEMPTS)
             .group_by(FailedEntry.feed_id))
    return dict(session.execute(query).all())
