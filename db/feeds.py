"""Feeds in the database: syncing them from config, recording each poll, and their health.

The config is the source of truth for what a feed *is* (url, kind, agency, interval,
enabled); the database owns how polling it is *going* (validators, next poll, failures,
status). Every poll ends in exactly one of `record_success`, `record_not_modified` or
`record_failure`, which writes one `fetch_log` row, schedules the next poll and releases the
claim's lease. A record is fenced on the claim, as the outbox is: written only by the claim's
holder, so a worker that lost its lease (taken over, or expired and re-claimed) writes
nothing. Nothing here commits: the caller owns the transaction.

Sync runs under the cluster lock and records the hash of the feeds section it applied. The
file that last synced owns the feeds: a worker whose file differs, while other workers are
alive, adds and updates its feeds but disables none it does not know (one warning line), so
two machines with different files never switch each other's feeds off.

Back-off after failures: the next poll is `interval * 2**(failures - 1)` seconds later,
capped at `max_backoff`, and never earlier than the server's Retry-After. HTTP 410 marks the
feed `gone`: it is no longer claimed until its URL changes in the config.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from config import Config, FeedConfig
from db.claims import held_by
from db.locks import cluster_lock, write_lock
from db.models import Feed, FeedSyncState, FetchLog
from items import redact_url, storable

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 300
# A hostile or broken Retry-After must not push a feed into the far future (or overflow).
MAX_RETRY_AFTER = timedelta(days=7)
# Beyond URL userinfo (items.redact_url): secret-looking query parameters,
# Slack/Bearer tokens.
_SECRETS = (
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
    # Feeds this file does not know that it left enabled (its file is not the cluster's).
    kept: tuple[str, ...] = ()


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
    skipped_entries: int = 0  # entries given up on after failed detections (db.failures)


def redact(text: str) -> str:
    """`text` with URL credentials (as `redact_url` masks them everywhere), secret query
    parameters and tokens masked."""
    text = redact_url(text)
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def clean_error(error: object) -> str:
    """One short line with credentials and tokens masked: safe for logs and the database
    (without NUL or lone surrogates, which PostgreSQL refuses: `items.storable`)."""
    text = redact(" ".join(storable(str(error)).split()))
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return text or "unknown error"


# --- syncing from config -------------------------------------------------------------------


def feeds_hash(config: Config) -> str:
    """sha256 of the feeds section as it applies (order of the tables aside)."""
    feeds = sorted(({**feed.model_dump(mode="json"), "interval": config.feed_interval(feed)}
                    for feed in config.feeds), key=lambda feed: feed["name"])
    return hashlib.sha256(json.dumps(feeds, sort_keys=True).encode()).hexdigest()


def sync_feeds(session: Session, config: Config, now: datetime, *,
               worker: str | None = None) -> FeedSync:
    """Upsert the config's feeds by name, under the cluster lock; record the file's hash.

    Feeds gone from the config are disabled only when this file owns the feeds: it is the
    one last synced, `worker` synced it, or no other worker is alive. Call it first in
    its transaction (the lock must come before any write).
    """
    cluster_lock(session, "feed_sync")
    digest = feeds_hash(config)
    last = session.get(FeedSyncState, 1)
    owner = _owns_feeds(session, last, digest, worker, now,
                        timedelta(seconds=config.scheduler.lease))
    existing = {feed.name: feed for feed in session.scalars(select(Feed))}
    added, changed = [], []
    for feed_config in config.feeds:
        feed = existing.pop(feed_config.name, None)
        if feed is None:
            session.add(_new_feed(feed_config, config.feed_interval(feed_config), now))
            added.append(feed_config.name)
        elif _apply_config(feed, feed_config, config.feed_interval(feed_config), now):
            changed.append(feed.name)
    unknown = [feed.name for feed in existing.values() if feed.enabled]
    disabled, kept = (unknown, []) if owner else ([], unknown)
    for name in disabled:
        existing[name].enabled = False
    if owner:
        _record_sync(session, last, digest, worker, now)
    else:
        log.warning("feeds config differs from the one last synced (hash %s at %s): feeds "
                    "it does not know are left as they are kept=%d hash=%s",
                    last.config_hash[:12], last.synced_at.isoformat(), len(kept), digest[:12])
    session.flush()
    result = FeedSync(tuple(added), tuple(changed), tuple(disabled), tuple(kept))
    if added or changed or disabled:
        log.info("feeds synced added=%d changed=%d disabled=%d", len(added), len(changed),
                 len(disabled))
    return result


def _owns_feeds(session: Session, last: FeedSyncState | None, digest: str,
                worker: str | None, now: datetime, lease: timedelta) -> bool:
    """Whether this file decides which feeds are enabled (see the module docstring)."""
    from db.workers import live_workers

    if last is None or last.config_hash == digest:
        return True
    if worker is not None and last.synced_by == worker:
        return True  # a reload of the file that owns the feeds
    return not live_workers(session, now=now, lease=lease, exclude=worker)


def _record_sync(session: Session, last: FeedSyncState | None, digest: str,
                 worker: str | None, now: datetime) -> None:
    if last is None:
        session.add(FeedSyncState(id=1, config_hash=digest, synced_at=now, synced_by=worker))
    else:
        last.config_hash, last.synced_at, last.synced_by = digest, now, worker


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


@dataclass(frozen=True)
class PollRecord:
    """One poll's outcome to write: ``write(session, feed_id, **fields)``."""

    write: Callable[..., Feed | None]
    feed_id: int
    fields: dict


