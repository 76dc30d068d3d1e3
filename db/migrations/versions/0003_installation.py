"""The archive's installation id: one row with a random id, made when the archive is created
(or, for an existing archive, when it is upgraded to this revision).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Alert messages carry this id (alerts/keys.py), so a second archive posting to the same channel,
or a recreated one, never takes another archive's message for one of its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "installation",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.bulk_insert(table, [{"id": uuid.uuid4().hex, "created_at": datetime.now(timezone.utc)}])


def downgrade() -> None:
    op.drop_table("installation")
