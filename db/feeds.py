"""Feeds in the database: syncing them from config, recording each poll, and their health.

The config is the source of truth for what a feed *is* (url, kind, agency, interval,
enabled); the database owns how polling it is *going* (validators, next poll, failures,
status). Every poll ends in exactly one of `record_success`, `record_not_modified` or
`record_failure`, which writes one `fetch_log` row, schedules the next poll and releases the
claim's lease. Nothing here commits: the caller owns the transaction.

Back-off after failures: the next poll is `interval * 2**(failures - 1)` seconds later,
capped at `max_backoff`, and never earlier than the server's Retry-After. HTTP 410 marks the
feed `gone`: it is no longer claimed until its URL changes in the config.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Config, FeedConfig
from db.models import Feed, FetchLog

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 300
# A hostile or broken Retry-After must not push a feed into the far future (or overflow).
MAX_RETRY_AFTER = timedelta(days=7)
# userinfo in URLs, secret-looking query parameters, Slack/Bearer tokens.
_SECRETS = (
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]*@"), r"\1***@"),
    (re.compile(r"(?i)([?&](?:[a-z_]*token|key|api_key|apikey|secret|password|passwd|sig|"
                r"signature|auth|access_token)=)[^&\s#]*"), r"\1***"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[a-z0-9._~+/=-]+"), r"\1 ***"),
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"), "xox*-***"),
)
CONFIG_FIELDS = ("kind", "agency", "item_selector", "enabled")


@dataclass(frozen=True)
class FeedSync:
    """What `sync_feeds` changed, by feed name."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedHealth:
    """One feed's polling health, for `beatwire feeds list` and the health job."""

    name: str
    url: str
    enabled: bool
    status: str
    last_polled_at: datetime | None
    last_success_at: datetime | None
    consecutive_failures: int
    next_poll_at: datetime
    last_error: str | None
    dead: bool


def redact(text: str) -> str:
    """`text` with URL credentials, secret query parameters and tokens masked."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def clean_error(error: object) -> str:
    """One short line with credentials and tokens masked: safe for logs and the database."""
    text = redact(" ".join(str(error).split()))
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return text or "unknown error"


# --- syncing from config -------------------------------------------------------------------


def sync_feeds(session: Session, config: Config, now: datetime) -> FeedSync:
    """Upsert the config's feeds by name; feeds gone from the config are disabled."""
    existing = {feed.name: feed for feed in session.scalars(select(Feed))}
    added, changed = [], []
    for feed_config in config.feeds:
        feed = existing.pop(feed_config.name, None)
        if feed is None:
            session.add(_new_feed(feed_config, config.feed_interval(feed_config), now))
            added.append(feed_config.name)
        elif _apply_config(feed, feed_config, config.feed_interval(feed_config), now):
            changed.append(feed.name)
    disabled = [feed.name for feed in existing.values() if feed.enabled]
    for name in disabled:
        existing[name].enabled = False
    session.flush()
    result = FeedSync(tuple(added), tuple(changed), tuple(disabled))
    if added or changed or disabled:
        log.info("feeds synced added=%d changed=%d disabled=%d", len(added), len(changed),
                 len(disabled))
    return result


def _new_feed(feed_config: FeedConfig, interval: int, now: datetime) -> Feed:
    return Feed(
        name=feed_config.name, url=feed_config.url, kind=feed_config.kind,
        agency=feed_config.agency, item_selector=feed_config.item_selector,
        interval_seconds=interval, enabled=feed_config.enabled, next_poll_at=now,
        status="never", consecutive_failures=0, created_at=now,
    )


def _apply_config(feed: Feed, feed_config: FeedConfig, interval: int, now: datetime) -> bool:
    """Copy config fields onto `feed`; True if anything changed."""
    before = (feed.url, feed.interval_seconds, *(getattr(feed, f) for f in CONFIG_FIELDS))
    if feed.url != feed_config.url:
        _reset_for_new_url(feed, feed_config.url, now)
    feed.interval_seconds = interval
    for field in CONFIG_FIELDS:
        setattr(feed, field, getattr(feed_config, field))
    return before != (feed.url, feed.interval_seconds, *(getattr(feed, f) for f in CONFIG_FIELDS))


def _reset_for_new_url(feed: Feed, url: str, now: datetime) -> None:
    # The old URL's validators, failures and 410 say nothing about the new one: start afresh.
    log.info("feed url changed feed=%s url=%s", feed.name, url)
    feed.url = url
    feed.etag = feed.last_modified = None
    feed.consecutive_failures = 0
    feed.next_poll_at = now
    if feed.status in ("gone", "error"):
        feed.status = "never"
        feed.last_error = None


# --- recording polls -----------------------------------------------------------------------


