"""Workers known to the database: the `workers` registry, `claimed_by` on feeds and alerts
(who holds a claim, so it can be renewed, fenced and taken over), and `feed_sync` (the hash
of the feeds section last synced, so differing config files do not disable each other's feeds).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Written by hand: it must run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
CLAIMED = ("feeds", "alerts")


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("process_scope", sa.String(200)),
        sa.Column("version", sa.String(50)),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("heartbeat_at", TS, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("stopped_at", TS),
    )
    op.create_table(
        "feed_sync",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("config_hash", sa.String(64), nullable=False),
        sa.Column("synced_at", TS, nullable=False),
        sa.Column("synced_by", sa.String(32)),
    )
    for table in CLAIMED:
        op.add_column(table, sa.Column("claimed_by", sa.String(32)))
        op.create_index(f"ix_{table}_claimed_by", table, ["claimed_by"])


def downgrade() -> None:
    for table in CLAIMED:
        op.drop_index(f"ix_{table}_claimed_by", table_name=table)
        # batch: SQLite drops a column by copying the table.
        with op.batch_alter_table(table) as batch:
            batch.drop_column("claimed_by")
    op.drop_table("feed_sync")
    op.drop_table("workers")
