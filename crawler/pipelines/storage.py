"""Storage: each article with its statements and alert rows, all or nothing (db.archive).

Articles that arrive while a write is in flight are grouped into the next one: at most
MAX_BATCH articles in one `db.run` call and one transaction, each article in a SAVEPOINT
of it (db.archive.store_articles). A lone article is written at once: nothing waits on a
timer. So one transaction holds a batch of articles, and each article, its statements and
their alert rows still land together or not at all (the outbox rule): an article the
database refuses is rolled back alone and its batch-mates land; a batch whose commit fails
(database gone) stores none of its articles, and each of their items fails as its own
write would have, so the entries are read again at the next poll.

Scraped text is made `storable` here, the one way into the archive, so both
engines store the same text. An entry the database still refuses for its data
(a data error: the same values fail the same way every time) is reported to its
poll, which records it on the feed (crawler.polls), and dropped; the log line
names the feed, the URL and the database's reason, never the article's text.

Counts new articles on the poll, and calls `on_new_alerts` after a commit
that added alert rows, so delivery starts at once instead of at its next tick.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from datetime import timedelta

from scrapy.exceptions import DropItem

from crawler.pipelines import ContextPipeline, live_item
from crawler.recording import store_batch
from db.archive import ArticleToStore, lost_lock_race
from db.feeds import clean_error
from db.models import utcnow
from items import storable

log = logging.getLogger(__name__)

MAX_BATCH = 32  # articles per transaction: bounds what a failed commit sends back to re-read
REASON_CHARS = 160  # a server's message may quote the refused value: keep only its start
URL_CHARS = 300


class StoragePipeline(ContextPipeline):
    """Archives each item and kicks alert delivery when it added alerts."""

    def __init__(self, context):
        super().__init__(context)
        self._queue: deque[tuple[ArticleToStore, asyncio.Future]] = deque()
        self._writer: asyncio.Task | None = None

    async def process_item(self, item):
        item = live_item(self.context, item)
        article, statements = storable(item.article), storable(item.statements)
        outcome = await self._stored(ArticleToStore(article, statements, utcnow()))
        if isinstance(outcome, Exception):  # the database refused this article's data
            raise self._refused(item, outcome)
        poll = self.context.polls.get(item.poll_id)
        if poll is not None and not outcome.already_stored:
            poll.new_articles += 1
        log.info("article stored feed=%s url=%s source=%s statements=%d alerts=%d",
                 article.feed, article.url, article.text_source,
                 len(statements), len(outcome.alert_ids))
        if outcome.alert_ids:
            self._kick()
        return item

    def _stored(self, article: ArticleToStore) -> asyncio.Future:
        """Queue `article` for the next write; its StoreResult or refusal, once committed."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.append((article, future))
        if self._writer is None:
            self._writer = loop.create_task(self._write_queued())
        return future

    async def _write_queued(self) -> None:
        """Write what is queued, a batch at a time, until nothing is."""
        try:
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(MAX_BATCH, len(self._queue)))]
                # A cancelled caller (stopping) no longer waits for its article.
                await self._write([(a, f) for a, f in batch if not f.done()])
        finally:
            self._writer = None

    async def _write(self, batch: list[tuple[ArticleToStore, asyncio.Future]],
                     again: bool = True) -> None:
        """One transaction for the batch; each caller gets its own outcome or the batch's
        error (nothing of the batch was committed then). An article that lost a lock race
        to another worker's batch is written once more, after this one's commit let the
        other go on."""
        if not batch:
            return
        config = self.context.config
        try:
            outcomes = await self.context.db.run(
                store_batch, [article for article, _ in batch], channel=config.slack.channel,
                also_reported=config.slack.also_reported_replies,
                backfill=timedelta(seconds=config.scheduler.backfill),
                routes=config.alerts.routes)
        except asyncio.CancelledError:  # the database thread was shut down under it
            for _, future in batch:
                future.cancel()
            return
        except Exception as exc:
            for _, future in batch:
                _settle(future, exception=exc)
            return
        retry = []
        for (article, future), outcome in zip(batch, outcomes, strict=True):
            if lost_lock_race(outcome) and again:
                retry.append((article, future))
            elif lost_lock_race(outcome):  # not this article's data: fail it, do not drop it
                _settle(future, exception=outcome)
            else:
                _settle(future, result=outcome)
        if retry:
            log.info("articles lost a lock race to another worker, writing them again count=%d",
                     len(retry))
            await self._write(retry, again=False)

    def _refused(self, item, exc: Exception) -> DropItem:
        """Report an entry the database refused to its poll; the DropItem that drops it."""
        url = item.article.url[:URL_CHARS]
        error = clean_error(f"entry not stored, the database refused its data "
                            f"({refusal(exc)}) url={url}")
        log.warning("entry not stored, the database refused its data feed=%s url=%s error=%s",
                    item.article.feed, url, refusal(exc))
        poll = self.context.polls.get(item.poll_id)
        if poll is not None:
            self.context.polls.entry_refused(poll, error)
        # DEBUG: Scrapy logs the dropped item itself (its text) with this message.
        return DropItem(f"entry not stored url={url}", log_level="DEBUG")

    def _kick(self) -> None:
        callback = self.context.on_new_alerts
        if callback is None:
            return
        try:
            callback()
        except Exception:  # delivery has its own schedule; never fail the store for it
            log.exception("on_new_alerts callback failed")


def _settle(future: asyncio.Future, *, result=None, exception: Exception | None = None) -> None:
    """Give a waiting caller its outcome (one that stopped waiting is left alone)."""
    if future.done():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)


def refusal(exc: Exception) -> str:
    """The database's reason in one short line: the driver's error, never the statement's
    parameters (SQLAlchemy's message lists them, article text included)."""
    reason = getattr(exc, "orig", None) or exc
    first = (str(reason).strip().splitlines() or [""])[0]
    return storable(f"{type(reason).__name__}: {first[:REASON_CHARS]}")
