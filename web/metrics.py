"""Beatwire's figures for Prometheus and its health check, read from the archive.

Every number comes from a few aggregate queries over the shared database at each scrape (a
custom collector, not counters kept in memory), so any process on the archive, the web app or
any daemon, reports the whole cluster, and the counters move as any worker polls, stores and
posts. `/healthz` reads the same tables; every query of either is in this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import case, extract, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from alerts.blocks import clean
from alerts.outbox import STATUSES as ALERT_STATUSES
from config import HealthConfig
from db.models import Alert, Article, Feed, FetchLog, Statement, Worker

log = logging.getLogger(__name__)

# Always exported (at 0 until seen), so a rate over them exists from the first scrape.
POLL_OUTCOMES = ("ok", "not_modified", "error", "gone")
STANCES = ("refuses", "cooperates", "mixed", "none")
WAITING = ("pending", "sending")  # in the outbox, not yet posted
# Histogram bounds in seconds: a poll (feed and its new article pages), and a delivery.
FETCH_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)
DELIVERY_BUCKETS = (5, 15, 30, 60, 120, 300, 900, 1800, 3600, 21600)


class ArchiveCollector(Collector):
    """The archive's figures as metric families, queried afresh at each scrape; ages are
    from `clock` (the App's)."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime]):
        self.sessions, self.clock = sessions, clock

    def collect(self) -> Iterator[Metric]:
        try:
            with self.sessions() as session:
                families = list(archive_families(session, self.clock()))
        except DBAPIError as exc:
            # An outage, not a bug: the scrape still answers, saying the archive did not.
            log.warning("metrics: archive unavailable error=%s",
                        clean(str(exc.orig or exc).splitlines()[0]))
            families = []
        yield from families
        yield GaugeMetricFamily("beatwire_archive_up",
                                "Whether the archive answered this scrape (1) or not (0).",
                                value=1 if families else 0)


def make_registry(sessions: sessionmaker[Session], *,
                  clock: Callable[[], datetime]) -> CollectorRegistry:
    """A registry of its own holding only the archive's figures (no process metrics)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ArchiveCollector(sessions, clock=clock))
    return registry


def archive_families(session: Session, now: datetime) -> Iterator[Metric]:
    """Every family, from one session (one read per table)."""
    yield from poll_families(session)
    yield articles_family(session)
    yield statements_family(session)
    yield from alert_families(session, now)
    yield delivery_family(session)
    yield feeds_family(session)
    yield heartbeat_family(session, now)


# --- polls -----------------------------------------------------------------------------------


def poll_families(session: Session) -> Iterator[Metric]:
    """Polls by outcome, and their durations (the fetch log's duration_ms) as a histogram."""
    seconds = FetchLog.duration_ms / 1000.0
    rows = session.execute(
        select(FetchLog.outcome, func.count(), func.count(FetchLog.duration_ms),
               func.coalesce(func.sum(seconds), 0.0), *_bucket_counts(seconds, FETCH_BUCKETS))
        .group_by(FetchLog.outcome)).all()
    found = {row[0]: row for row in rows}
    polls = CounterMetricFamily("beatwire_polls_total", "Feed polls, by outcome.",
                                labels=["outcome"])
    latency = HistogramMetricFamily(
        "beatwire_fetch_duration_seconds",
        "Time from a poll's start to its record (the feed and its new article pages).",
        labels=["outcome"])
    for outcome in _with_known(POLL_OUTCOMES, found):
        row = found.get(outcome)
        polls.add_metric([outcome], row[1] if row else 0)
        latency.add_metric([outcome], _buckets(FETCH_BUCKETS, row[4:] if row else None,
                                               row[2] if row else 0),
                           float(row[3]) if row else 0.0)
    yield polls
    yield latency


# --- articles and statements -----------------------------------------------------------------


def articles_family(session: Session) -> Metric:
    count = session.scalar(select(func.count()).select_from(Article))
    return CounterMetricFamily("beatwire_articles_total", "Articles archived.", value=count)


def statements_family(session: Session) -> Metric:
    """First reports by stance (a re-report by another outlet is a source, not a statement)."""
    stance = func.coalesce(Statement.stance, "none")
    rows = dict(session.execute(select(stance, func.count())
                                .where(Statement.duplicate_of_id.is_(None)).group_by(stance)).all())
    family = CounterMetricFamily("beatwire_statements_total",
                                 "Statements archived (first reports), by stance.",
                                 labels=["stance"])
    for name in _with_known(STANCES, rows):
        family.add_metric([name], rows.get(name, 0))
    return family


# --- the outbox ------------------------------------------------------------------------------


def alert_families(session: Session, now: datetime) -> Iterator[Metric]:
    """Alerts by status, how many wait to be posted and for how long the oldest has."""
    rows = dict(session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all())
    by_status = GaugeMetricFamily("beatwire_alerts", "Alerts in the outbox, by status.",
                                  labels=["status"])
    for status in _with_known(ALERT_STATUSES, rows):
        by_status.add_metric([status], rows.get(status, 0))
    yield by_status
    yield GaugeMetricFamily("beatwire_outbox_depth", "Alerts waiting to be posted.",
                            value=sum(rows.get(status, 0) for status in WAITING))
    oldest = session.scalar(select(func.min(Alert.created_at)).where(Alert.status.in_(WAITING)))
    yield GaugeMetricFamily("beatwire_outbox_oldest_age_seconds",
                            "How long the oldest alert waiting to be posted has waited.",
                            value=_age(now, oldest))


def delivery_family(session: Session) -> Metric:
    """Seconds from an article stored to each of its alerts posted, as a histogram."""
    seconds = _seconds_between(session, Alert.sent_at, Article.fetched_at)
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(seconds), 0.0),
               *_bucket_counts(seconds, DELIVERY_BUCKETS))
        .select_from(Alert).join(Statement, Alert.statement_id == Statement.id)
        .join(Article, Statement.article_id == Article.id)
        .where(Alert.status == "sent", Alert.sent_at.is_not(None))).one()
    family = HistogramMetricFamily("beatwire_delivery_latency_seconds",
                                   "Time from an article stored to its alert posted.")
    family.add_metric([], _buckets(DELIVERY_BUCKETS, row[2:], row[0]), float(row[1]))
    return family


