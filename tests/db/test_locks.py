"""Cluster-wide job locks: one worker at a time on PostgreSQL; SQLite simply runs the job."""

from __future__ import annotations

from db.engine import is_postgres
from db.locks import cluster_job


def test_one_holder_at_a_time(sessions, engine):
    with sessions() as first, sessions() as second:
        assert cluster_job(first, "send_digest")
        # On SQLite writers are serialised anyway, so both may run the job.
        assert cluster_job(second, "send_digest") is not is_postgres(engine)
        assert cluster_job(second, "check_feed_health")
        first.commit()
        assert cluster_job(second, "send_digest")
