"""Feed polls in flight: what each is waiting for, and recording how it ended.

A poll is open from `submit` until its outcome is written: the feed request,
then every new entry (article fetch, extraction, detection, storage). Every
poll ends in exactly one record (success, not modified, failure), which also
releases the feed's lease and is fenced on the claim (a worker that lost the
feed's lease records nothing). The records of polls that close while a write is
in flight go into the next transaction together (at most MAX_RECORDS, each in a
SAVEPOINT: db.feeds.record_polls); a lone record is written at once. A poll whose entries
failed to store records success without the new validators, so the next poll
fetches the whole feed again and retries them instead of getting a 304 —
unless every failed entry was refused by the database for its data: those fail
the same way on every refetch, so the validators are kept (the entries stay
unseen and are retried when the feed changes) and the feed records the refusal
(db.archive.record_refused_entries), so it does not show as `ok`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from dataclasses import dataclass, field

from db.archive import record_refused_entries
from db.claims import release_feed
from db.feeds import (
    PollRecord,
    clean_error,
    record_failure,
    record_not_modified,
    record_polls,
    record_success,
)
from db.health import is_unavailable
from db.models import Feed, utcnow
from items import redact_url

log = logging.getLogger(__name__)
_ids = itertools.count(1)
# Poll records per transaction: a 304 cycle closes polls faster than one commit each allows.
MAX_RECORDS = 64


@dataclass(frozen=True)
class FeedSnapshot:
    """The fields of a claimed Feed row that one poll needs."""

    id: int
    name: str
    url: str
    kind: str
    agency: str | None
    item_selector: str | None
    etag: str | None
    last_modified: str | None
    holder: str | None = None  # the claim's `claimed_by`: the poll's record is fenced on it

    @classmethod
    def of(cls, feed: Feed) -> FeedSnapshot:
        """Copy a Feed row (it may belong to a closed session)."""
        return cls(feed.id, feed.name, feed.url, feed.kind or "feed", feed.agency,
                   feed.item_selector, feed.etag, feed.last_modified, feed.claimed_by)


@dataclass(eq=False)
class Poll:
    """One poll of one feed, and its counts so far."""

    feed: FeedSnapshot
    id: int = field(default_factory=lambda: next(_ids))
    started: float = field(default_factory=time.monotonic)
    pending: int = 0  # entries dispatched and not yet finished
    listed: bool = False  # the feed document is handled and every entry dispatched
    closed: bool = False  # outcome being recorded, or abandoned: ignore late results
    entries: int = 0
    new_articles: int = 0
    failed_entries: int = 0
    refused: list[str] = field(default_factory=list)  # entries the database refused, why
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None

    def duration_ms(self) -> int:
        """Milliseconds since the poll began."""
        return int((time.monotonic() - self.started) * 1000)


class PollTracker:
    """Open polls by id, and the records that close them."""

    def __init__(self, db, max_backoff, dead_after=lambda: None):
        self.db = db
        self.max_backoff = max_backoff  # callables: the live config's values
        self.dead_after = dead_after
        self.polls: dict[int, Poll] = {}
        self._feeds: set[int] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = asyncio.Event()  # set each time a poll closes: wait_below's wake-up
        self._records: set[asyncio.Task] = set()
        # Polls closed and not yet written: the next transaction takes what has gathered.
        self._queue: deque[tuple[Poll, PollRecord]] = deque()
        self._writer: asyncio.Task | None = None

    def open(self, feed: FeedSnapshot) -> Poll | None:
        """A new poll of `feed`, or None when that feed is already being polled."""
        if feed.id in self._feeds:
            return None
        poll = Poll(feed)
        self.polls[poll.id] = poll
        self._feeds.add(feed.id)
        self._idle.clear()
        return poll

    def get(self, poll_id: int | None) -> Poll | None:
        """The open poll with this id (None once it is closed or abandoned)."""
        poll = self.polls.get(poll_id)
        return poll if poll is not None and not poll.closed else None

    def in_flight(self) -> int:
        """Polls not yet recorded."""
        return len(self.polls)

    def feed_ids(self) -> list[int]:
        """The feeds being polled (their leases are renewed while the poll runs)."""
        return sorted(self._feeds)

    def entry_started(self, poll: Poll) -> None:
        """One more entry of `poll` is on its way."""
        poll.pending += 1

    def entry_finished(self, poll: Poll, *, failed: bool = False) -> None:
        """An entry of `poll` is stored (or given up: `failed`)."""
        poll.pending -= 1
        poll.failed_entries += int(failed)
        self._maybe_succeed(poll)

    def entry_refused(self, poll: Poll, error: str) -> None:
        """The database refused an entry's data (it then finishes as failed)."""
        poll.refused.append(error)

    def listed(self, poll: Poll, *, http_status: int, etag: str | None,
               last_modified: str | None, entries: int) -> None:
        """The feed document is handled and all its new entries dispatched."""
        poll.listed = True
        poll.http_status, poll.etag, poll.last_modified = http_status, etag, last_modified
        poll.entries = entries
        self._maybe_succeed(poll)

    def _maybe_succeed(self, poll: Poll) -> None:
        if poll.closed or not poll.listed or poll.pending > 0:
            return
        keep = poll.failed_entries == len(poll.refused)
        record, refused = ((record_refused_entries, {"refused": tuple(poll.refused)})
                           if poll.refused else (record_success, {}))
        self._close(poll, record, http_status=poll.http_status,
                    etag=poll.etag if keep else None,
                    last_modified=poll.last_modified if keep else None,
                    entries=poll.entries, new_articles=poll.new_articles, **refused)
        log.info("feed polled feed=%s status=%s entries=%d new_articles=%d failed_entries=%d",
                 poll.feed.name, poll.http_status, poll.entries, poll.new_articles,
                 poll.failed_entries)

    def not_modified(self, poll: Poll) -> None:
        """The feed answered 304."""
        self._close(poll, record_not_modified)
        log.info("feed not modified feed=%s", poll.feed.name)

    def failed(self, poll: Poll, error: str, *, http_status: int | None = None,
               retry_after: float | None = None, gone: bool = False) -> None:
        """The poll failed; the feed backs off (at least Retry-After). Its record logs the
        poll's one line (feed, url, why)."""
        if poll.closed:
            return
        self._close(poll, record_failure, error=error, http_status=http_status,
                    retry_after=retry_after, gone=gone, max_backoff=self.max_backoff(),
                    dead_after_failures=self.dead_after())

    def _close(self, poll: Poll, record, **fields) -> None:
        poll.closed = True
        fields.update(now=utcnow(), holder=poll.feed.holder, duration_ms=poll.duration_ms())
        self._queue.append((poll, PollRecord(record, poll.feed.id, fields)))
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_queued())
            self._records.add(self._writer)
            self._writer.add_done_callback(self._records.discard)

    async def _write_queued(self) -> None:
        """Write the queued records, a batch a transaction, until none is left."""
        try:
            while self._queue:
                count = min(MAX_RECORDS, len(self._queue))
                await self._write([self._queue.popleft() for _ in range(count)])
        finally:
            self._writer = None

    async def _write(self, batch: list[tuple[Poll, PollRecord]]) -> None:
        try:
            refused = await self.db.run(record_polls, [record for _, record in batch])
        except Exception as exc:  # nothing of the batch was committed
            refused = [exc] * len(batch)
        finally:
            for poll, _ in batch:
                self._forget(poll)
        for (poll, _), exc in zip(batch, refused, strict=True):
            if exc is not None:
                log_database_failure("recording poll failed (its lease will expire) feed=%s "
                                     "url=%s", exc, poll.feed.name, redact_url(poll.feed.url))

    def _forget(self, poll: Poll) -> None:
        if self.polls.pop(poll.id, None) is not None:
            self._feeds.discard(poll.feed.id)
            self._closed.set()
        if not self.polls:
            self._idle.set()

    async def abandon_all(self, timeout: float | None = None) -> int:
        """Drop every open poll and release its lease (it is re-claimed later), within
        `timeout` seconds; a release that fails is logged and the leases expire instead."""
        abandoned = [poll for poll in self.polls.values() if not poll.closed]
        for poll in abandoned:
            poll.closed = True
            self._forget(poll)
        if abandoned:
            try:
                await asyncio.wait_for(
                    self.db.run(_release_all, [poll.feed for poll in abandoned]), timeout)
            except Exception as exc:
                log_database_failure("releasing leases failed (they will expire) count=%d",
                                     exc, len(abandoned))
            else:
                log.info("polls abandoned count=%d", len(abandoned))
        return len(abandoned)

    async def drain(self, timeout: float) -> None:
        """Give records already under way up to `timeout` seconds to commit."""
        if self._records:
            await asyncio.wait(set(self._records), timeout=timeout)

    async def wait_below(self, count: int, timeout: float) -> bool:
        """True once at most `count` polls are open; False if `timeout` seconds pass first."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.polls) > count:
            self._closed.clear()
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return False
            try:
                await asyncio.wait_for(self._closed.wait(), left)
            except asyncio.TimeoutError:
                return False
        return True

    async def wait_idle(self, timeout: float | None = None) -> bool:
        """True once no poll is open; False if `timeout` seconds pass first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True


def log_database_failure(message: str, exc: Exception, *args) -> None:
    """Database trouble (away, read-only, too slow: db.health.is_unavailable) is one warning
    line with its reason; anything else is a bug and keeps its traceback."""
    if isinstance(exc, asyncio.TimeoutError):
        log.warning(message + " error=timed out", *args)
    elif is_unavailable(exc):
        log.warning(message + " error=%s", *args, clean_error(getattr(exc, "orig", None) or exc))
    else:
        log.error(message, *args, exc_info=exc)


def _release_all(session, feeds: list[FeedSnapshot]) -> None:
    for feed in feeds:
        release_feed(session, feed.id, feed.holder)
