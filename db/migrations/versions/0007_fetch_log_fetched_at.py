"""An index on fetch_log.fetched_at, for retention.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Each retention batch (db.retention) deletes the oldest rows before a cutoff; without this index
every batch scanned the whole table, about 96,000 rows a day at 1,000 feeds. Written by hand:
it must run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_fetch_log_fetched_at", "fetch_log", ["fetched_at"])


def downgrade() -> None:
    op.drop_index("ix_fetch_log_fetched_at", table_name="fetch_log")
