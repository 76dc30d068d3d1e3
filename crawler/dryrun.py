"""`beatwire feeds test URL`: poll one feed now and show what would be stored and alerted.

It runs the real crawl (fetch, SSRF guard, parsing, extraction, detection,
novelty) against a throwaway SQLite archive in a temporary folder, prints
what that archive received, and deletes it: the configured database is never
touched. Novelty is judged against the empty archive, so every statement
shows as new.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from config import Config, DatabaseConfig, FeedConfig, describe_errors

FEED_NAME = "dry-run"
WAIT_SECONDS = 300


def dry_run(config: Config | None, url: str, *, kind: str = "feed",
            item_selector: str | None = None, agency: str | None = None,
            out: TextIO = sys.stdout) -> int:
    """Poll `url` once into a temporary archive and print the result; 0 if the poll succeeded."""
    config = config or Config()
    try:
        feed = FeedConfig(name=FEED_NAME, url=url, kind=kind, agency=agency,
                          item_selector=item_selector)
    except ValidationError as exc:
        out.write(f"beatwire: {describe_errors(exc)}\n")
        return 2
    with tempfile.TemporaryDirectory(prefix="beatwire-dry-run-") as folder:
        db_url = f"sqlite:///{Path(folder) / 'dry-run.db'}"
        trial = config.model_copy(update={"database": DatabaseConfig(url=db_url), "feeds": [feed]})
        from crawler import runtime

        code = runtime.run(lambda: _poll(trial))
        return _report(db_url, out) if code == 0 else code


async def _poll(config: Config) -> int:
    from app import build
    from crawler.service import CrawlService
    from db.claims import claim_due_feeds
    from db.engine import transaction
    from db.feeds import sync_feeds
    from db.migrate import upgrade

    upgrade(config.database.url)
    # As the daemon's: detection runs in worker processes, which load the model themselves.
    parts = build(config, load_model=False)
    with transaction(parts.sessions) as session:
        sync_feeds(session, config, parts.clock())
    with parts.sessions() as session:
        feeds = claim_due_feeds(session, now=parts.clock(), limit=1,
                                lease=timedelta(minutes=10))
    service = await CrawlService.start(config, parts.sessions, parts.detector)
    try:
        service.submit(feeds)
        await service.wait_idle(WAIT_SECONDS)
    finally:
        await service.stop()
        parts.close()
    return 0


def _report(db_url: str, out: TextIO) -> int:
    from sqlalchemy import select

    from db.engine import make_engine, make_sessionmaker
    from db.models import Alert, Article, Feed, FetchLog

    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as session:
        feed = session.scalar(select(Feed))
        log = session.scalar(select(FetchLog).order_by(FetchLog.id.desc()))
        articles = list(session.scalars(select(Article).order_by(Article.id)))
        alerts = session.scalar(select(Alert.id).limit(1)) is not None
        _write_feed(out, feed, log)
        for article in articles:
            _write_article(out, article)
        out.write(f"\n{len(articles)} article(s) would be stored"
                  f"{', with alerts' if alerts else ', no alerts'}; nothing was written.\n")
    engine.dispose()
    return 0 if feed is not None and feed.status in ("ok", "not_modified") else 1


def _write_feed(out: TextIO, feed, log) -> None:
    if feed is None or log is None:
        out.write("feed: not polled (timed out)\n")
        return
    status = f"HTTP {log.http_status}" if log.http_status else "no response"
    out.write(f"feed: {feed.url}\n  {feed.status} ({status}), {log.entries} entries, "
              f"{log.duration_ms} ms\n")
    if feed.last_error:
        out.write(f"  error: {feed.last_error}\n")


def _write_article(out: TextIO, article) -> None:
    date = article.published.date().isoformat() if article.published else "no date"
    out.write(f"\n- {article.title or '(untitled)'}\n  {article.url}\n"
              f"  {date}; text from the {article.text_source}, {len(article.text)} chars\n")
    for statement in article.statements:
        agency = statement.agency.name if statement.agency else statement.agency_as_written
        who = statement.speaker or "(the agency)"
        quote = " ".join(statement.quote.split())
        quote = quote if len(quote) <= 160 else quote[:159] + "…"
        out.write(f"  * {statement.stance or 'no stance'}: {agency or '?'}, {who}: \"{quote}\"\n")