def record_success(session: Session, feed_id: int, *, now: datetime, http_status: int,
                   etag: str | None, last_modified: str | None, entries: int,
                   new_articles: int, duration_ms: int | None = None) -> Feed:
    """Record a 2xx poll: keep its validators, clear failures, schedule the next poll."""
    feed = _finish_poll(session, feed_id, now, "ok")
    feed.etag, feed.last_modified = etag, last_modified
    feed.next_poll_at = now + timedelta(seconds=feed.interval_seconds)
    session.add(FetchLog(feed_id=feed_id, fetched_at=now, http_status=http_status, outcome="ok",
                         entries=entries, new_articles=new_articles, duration_ms=duration_ms))
    return feed


def record_not_modified(session: Session, feed_id: int, *, now: datetime,
                        duration_ms: int | None = None) -> Feed:
    """Record a 304: the feed is healthy and unchanged; validators stay as they are."""
    feed = _finish_poll(session, feed_id, now, "not_modified")
    feed.next_poll_at = now + timedelta(seconds=feed.interval_seconds)
    session.add(FetchLog(feed_id=feed_id, fetched_at=now, http_status=304,
                         outcome="not_modified", duration_ms=duration_ms))
    return feed


def _finish_poll(session: Session, feed_id: int, now: datetime, status: str) -> Feed:
    feed = _feed(session, feed_id)
    feed.status = status
    feed.last_error = None
    feed.consecutive_failures = 0
    feed.last_polled_at = feed.last_success_at = now
    feed.claimed_until = None
    return feed


def record_failure(session: Session, feed_id: int, *, now: datetime, error: object,
                   http_status: int | None = None,
                   retry_after: float | timedelta | datetime | None = None, gone: bool = False,
                   duration_ms: int | None = None, max_backoff: int = 86400) -> Feed:
    """Record a failed poll and back off; `gone` (HTTP 410) stops polling the feed."""
    feed = _feed(session, feed_id)
    message = clean_error(error)
    feed.consecutive_failures = (feed.consecutive_failures or 0) + 1
    feed.status = "gone" if gone else "error"
    feed.last_error = message
    feed.last_polled_at = now
    feed.claimed_until = None
    feed.next_poll_at = next_poll_after_failure(
        now, feed.interval_seconds, feed.consecutive_failures, max_backoff, retry_after)
    session.add(FetchLog(feed_id=feed_id, fetched_at=now, http_status=http_status,
                         outcome=feed.status, error=message, duration_ms=duration_ms))
    log.warning("feed poll failed feed=%s status=%s http_status=%s failures=%d "
                "next_poll_at=%s error=%s", feed.name, feed.status, http_status,
                feed.consecutive_failures, feed.next_poll_at.isoformat(), message)
    return feed


def next_poll_after_failure(now: datetime, interval: int, failures: int, max_backoff: int,
                            retry_after: float | timedelta | datetime | None = None) -> datetime:
    """Exponential back-off capped at `max_backoff`, never before Retry-After."""
    # Cap the exponent too: 2**failures for a feed failing for months is a huge int.
    delay = min(interval * 2 ** min(max(failures - 1, 0), 32), max_backoff)
    due = now + timedelta(seconds=max(delay, 0))
    wait = _retry_after_delta(now, retry_after)
    return max(due, now + wait) if wait is not None else due


def _retry_after_delta(now: datetime, retry_after) -> timedelta | None:
    if retry_after is None:
        return None
    if isinstance(retry_after, datetime):
        wait = retry_after - now
    elif isinstance(retry_after, timedelta):
        wait = retry_after
    else:
        wait = timedelta(seconds=min(float(retry_after), MAX_RETRY_AFTER.total_seconds()))
    return min(max(wait, timedelta(0)), MAX_RETRY_AFTER)


def _feed(session: Session, feed_id: int) -> Feed:
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise LookupError(f"no feed with id {feed_id}")
    return feed


# --- health --------------------------------------------------------------------------------


def feed_health(session: Session, now: datetime, dead_after_failures: int = 10
                ) -> list[FeedHealth]:
    """Every feed's health, by name; `dead` when an enabled feed is gone or keeps failing.

    `now` is the caller's clock, kept in the signature for checks relative to it.
    """
    feeds = session.scalars(select(Feed).order_by(Feed.name))
    return [_health(feed, dead_after_failures) for feed in feeds]


def _health(feed: Feed, dead_after_failures: int) -> FeedHealth:
    dead = feed.enabled and (feed.status == "gone"
                             or feed.consecutive_failures >= dead_after_failures)
    return FeedHealth(
        name=feed.name, url=redact(feed.url), enabled=feed.enabled, status=feed.status,
        last_polled_at=feed.last_polled_at, last_success_at=feed.last_success_at,
        consecutive_failures=feed.consecutive_failures, next_poll_at=feed.next_poll_at,
        last_error=feed.last_error, dead=dead,
    )
