"""Detection: statements in the article text (detect/, in a worker process, with a timeout).

The text goes to a detection worker (crawler.workers.DetectionWorkers: each
process holds the model) and the statements come back; nothing CPU-heavy runs
on the event loop. A detection that runs over its time is killed with its
worker, which is replaced; the other articles go on. A detection that fails or
runs over drops the entry as failed, with its reason: it is not archived, so
a later poll tries it again rather than archiving it without its statements.
One that ran over would run over again on every refetch (and one whose worker
died under it, killed or crashed, would likely die again), so it is reported to
its poll like an entry the database refuses (crawler.polls.entry_refused): the
feed shows the reason (`feeds list`), keeps its validators, and the entry is
tried again only when the feed changes. A feed without validators changes on
every poll, so each failure is also counted (db.failures): after
MAX_DETECTION_ATTEMPTS the entry is skipped.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from scrapy.exceptions import DropItem
from sqlalchemy.exc import SQLAlchemyError

from crawler.pipelines import ContextPipeline, live_item
from crawler.workers import PoolClosed, TaskTimeout, WorkerDied
from db.feeds import clean_error

log = logging.getLogger(__name__)


class DetectionPipeline(ContextPipeline):
    """Fills `statements` with what the detector finds in the article."""

    async def process_item(self, item):
        item = live_item(self.context, item)
        article = item.article
        detector = self.context.detector
        timeout = self.context.extract_timeout
        try:
            statements = await self.context.detectors.find_statements(
                timeout, detector, article.text,
                title=article.title, agency_voice=article.agency_voice,
                place=feed_place(self.context.config, article.feed),
                year=article.published.year if article.published else None)
        except TaskTimeout:
            raise await self._refused(item, f"detection ran over {timeout:g}s and was killed "
                                            f"chars={len(article.text)}") from None
        except PoolClosed:  # stopping: not this text's failure, and the archive may be closed
            raise DropItem(f"stopping before detection finished url={article.url}") from None
        except WorkerDied as exc:  # a crash on this text would recur on every refetch too
            raise await self._refused(item, f"detection failed, {exc}") from None
        except MemoryError:  # the worker's address-space limit: this text, not a bug
            raise await self._refused(item, f"detection needs more memory than a worker may "
                                            f"use chars={len(article.text)}") from None
        except Exception as exc:  # the detector's own failure is a bug: keep its traceback
            log.exception("detection failed url=%s", article.url)
            raise DropItem(f"detection failed url={article.url}: {exc}") from None
        return replace(item, statements=tuple(statements))

    async def _refused(self, item, why: str) -> DropItem:
        """Count the failure and report it to the entry's poll; the DropItem for it."""
        reason = clean_error(f"{why} url={item.article.url}")
        await self._count_failure(item.article, reason)
        poll = self.context.polls.get(item.poll_id)
        if poll is not None:
            self.context.polls.entry_refused(poll, reason)
        return DropItem(reason)

    async def _count_failure(self, article, reason: str) -> None:
        from db.failures import MAX_DETECTION_ATTEMPTS, record_failed_detection
        from db.models import utcnow

        try:
            attempts = await self.context.db.run(record_failed_detection, article.feed_id,
                                                 article.entry_key, reason, utcnow())
        except SQLAlchemyError as exc:  # the database away: tried again at the next poll
            log.warning("failed detection not counted url=%s error=%s", article.url,
                        clean_error(getattr(exc, "orig", None) or exc))
            return
        if attempts >= MAX_DETECTION_ATTEMPTS:
            log.warning("entry skipped from now on: detection failed %d times feed=%s url=%s",
                        attempts, article.feed, article.url)


def feed_place(config, feed_name: str) -> str | None:
    """The place the article's feed covers (``[[feeds]] place``), if the config names one."""
    return next((f.place for f in config.feeds if f.name == feed_name), None)
