"""Cluster-wide jobs: only one worker in the cluster runs them at a time."""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session

from db.engine import is_postgres


def cluster_job(session: Session, name: str) -> bool:
    """Take the job's lock for this transaction; False if another worker has it.

    PostgreSQL: a transaction-scoped advisory lock, released at commit. SQLite
    is one machine and serialises writers, so the job simply runs.
    """
    if not is_postgres(session):
        return True
    key = zlib.crc32(f"beatwire:{name}".encode())
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}))
