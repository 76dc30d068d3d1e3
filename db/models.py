"""The archive schema: feeds and their polling state, fetch log, articles,
statements, agencies and the alert outbox.

This is the documented schema analysts query with plain SQL; docs/schema is
this file. Times are stored as timezone-aware UTC.

Full-text search lives beside these tables and is created by the migrations only:
on SQLite, FTS5 tables `articles_fts(title, text)`, `statements_fts(quote, speaker,
agency_as_written)` and `agencies_fts(name, place)` (external content, rowid = the row's id,
kept in sync by triggers); on PostgreSQL, a generated `search_vector tsvector` column over the
same columns in each of those tables, with a GIN index. db/search.py queries both.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """DateTime that always comes back timezone-aware UTC (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


class Feed(Base):
    """A configured feed and its polling state (the config is the source of truth
    for name/url/kind/agency/interval/enabled; the rest is ours)."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10), default="feed")
    agency: Mapped[str | None] = mapped_column(String(200))
    item_selector: Mapped[str | None] = mapped_column(Text)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=900)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Conditional GET validators from the last 200 response.
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # A claim is a lease: a worker that dies leaves it to expire, then others re-claim.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who holds the claim (a workers.id, or a one-off id outside the daemon); renewals,
    # take-overs and the poll record go by it.
    claimed_by: Mapped[str | None] = mapped_column(String(32), index=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # ok | not_modified | error | gone | never
    status: Mapped[str] = mapped_column(String(20), default="never")
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FetchLog(Base):
    """One row per poll of a feed: what happened and how long it took."""

    __tablename__ = "fetch_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), index=True)
    # Indexed for retention, which deletes the rows before a cutoff (db.retention).
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    http_status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))  # ok | not_modified | error | gone
    error: Mapped[str | None] = mapped_column(Text)
    entries: Mapped[int] = mapped_column(Integer, default=0)
    new_articles: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int | None] = mapped_column(Integer)


class Article(Base):
    """A news article or release, stored once however many feeds carry it."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)  # canonical URL
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    # "page" when trafilatura extracted it, "summary" when the feed summary was kept.
    text_source: Mapped[str] = mapped_column(String(10), default="page")
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    statements: Mapped[list[Statement]] = relationship(back_populates="article")


class FeedEntry(Base):
    """An entry seen in a feed (by GUID or link), so it is fetched only once."""

    __tablename__ = "feed_entries"
    __table_args__ = (UniqueConstraint("feed_id", "entry_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    entry_key: Mapped[str] = mapped_column(String(64))  # sha256 of guid or link
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FailedEntry(Base):
    """A feed's entry whose detection failed for its size or time (ran over, out of memory,
    its worker died): tried again a few times at most, then skipped (db.failures)."""

    __tablename__ = "failed_entries"
    __table_args__ = (UniqueConstraint("feed_id", "entry_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    entry_key: Mapped[str] = mapped_column(String(64))  # as in feed_entries
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Agency(Base):
    """A canonical agency, with the stance of its latest archived statement."""

    __tablename__ = "agencies"
    __table_args__ = (
        UniqueConstraint("name", "state"),
        # NULLs are distinct in the constraint above; this also covers agencies with no state.
        Index("ux_agencies_name_state", "name", text("coalesce(state, '')"), unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str | None] = mapped_column(String(20))
    place: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str | None] = mapped_column(String(2))
    last_stance: Mapped[str | None] = mapped_column(String(12))


class Statement(Base):
    """One statement: a quote (or reported speech) by a speaker for an agency.

    A re-report of an archived statement is stored as its own row with
    `duplicate_of_id` pointing at the first; it is one more source, not a new alert.
    """

    __tablename__ = "statements"
    # Novelty looks up an agency's recent primary statements, newest first.
    __table_args__ = (Index("ix_statements_agency_created", "agency_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    agency_as_written: Mapped[str | None] = mapped_column(Text)
    speaker: Mapped[str | None] = mapped_column(Text)
    speaker_title: Mapped[str | None] = mapped_column(Text)
    quote: Mapped[str] = mapped_column(Text)
    quote_key: Mapped[str] = mapped_column(Text)  # detect.novelty.normalize_quote(quote)
    kind: Mapped[str] = mapped_column(String(20))  # quote | reported | agency_voice
    stance: Mapped[str | None] = mapped_column(String(12), index=True)
    previous_stance: Mapped[str | None] = mapped_column(String(12))
    score: Mapped[float] = mapped_column(Float)
    cues: Mapped[list] = mapped_column(JSON, default=list)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship(back_populates="statements")
    agency: Mapped[Agency | None] = relationship()


class Alert(Base):
    """The outbox: one row per message to post. Committed with its statement.

    status: pending -> sending -> sent, or failed (permanent error). A row left
    in `sending` by a crash is re-claimed after its lease and checked against
    Slack's history before posting again, so nothing is posted twice.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Idempotency key: "statement:<id>", "also:<statement id>", "digest:<date>"; with routes,
    # followed by ":<route name>" (the first route to its destination), e.g. "statement:12:legal".
    key: Mapped[str] = mapped_column(String(100), unique=True)
    statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    # statement | also_reported | digest
    kind: Mapped[str] = mapped_column(String(20), default="statement")
    channel: Mapped[str] = mapped_column(String(200))
    # The `[[alerts.routes]]` route and sink it goes through; both NULL for the single
    # `[slack]` destination (no routes configured), which goes through `slack.sink`.
    route: Mapped[str | None] = mapped_column(String(50))
    sink: Mapped[str | None] = mapped_column(String(20))
    # For a thread reply: the alert whose message this replies to.
    parent_alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    # Digest body and other prepared content.
    payload: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(32), index=True)  # as Feed.claimed_by
    last_error: Mapped[str | None] = mapped_column(Text)
    slack_channel_id: Mapped[str | None] = mapped_column(String(50))
    slack_ts: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    statement: Mapped[Statement | None] = relationship()
    parent: Mapped[Alert | None] = relationship(remote_side="Alert.id")


class Worker(Base):
    """A daemon process, known to the database so its claims outlive neither it nor its peers.

    It heartbeats well within the lease; one whose heartbeat is older than the lease (or, on
    the same machine, whose process is gone) is dead and its claims are taken over at once.
    """

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    # Where `pid` means something: boot id and pid namespace (Linux), else NULL.
    process_scope: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[str | None] = mapped_column(String(50))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # running | stopped (clean exit) | dead (taken over by another worker)
    state: Mapped[str] = mapped_column(String(10), default="running")
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FeedSyncState(Base):
    """The feeds section last synced into the archive (one row): which file owns the feeds."""

    __tablename__ = "feed_sync"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    config_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the [[feeds]] tables
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    synced_by: Mapped[str | None] = mapped_column(String(32))  # workers.id, NULL from the CLI


class Installation(Base):
    """This archive's identity: one row, a random id made when the archive was created.

    Alert messages carry it, so recovery never takes another archive's message for ours.
    """

    __tablename__ = "installation"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# A review's verdicts, as the Slack alert's buttons give them (alerts.blocks.REVIEW_ACTIONS).
VERDICTS = ("correct", "not_relevant", "wrong_stance", "wrong_speaker")


class Review(Base):
    """A reviewer's verdict on a statement, from a button on its Slack alert.

    verdict: correct | not_relevant | wrong_stance (with `stance`, the right one) |
    wrong_speaker (speaker or agency wrong). The latest review of a statement is its label
    (`beatwire labels export`). `request_digest` is the Slack request signature: unique, so
    a replayed request is refused by any web process, across restarts.
    """

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[str] = mapped_column(String(50))  # Slack user id
    reviewer_name: Mapped[str] = mapped_column(Text)  # as Slack gave it: display it escaped
    verdict: Mapped[str] = mapped_column(String(20))
    stance: Mapped[str | None] = mapped_column(String(12))
    request_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    statement: Mapped[Statement] = relationship()
