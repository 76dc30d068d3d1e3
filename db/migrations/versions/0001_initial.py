"""Initial schema: feeds, fetch log, articles, feed entries, agencies, statements, alerts,
and full-text search (SQLite FTS5 tables kept by triggers; PostgreSQL tsvector + GIN).

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written by hand: it must run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

# What each table contributes to search. db/search.py queries these names.
SEARCH_COLUMNS = {
    "articles": ("title", "text"),
    "statements": ("quote", "speaker", "agency_as_written"),
    "agencies": ("name", "place"),
}


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True)


def _feeds() -> None:
    op.create_table(
        "feeds", _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("agency", sa.String(200)),
        sa.Column("item_selector", sa.Text),
        sa.Column("interval_seconds", sa.Integer, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("next_poll_at", TS, nullable=False),
        sa.Column("claimed_until", TS),
        sa.Column("last_polled_at", TS),
        sa.Column("last_success_at", TS),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("name", name="uq_feeds_name"),
    )
    op.create_index("ix_feeds_next_poll_at", "feeds", ["next_poll_at"])
    op.create_table(
        "fetch_log", _id(),
        sa.Column("feed_id", sa.Integer, sa.ForeignKey("feeds.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("new_articles", sa.Integer, nullable=False),
        sa.Column("duration_ms", sa.Integer),
    )
    op.create_index("ix_fetch_log_feed_id", "fetch_log", ["feed_id"])


def _articles() -> None:
    op.create_table(
        "articles", _id(),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("url_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("published", TS),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("text_source", sa.String(10), nullable=False),
        sa.Column("feed_id", sa.Integer, sa.ForeignKey("feeds.id", ondelete="SET NULL")),
        sa.Column("fetched_at", TS, nullable=False),
        sa.UniqueConstraint("url_hash", name="uq_articles_url_hash"),
    )
    op.create_index("ix_articles_published", "articles", ["published"])
    op.create_table(
        "feed_entries", _id(),
        sa.Column("feed_id", sa.Integer, sa.ForeignKey("feeds.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("entry_key", sa.String(64), nullable=False),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="SET NULL")),
        sa.Column("seen_at", TS, nullable=False),
        sa.UniqueConstraint("feed_id", "entry_key", name="uq_feed_entries_feed_key"),
    )
    op.create_index("ix_feed_entries_article_id", "feed_entries", ["article_id"])


def _agencies() -> None:
    op.create_table(
        "agencies", _id(),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20)),
        sa.Column("place", sa.String(200)),
        sa.Column("state", sa.String(2)),
        sa.Column("last_stance", sa.String(12)),
        sa.UniqueConstraint("name", "state", name="uq_agencies_name_state"),
    )
    # NULLs are distinct in a plain unique constraint: this one also covers agencies with no state.
    op.create_index("ux_agencies_name_state", "agencies",
                    ["name", sa.text("coalesce(state, '')")], unique=True)


def _statements() -> None:
    op.create_table(
        "statements", _id(),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id")),
        sa.Column("agency_as_written", sa.Text),
        sa.Column("speaker", sa.Text),
        sa.Column("speaker_title", sa.Text),
        sa.Column("quote", sa.Text, nullable=False),
        sa.Column("quote_key", sa.Text, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("stance", sa.String(12)),
        sa.Column("previous_stance", sa.String(12)),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("cues", sa.JSON, nullable=False),
        sa.Column("duplicate_of_id", sa.Integer, sa.ForeignKey("statements.id")),
        sa.Column("created_at", TS, nullable=False),
    )
    for column in ("article_id", "agency_id", "stance", "duplicate_of_id"):
        op.create_index(f"ix_statements_{column}", "statements", [column])
    # Novelty looks up an agency's recent primary statements, newest first.
    op.create_index("ix_statements_agency_created", "statements", ["agency_id", "created_at"])


def _alerts() -> None:
    op.create_table(
        "alerts", _id(),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("statement_id", sa.Integer,
                  sa.ForeignKey("statements.id", ondelete="CASCADE")),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("parent_alert_id", sa.Integer, sa.ForeignKey("alerts.id")),
        sa.Column("payload", sa.JSON),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("claimed_until", TS),
        sa.Column("last_error", sa.Text),
        sa.Column("slack_channel_id", sa.String(50)),
        sa.Column("slack_ts", sa.String(50)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS),
        sa.UniqueConstraint("key", name="uq_alerts_key"),
    )
    op.create_index("ix_alerts_due", "alerts", ["status", "next_attempt_at"])
    op.create_index("ix_alerts_statement_id", "alerts", ["statement_id"])


def _sqlite_fts(table: str, columns: tuple[str, ...]) -> None:
    """An external-content FTS5 table over `table`, kept in sync by triggers."""
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    fts = f"{table}_fts"
    op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', "
               f"content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')")
    delete = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    insert = f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});"
    op.execute(f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END")
    op.execute(f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} "
               f"BEGIN {delete} {insert} END")


def _postgres_tsvector(table: str, columns: tuple[str, ...]) -> None:
    """A stored generated tsvector column over `columns`, with a GIN index."""
    document = " || ' ' || ".join(f"coalesce({c}, '')" for c in columns)
    op.execute(f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
               f"(to_tsvector('english'::regconfig, {document})) STORED")
    op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING gin (search_vector)")


def upgrade() -> None:
    _feeds()
    _articles()
    _agencies()
    _statements()
    _alerts()
    dialect = op.get_context().dialect.name
    for table, columns in SEARCH_COLUMNS.items():
        if dialect == "sqlite":
            _sqlite_fts(table, columns)
        elif dialect == "postgresql":
            _postgres_tsvector(table, columns)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for table in SEARCH_COLUMNS:
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    for table in ("alerts", "statements", "agencies", "feed_entries", "articles",
                  "fetch_log", "feeds"):
        op.drop_table(table)
