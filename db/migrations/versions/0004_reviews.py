"""Reviews: reviewers' verdicts on statements, from the buttons on Slack alerts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

`request_digest` (the Slack request's signature) is unique so that a replayed request is
refused by every web process, also after a restart.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("statement_id", sa.Integer,
                  sa.ForeignKey("statements.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reviewer_id", sa.String(50), nullable=False),
        sa.Column("reviewer_name", sa.Text, nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("stance", sa.String(12)),
        sa.Column("request_digest", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reviews_statement_id", "reviews", ["statement_id"])


def downgrade() -> None:
    op.drop_index("ix_reviews_statement_id", table_name="reviews")
    op.drop_table("reviews")
