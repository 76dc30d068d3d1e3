"""The whole path, as an operator runs it: `beatwire run --once` against a local
feed site, a real database and the fake Slack API over HTTP."""

from __future__ import annotations

import pytest
from servers.feed_site import atom_feed, rss_feed
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from support import DEMO_ARTICLES

from db.models import Alert, Statement

pytestmark = pytest.mark.timeout(240)

SEED_PAGE = (DEMO_ARTICLES / "police-immigration-statements-2016.html").read_text("utf-8")
SEED_SPEAKERS = ("Beck", "Magnus", "Denver Police", "Scroggin")


def serve_seed(site, feed_path: str, *, fmt=rss_feed, link_suffix: str = "") -> str:
    """Serve the seed article and a feed at `feed_path` carrying it; return the feed URL."""
    site.route("/articles/seed.html", SEED_PAGE, content_type="text/html; charset=utf-8")
    site.route("/articles/bridge.html", (DEMO_ARTICLES / "valley-bridge.html").read_text("utf-8"),
               content_type="text/html; charset=utf-8")
    entries = [
        {"title": "Here's Why Police are Against Trump on Immigration Enforcement",
         "link": site.url("/articles/seed.html") + link_suffix, "guid": f"{feed_path}-seed",
         "summary": "Police chiefs speak out.", "published": "Fri, 18 Nov 2016 15:00:00 GMT"},
        {"title": "Council approves bridge repairs", "link": site.url("/articles/bridge.html"),
         "guid": f"{feed_path}-bridge", "summary": "Bridge repairs.",
         "published": "Mon, 21 Nov 2016 10:00:00 GMT"},
    ]
    site.route(feed_path, fmt(entries), content_type="application/xml")
    return site.url(feed_path)


def statement_alert_texts(fake_slack) -> list[str]:
    return [m.text for m in fake_slack.posted
            if m.metadata and m.thread_ts is None
            and m.metadata["event_payload"]["alert_key"].startswith("statement:")]


def counts(db_url: str) -> tuple[int, int, int]:
    engine = create_engine(db_url)
    with Session(engine) as session:
        primary = session.scalar(select(func.count()).select_from(Statement)
                                 .where(Statement.duplicate_of_id.is_(None)))
        sent = session.scalar(select(func.count()).select_from(Alert).where(Alert.status == "sent"))
        pending = session.scalar(select(func.count()).select_from(Alert)
                                 .where(Alert.status != "sent"))
    engine.dispose()
    return primary, sent, pending


def test_seed_article_alerts_each_statement_once(db_url, feed_site, fake_slack, make_config,
                                                 beatwire):
    feed_a = {"name": "Metro Police News", "url": serve_seed(feed_site, "/a.xml")}
    config = make_config(db_url, [feed_a])

    first = beatwire(config, "run", "--init", "--once")
    assert first.returncode == 0, first.stderr
    texts = statement_alert_texts(fake_slack)
    for speaker in SEED_SPEAKERS:
        assert sum(speaker in text for text in texts) >= 1, (speaker, texts)
    keys = fake_slack.posted_keys()
    assert len(keys) == len(set(keys)), "an alert was posted twice"
    primary, sent, pending = counts(db_url)
    assert primary == len(texts) and sent == len(keys) and pending == 0

    again = beatwire(config, "run", "--once")
    assert again.returncode == 0, again.stderr
    assert fake_slack.posted_keys() == keys, "a second cycle posted again"

    # The same article, syndicated in a second feed under a tracking-laden URL.
    feed_b = {"name": "Valley Courier",
              "url": serve_seed(feed_site, "/b.atom", fmt=atom_feed, link_suffix="?utm_source=x#c")}
    config = make_config(db_url, [feed_a, feed_b])
    third = beatwire(config, "run", "--once")
    assert third.returncode == 0, third.stderr
    assert fake_slack.posted_keys() == keys, "the same article in a second feed posted again"
    assert counts(db_url)[0] == primary


def test_rereport_by_another_outlet_is_a_thread_reply(sqlite_url, feed_site, fake_slack,
                                                      make_config, beatwire):
    feed_a = {"name": "Metro Police News", "url": serve_seed(feed_site, "/a.xml")}
    config = make_config(sqlite_url, [feed_a])
    assert beatwire(config, "run", "--init", "--once").returncode == 0
    beck = [m for m in fake_slack.posted if "Beck" in m.text and m.thread_ts is None]
    assert beck, [m.text for m in fake_slack.posted]

    feed_site.route("/articles/rereport.html",
                    (DEMO_ARTICLES / "valley-beck-rereport.html").read_text("utf-8"),
                    content_type="text/html; charset=utf-8")
    feed_site.route("/c.xml", rss_feed([{
        "title": "LAPD chief repeats pledge on deportations", "guid": "c-beck",
        "link": feed_site.url("/articles/rereport.html"), "summary": "Beck repeats his pledge.",
        "published": "Sun, 20 Nov 2016 10:00:00 GMT"}]), content_type="application/xml")
    config = make_config(sqlite_url, [feed_a, {"name": "Valley Courier",
                                               "url": feed_site.url("/c.xml")}])
    before = len(statement_alert_texts(fake_slack))
    assert beatwire(config, "run", "--once").returncode == 0
    replies = [m for m in fake_slack.posted if m.thread_ts is not None]
    assert [m.thread_ts for m in replies] == [beck[0].ts]
    assert "also reported" in replies[0].text.lower()
    assert len(statement_alert_texts(fake_slack)) == before


def test_slack_outage_delays_alerts_then_delivers_each_once(sqlite_url, feed_site, fake_slack,
                                                            make_config, beatwire):
    config = make_config(sqlite_url, [{"name": "Metro", "url": serve_seed(feed_site, "/a.xml")}])
    fake_slack.fail_http(500, times=100, method="chat.postMessage")
    down = beatwire(config, "run", "--init", "--once")
    assert down.returncode == 0, down.stderr
    assert fake_slack.posted == []
    primary, sent, pending = counts(sqlite_url)
    assert primary >= 4 and sent == 0 and pending >= primary, "alerts must wait in the outbox"

    fake_slack.faults.clear()
    fake_slack.rate_limit(1, times=2, method="chat.postMessage")
    # Retries are scheduled with back-off; the daemon keeps delivering until all are out.
    _run_until(config, beatwire, lambda: len(fake_slack.posted) >= primary)
    keys = fake_slack.posted_keys()
    assert len(keys) == len(set(keys)) == primary
    assert counts(sqlite_url)[1:] == (primary, 0)


def _run_until(config, beatwire, done, timeout: float = 150) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        beatwire(config, "run", "--once")
        time.sleep(1)
    assert done(), "alerts were not delivered after Slack recovered"
