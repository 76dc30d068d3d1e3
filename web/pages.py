"""What each page shows, read from the archive: a statement and its reports, an agency's
timeline, feed health and the outbox. Reads only; the caller owns the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, or_, select
from sqlalchemy.orm import Session, joinedload

from db.feeds import FeedHealth, feed_health
from db.models import Agency, Alert, Article, Feed, FeedEntry, Statement

# An agency page lists at most this many statements; search by agency pages through the rest.
AGENCY_STATEMENTS_MAX = 500
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")
OUTBOX_PROBLEMS_MAX = 20
_WHEN = func.coalesce(Article.published, Article.fetched_at)


@dataclass(frozen=True)
class Report:
    """One outlet's report of a statement: its article and the quote as that outlet has it."""

    quote: str
    article: Article


@dataclass(frozen=True)
class StancePeriod:
    """A run of an agency's statements with one stance, oldest to newest."""

    stance: str | None
    first: datetime | None
    last: datetime | None
    statements: int


@dataclass(frozen=True)
class StanceChange:
    """The statement where an agency's stance turned, and what it turned from."""

    before: str
    statement: Statement


@dataclass(frozen=True)
class FeedRow:
    """A feed's health with how many articles and statements came through it."""

    health: FeedHealth
    articles: int
    statements: int


# --- statements ------------------------------------------------------------------------------


def statement(session: Session, statement_id: int) -> Statement | None:
    """The statement with its article and agency loaded, or None."""
    return session.scalar(select(Statement).where(Statement.id == statement_id)
                          .options(joinedload(Statement.article), joinedload(Statement.agency)))


def reports(session: Session, primary_id: int) -> list[Report]:
    """Every report of a primary statement (its own and its re-reports'), oldest first."""
    rows = session.execute(
        select(Statement.quote, Article)
        .join(Article, Statement.article_id == Article.id)
        .where(or_(Statement.id == primary_id, Statement.duplicate_of_id == primary_id))
        .order_by(_WHEN, Statement.id))
    return [Report(quote, article) for quote, article in rows]


# --- agencies --------------------------------------------------------------------------------


def agency(session: Session, agency_id: int) -> Agency | None:
    return session.get(Agency, agency_id)


def agency_statements(session: Session, agency_id: int) -> tuple[list[Statement], int]:
    """The agency's primary statements oldest first (at most AGENCY_STATEMENTS_MAX) and
    how many it has in all."""
    where = (Statement.agency_id == agency_id, Statement.duplicate_of_id.is_(None))
    total = session.scalar(select(func.count(Statement.id)).where(*where)) or 0
    rows = session.scalars(
        select(Statement).join(Article, Statement.article_id == Article.id).where(*where)
        .options(joinedload(Statement.article)).order_by(_WHEN, Statement.id)
        .limit(AGENCY_STATEMENTS_MAX))
    return list(rows), total


def stance_periods(statements: list[Statement]) -> list[StancePeriod]:
    """Consecutive statements (oldest first) with the same stance, as periods."""
    periods: list[StancePeriod] = []
    for row in statements:
        when = _published(row)
        if periods and periods[-1].stance == row.stance:
            last = periods[-1]
            periods[-1] = StancePeriod(last.stance, last.first, when, last.statements + 1)
        else:
            periods.append(StancePeriod(row.stance, when, when, 1))
    return periods


def stance_changes(statements: list[Statement]) -> list[StanceChange]:
    """Where the stance differs from the agency's previous statement that took one."""
    changes, before = [], None
    for row in statements:
        if row.stance is None:
            continue  # an unclear statement neither starts nor ends a stance
        if before is not None and row.stance != before:
            changes.append(StanceChange(before, row))
        before = row.stance
    return changes


def _published(row: Statement) -> datetime | None:
    return row.article.published or row.article.fetched_at


# --- feeds and the outbox --------------------------------------------------------------------


def feed_rows(session: Session, now: datetime, dead_after_failures: int) -> list[FeedRow]:
    """Every feed's health at `now` (the App's clock), the entries it skips included (as
    `feeds list` reads them), with its article and statement counts, by name."""
    articles = dict(session.execute(
        select(Feed.name, func.count(distinct(FeedEntry.article_id)))
        .join(FeedEntry, FeedEntry.feed_id == Feed.id).group_by(Feed.name)).all())
    statements = dict(session.execute(
        select(Feed.name, func.count(distinct(Statement.id)))
        .join(FeedEntry, FeedEntry.feed_id == Feed.id)
        .join(Statement, Statement.article_id == FeedEntry.article_id)
        .group_by(Feed.name)).all())
    return [FeedRow(health, articles.get(health.name, 0), statements.get(health.name, 0))
            for health in feed_health(session, now, dead_after_failures)]


def outbox_counts(session: Session) -> dict[str, int]:
    """How many alerts are in each outbox status: the usual ones (zeros included) first, then
    any other status found (e.g. `skipped` backfill), so a new status is never hidden."""
    counts = dict(session.execute(select(Alert.status, func.count(Alert.id))
                                  .group_by(Alert.status)).all())
    usual = {status: counts.pop(status, 0) for status in OUTBOX_STATUSES}
    return {**usual, **dict(sorted(counts.items()))}


def outbox_problems(session: Session) -> list[Alert]:
    """The newest failed alerts and the oldest still waiting, for an operator to look at."""
    failed = session.scalars(select(Alert).where(Alert.status == "failed")
                             .order_by(Alert.id.desc()).limit(OUTBOX_PROBLEMS_MAX))
    waiting = session.scalars(select(Alert).where(Alert.status.in_(("pending", "sending")))
                              .order_by(Alert.id).limit(OUTBOX_PROBLEMS_MAX))
    return [*failed, *waiting]
