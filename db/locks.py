"""Cluster-wide jobs: only one worker in the cluster runs them at a time."""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session

from db.engine import is_postgres


def _key(name: str) -> int:
    return zlib.crc32(f"beatwire:{name}".encode())


def cluster_job(session: Session, name: str) -> bool:
    """Take the job's lock for this transaction; False if another worker has it.

    PostgreSQL: a transaction-scoped advisory lock, released at commit. SQLite
    is one machine and serialises writers, so the job simply runs.
    """
    if not is_postgres(session):
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _key(name)}))


def cluster_lock(session: Session, name: str) -> None:
    """Wait for the job's lock and hold it for this transaction: workers take turns.

    Call it before anything else in the transaction. PostgreSQL: a transaction-scoped
    advisory lock. SQLite: the database's write lock (BEGIN IMMEDIATE), so what the
    transaction reads cannot change under it before it writes.
    """
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _key(name)})
        return
    dbapi = session.connection().connection.dbapi_connection
    # pysqlite opens a transaction at the first write only: none yet means no lock yet.
    if not dbapi.in_transaction:
        dbapi.execute("BEGIN IMMEDIATE")