def record_polls(session: Session, records: Sequence[PollRecord]) -> list[Exception | None]:
    """Each poll's record (``record_success``, ``record_failure``, ...) in a SAVEPOINT of
    the caller's one transaction: a record the database refuses for its data is rolled back
    alone and its error returned in its place (None for the others)."""
    write_lock(session)
    refused: list[Exception | None] = []
    for record in records:
        try:
            with session.begin_nested():
                record.write(session, record.feed_id, **record.fields)
        except (DataError, IntegrityError, UnicodeError) as exc:
            refused.append(exc)
        else:
            refused.append(None)
    return refused


def record_success(session: Session, feed_id: int, *, now: datetime, http_status: int,
                   etag: str | None, last_modified: str | None, entries: int,
                   new_articles: int, duration_ms: int | None = None,
                   holder: str | None = None) -> Feed | None:
    """Record a 2xx poll: keep its validators, clear failures, schedule the next poll.

    `holder` is the claim's (None: an unclaimed feed); None is returned, and nothing
    written, when the feed's claim is no longer `holder`'s.
    """
    feed = _finish_poll(session, feed_id, now, "ok", holder)
    if feed is None:
        return None
    feed.etag, feed.last_modified = etag, last_modified
    feed.next_poll_at = now + timedelta(seconds=feed.interval_seconds)
    session.add(FetchLog(feed_id=feed_id, fetched_at=now, http_status=http_status, outcome="ok",
                         entries=entries, new_articles=new_articles, duration_ms=duration_ms))
    return feed


def record_not_modified(session: Session, feed_id: int, *, now: datetime,
                        duration_ms: int | None = None,
                        holder: str | None = None) -> Feed | None:
    """Record a 304: the feed is healthy and unchanged; validators stay as they are.
    Fenced on `holder` as record_success is."""
    feed = _finish_poll(session, feed_id, now, "not_modified", holder)
    if feed is None:
        return None
    feed.next_poll_at = now + timedelta(seconds=feed.interval_seconds)
    session.add(FetchLog(feed_id=feed_id, fetched_at=now, http_status=304,
                         outcome="not_modified", duration_ms=duration_ms))
    return feed


def _finish_poll(session: Session, feed_id: int, now: datetime, status: str,
                 holder: str | None) -> Feed | None:
    feed = _end_claim(session, feed_id, holder)
    if feed is None:
        return None
    feed.status = status
    feed.last_error = None
    feed.consecutive_failures = 0
    feed.last_polled_at = feed.last_success_at = now
    return feed


def _end_claim(session: Session, feed_id: int, holder: str | None) -> Feed | None:
    """Release `holder`'s claim on the feed and return it; None if the claim is not theirs.

    One conditional UPDATE: it is the fence (the row stays locked until our commit).
    """
    result = session.execute(update(Feed).where(Feed.id == feed_id, held_by(Feed, holder))
                             .values(claimed_until=None, claimed_by=None))
    feed = _feed(session, feed_id)
    if result.rowcount != 1:
        log.warning("feed poll not recorded: the claim is no longer ours feed=%s", feed.name)
        return None
    return feed


def record_failure(session: Session, feed_id: int, *, now: datetime, error: object,
                   http_status: int | None = None,
                   retry_after: float | timedelta | datetime | None = None, gone: bool = False,
                   duration_ms: int | None = None, max_backoff: int = 86400,
                   dead_after_failures: int | None = None,
                   holder: str | None = None) -> Feed | None:
    """Record a failed poll and back off; `gone` (HTTP 410) stops polling the feed.
    Fenced on `holder` as record_success is. Logs the poll's one line (see _log_failure)."""
    feed = _end_claim(session, feed_id, holder)
    if feed is None:
        return None
    message = clean_error(error)
    feed.consecutive_failures = (feed.consecutive_failures or 0) + 1
    feed.status = "gone" if gone else "error"
    feed.last_error = message
    feed.last_polled_at = now
    feed.next_poll_at = next_poll_after_failure(
        now, feed.interval_seconds, feed.consecutive_failures, max_backoff, retry_after)
    session.add(FetchLog(feed_id=feed_id, fetched_at=now, http_status=http_status,
                         outcome=feed.status, error=message, duration_ms=duration_ms))
    _log_failure(feed, http_status, message, dead_after_failures)
    return feed


def _log_failure(feed: Feed, http_status: int | None, message: str,
                 dead_after_failures: int | None) -> None:
    """The failed poll's one line: INFO, as a network failure is ordinary and the feed
    backs off; WARNING when the feed goes dead (gone, or its dead_after_failures-th failure
    in a row), which needs someone to look. `feeds list` and the health job say the rest."""
    dead = feed.status == "gone" or feed.consecutive_failures == dead_after_failures
    log.log(logging.WARNING if dead else logging.INFO,
            "feed poll failed%s feed=%s url=%s error=%s status=%s http_status=%s failures=%d "
            "next_poll_at=%s", ", the feed is now dead" if dead else "", feed.name,
            redact(feed.url), message, feed.status, http_status, feed.consecutive_failures,
            feed.next_poll_at.isoformat())


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
    from db.failures import skipped_per_feed

    skipped = skipped_per_feed(session)
    feeds = session.scalars(select(Feed).order_by(Feed.name))
    return [_health(feed, dead_after_failures, skipped.get(feed.id, 0)) for feed in feeds]


def _health(feed: Feed, dead_after_failures: int, skipped: int) -> FeedHealth:
    dead = feed.enabled and (feed.status == "gone"
                             or feed.consecutive_failures >= dead_after_failures)
    return FeedHealth(
        name=feed.name, url=redact(feed.url), enabled=feed.enabled, status=feed.status,
        last_polled_at=feed.last_polled_at, last_success_at=feed.last_success_at,
        consecutive_failures=feed.consecutive_failures, next_poll_at=feed.next_poll_at,
        last_error=feed.last_error, dead=dead, skipped_entries=skipped,
    )
