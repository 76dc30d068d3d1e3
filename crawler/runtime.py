"""One process, one event loop: Scrapy's asyncio reactor, with asyncio on top.

Importing this module installs Twisted's AsyncioSelectorReactor (a reactor is
chosen once per process, by the first import of twisted.internet.reactor), so
import it before anything else touches Twisted. `run(main)` runs a coroutine
as an asyncio task on that loop, where APScheduler's AsyncIOScheduler and
Scrapy's AsyncCrawlerRunner share it, and returns its exit code.

The reactor does not install its own SIGINT/SIGTERM handlers: a handler that
stops the reactor would cut the crawl off mid-transaction. `main` installs
its own with loop.add_signal_handler and returns when it has stopped cleanly.
A stopped reactor cannot restart, so `run` is called once per process.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from scrapy.utils.reactor import (
    install_reactor,
    is_asyncio_reactor_installed,
    is_reactor_installed,
)

ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
log = logging.getLogger(__name__)


def install() -> None:
    """Install the asyncio reactor unless it already is; fail if another one is."""
    if not is_reactor_installed():
        install_reactor(ASYNCIO_REACTOR)
    elif not is_asyncio_reactor_installed():
        raise RuntimeError(
            "a non-asyncio Twisted reactor was installed before crawler.runtime was imported"
        )


install()


def run(main: Callable[[], Awaitable[int]]) -> int:
    """Run `main()` on the reactor's asyncio loop until it returns; return its exit code."""
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor

    outcome: dict[str, int] = {}

    def finished(result):
        if isinstance(result, int) and not isinstance(result, bool):
            outcome["code"] = result
        elif hasattr(result, "getTraceback"):  # a Failure
            log.error("main failed: %s", result.getTraceback())
            outcome["code"] = 1
        else:
            outcome["code"] = 0 if result is None else 1
        reactor.stop()

    def begin():
        deferred_from_coro(_as_coroutine(main)).addBoth(finished)

    reactor.callWhenRunning(begin)
    reactor.run(installSignalHandlers=False)
    return outcome.get("code", 1)


async def _as_coroutine(main: Callable[[], Awaitable[int]]) -> int:
    return await main()
