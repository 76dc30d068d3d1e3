"""Failed entries: a feed's entries whose detection failed for their size or time.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

An entry that runs over detect's time, needs more memory than a worker may use, or kills its
worker is not archived; this table counts its attempts so that it is skipped after a few
(db.failures) instead of being fetched and detected again on every poll of a feed that sends
no validators.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "failed_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("feed_id", sa.Integer, sa.ForeignKey("feeds.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("entry_key", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("feed_id", "entry_key"),
    )


def downgrade() -> None:
    op.drop_table("failed_entries")
