"""Item pipelines, one module per stage: extraction -> detection -> storage.

Each stage takes a PageItem and returns a new one (items are frozen). Every
stage drops the items of a poll that was abandoned (service stopping), and
builds itself from the spider's CrawlContext; without one (another spider)
it raises NotConfigured and Scrapy leaves it out.
"""

from __future__ import annotations

from scrapy.exceptions import DropItem, NotConfigured

from items import PageItem


def context_of(crawler):
    """The CrawlContext of the crawler's spider, or NotConfigured."""
    context = getattr(getattr(crawler, "spider", None), "context", None)
    if context is None:
        raise NotConfigured("no Beatwire crawl context on this spider")
    return context


class ContextPipeline:
    """A pipeline stage built from the spider's CrawlContext."""

    def __init__(self, context):
        self.context = context

    @classmethod
    def from_crawler(cls, crawler):
        return cls(context_of(crawler))


def live_item(context, item) -> PageItem:
    """`item` if its poll is still open; DropItem otherwise."""
    if not isinstance(item, PageItem):
        raise DropItem(f"not a PageItem: {type(item).__name__}")
    if context.polls.get(item.poll_id) is None:
        raise DropItem("poll abandoned", log_level="DEBUG")
    return item