# --- feeds and workers -----------------------------------------------------------------------


def feeds_family(session: Session) -> Metric:
    rows = dict(session.execute(select(Feed.status, func.count())
                                .where(Feed.enabled.is_(True)).group_by(Feed.status)).all())
    family = GaugeMetricFamily("beatwire_feeds", "Enabled feeds, by the status of their last poll.",
                               labels=["status"])
    for status in _with_known((*POLL_OUTCOMES, "never"), rows):
        family.add_metric([status], rows.get(status, 0))
    return family


def heartbeat_family(session: Session, now: datetime) -> Metric:
    """Each running worker's heartbeat age (one that stopped beating keeps growing)."""
    family = GaugeMetricFamily("beatwire_worker_heartbeat_age_seconds",
                               "Seconds since each running worker's last heartbeat.",
                               labels=["worker", "host", "pid"])
    workers = session.execute(select(Worker.id, Worker.host, Worker.pid, Worker.heartbeat_at)
                              .where(Worker.state == "running").order_by(Worker.started_at))
    for worker_id, host, pid, beat in workers:
        family.add_metric([worker_id, host, str(pid)], _age(now, beat))
    return family


# --- health ----------------------------------------------------------------------------------


def health_problem(session: Session, now: datetime, limits: HealthConfig) -> str | None:
    """Why Beatwire is unhealthy, in one line, or None when it is not."""
    return delivery_problem(session, now, limits) or poll_problem(session, now, limits)


