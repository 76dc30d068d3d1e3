"""Storage: article + statements + alert rows in one transaction (db.archive).

Counts new articles on the poll, and calls `on_new_alerts` after a commit
that added alert rows, so delivery starts at once instead of at its next tick.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from crawler.pipelines import ContextPipeline, live_item
from crawler.recording import store
from db.models import utcnow

log = logging.getLogger(__name__)


class StoragePipeline(ContextPipeline):
    """Archives each item and kicks alert delivery when it added alerts."""

    async def process_item(self, item):
        item = live_item(self.context, item)
        slack = self.context.config.slack
        backfill = timedelta(seconds=self.context.config.scheduler.backfill)
        result = await self.context.db.run(
            store, item.article, item.statements, channel=slack.channel,
            also_reported=slack.also_reported_replies, now=utcnow(), backfill=backfill)
        poll = self.context.polls.get(item.poll_id)
        if poll is not None and not result.already_stored:
            poll.new_articles += 1
        log.info("article stored feed=%s url=%s source=%s statements=%d alerts=%d",
                 item.article.feed, item.article.url, item.article.text_source,
                 len(item.statements), len(result.alert_ids))
        if result.alert_ids:
            self._kick()
        return item

    def _kick(self) -> None:
        callback = self.context.on_new_alerts
        if callback is None:
            return
        try:
            callback()
        except Exception:  # delivery has its own schedule; never fail the store for it
            log.exception("on_new_alerts callback failed")
