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
    write_lock(session)


def write_lock(session: Session) -> None:
    """SQLite: open this transaction now, with the database's write lock (BEGIN IMMEDIATE).
    pysqlite opens one only at the first INSERT or UPDATE, so before it there is no lock yet,
    and a SAVEPOINT would start (and its RELEASE commit) a transaction of its own; waiting
    for the lock here also avoids failing on a read lock's upgrade. PostgreSQL: nothing."""
    if is_postgres(session):
        return
    connection = session.connection()
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