def delivery_problem(session: Session, now: datetime, limits: HealthConfig) -> str | None:
    """Alerts waiting past the limit: delivery is paused (no or a refused token) or failing."""
    waiting, oldest = session.execute(select(func.count(), func.min(Alert.created_at))
                                      .where(Alert.status.in_(WAITING))).one()
    if oldest is None or now - oldest <= timedelta(seconds=limits.alert_max_wait):
        return None
    # A pause (no or a refused token) records itself on the rows it puts back.
    error = session.scalar(select(Alert.last_error).where(Alert.status.in_(WAITING),
                                                          Alert.last_error.is_not(None))
                           .order_by(Alert.next_attempt_at.desc()).limit(1))
    why = f" (last error: {clean(error)[:100]})" if error else ""
    return (f"delivery stalled: {waiting} alert{'s' * (waiting != 1)} waiting, the oldest for "
            f"{span(now - oldest)}{why}")


def poll_problem(session: Session, now: datetime, limits: HealthConfig) -> str | None:
    """No enabled feed polled successfully for too long (never while there is none)."""
    feeds, latest, first_added, shortest = session.execute(
        select(func.count(), func.max(Feed.last_success_at), func.min(Feed.created_at),
               func.min(Feed.interval_seconds)).where(Feed.enabled.is_(True))).one()
    if not feeds:
        return None
    # A feed polled hourly is not late between its polls, whatever the setting says.
    limit = timedelta(seconds=max(limits.poll_max_age, 2 * (shortest or 0)))
    since = latest or first_added
    if now - since <= limit:
        return None
    plural = "s" * (feeds != 1)
    if latest is None:
        return (f"no poll succeeded yet: {feeds} enabled feed{plural}, the first added "
                f"{span(now - first_added)} ago")
    return (f"no poll succeeded for {span(now - latest)} (limit {span(limit)}; {feeds} "
            f"enabled feed{plural})")


def healthz(sessions: sessionmaker[Session], limits: HealthConfig, *,
            clock: Callable[[], datetime]) -> tuple[int, str]:
    """(HTTP status, one line): 200 "ok", or 503 and the reason, at `clock`'s now."""
    try:
        with sessions() as session:
            problem = health_problem(session, clock(), limits)
    except DBAPIError:
        problem = "archive unavailable"
    return (503, problem) if problem else (200, "ok")


# --- helpers ---------------------------------------------------------------------------------


def _bucket_counts(value, bounds: Iterable[float]) -> list:
    """One SQL count per histogram bound: how many values are at or under it."""
    return [func.coalesce(func.sum(case((value <= bound, 1), else_=0)), 0) for bound in bounds]


def _buckets(bounds: tuple, counts, total: int) -> list[tuple[str, int]]:
    """Cumulative (le, count) pairs for a HistogramMetricFamily, +Inf last."""
    counts = counts or [0] * len(bounds)
    pairs = zip(bounds, counts, strict=True)
    return [(str(float(bound)), int(count)) for bound, count in pairs] + [("+Inf", int(total))]


def _seconds_between(session: Session, later, earlier):
    """SQL for the seconds from `earlier` to `later` (SQLite keeps times as text)."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return extract("epoch", later - earlier)


def _with_known(known: tuple[str, ...], found: dict) -> list[str]:
    """The known label values in order, then any other found in the archive."""
    return [*known, *sorted(str(k) for k in found if k not in known)]


def _age(now: datetime, then: datetime | None) -> float:
    return max((now - then).total_seconds(), 0.0) if then else 0.0


def span(delta: timedelta) -> str:
    """A duration as an operator reads it: 45s, 17m, 2h 5m, 3d 4h."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours < 1:
        return f"{minutes}m"
    if days < 1:
        return f"{hours}h {minutes % 60}m" if minutes % 60 else f"{hours}h"
    return f"{days}d {hours % 24}h" if hours % 24 else f"{days}d"
