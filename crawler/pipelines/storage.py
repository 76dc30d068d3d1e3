"""Storage: article + statements + alert rows in one transaction (db.archive).

Scraped text is made `storable` here, the one way into the archive, so both
engines store the same text. An entry the database still refuses for its data
(a data error: the same values fail the same way every time) is reported to its
poll, which records it on the feed (crawler.polls), and dropped; the log line
names the feed, the URL and the database's reason, never the article's text.

Counts new articles on the poll, and calls `on_new_alerts` after a commit
that added alert rows, so delivery starts at once instead of at its next tick.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from scrapy.exceptions import DropItem
from sqlalchemy.exc import DataError

from crawler.pipelines import ContextPipeline, live_item
from crawler.recording import store
from db.feeds import clean_error
from db.models import utcnow
from items import storable

log = logging.getLogger(__name__)

REASON_CHARS = 160  # a server's message may quote the refused value: keep only its start
URL_CHARS = 300


class StoragePipeline(ContextPipeline):
    """Archives each item and kicks alert delivery when it added alerts."""

    async def process_item(self, item):
        item = live_item(self.context, item)
        article, statements = storable(item.article), storable(item.statements)
        slack = self.context.config.slack
        backfill = timedelta(seconds=self.context.config.scheduler.backfill)
        try:
            result = await self.context.db.run(
                store, article, statements, channel=slack.channel,
                also_reported=slack.also_reported_replies, now=utcnow(), backfill=backfill,
                routes=self.context.config.alerts.routes)
        except (DataError, UnicodeError) as exc:
            raise self._refused(item, exc) from None
        poll = self.context.polls.get(item.poll_id)
        if poll is not None and not result.already_stored:
            poll.new_articles += 1
        log.info("article stored feed=%s url=%s source=%s statements=%d alerts=%d",
                 article.feed, article.url, article.text_source,
                 len(statements), len(result.alert_ids))
        if result.alert_ids:
            self._kick()
        return item

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


def refusal(exc: Exception) -> str:
    """The database's reason in one short line: the driver's error, never the statement's
    parameters (SQLAlchemy's message lists them, article text included)."""
    reason = getattr(exc, "orig", None) or exc
    first = (str(reason).strip().splitlines() or [""])[0]
    return storable(f"{type(reason).__name__}: {first[:REASON_CHARS]}")
