"""Alert routes: each outbox row names the route and sink it goes through.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Both columns are NULL on every row written before routes existed, and on rows for the single
`[slack]` destination used when no `[[alerts.routes]]` are configured: those rows go through
`slack.sink` as before. Written by hand: it must run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("route", sa.String(50)))
    op.add_column("alerts", sa.Column("sink", sa.String(20)))


def downgrade() -> None:
    # batch: SQLite drops a column by copying the table.
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("sink")
        batch.drop_column("route")
