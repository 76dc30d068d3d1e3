"""The daemon as a process: clean stop on SIGTERM, config reload, kill -9 at random
points of a cycle with new articles arriving (nothing lost, nothing posted twice)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from servers.feed_site import article_page, rss_feed
from support import REPO, beatwire_command, restart_postgres

PLACES = ["Alder Bay", "Birch Hollow", "Cedar Falls", "Dunmore", "Elk Ridge", "Fenwick",
          "Glen Arbor", "Harlan Springs", "Iron Gate", "Juniper Flats", "Kestrel Point",
          "Lark Valley", "Maple Crossing", "North Haven", "Oak Prairie", "Pine Bluff",
          "Quarry Hill", "Raven Creek", "Silver Lake", "Thornton", "Upton Mills", "Vale Rock",
          "Willow Bend", "Yarrow", "Zephyr Cove"]
CHIEFS = ["Ana Ruiz", "Ben Okafor", "Cara Lindqvist", "Dev Patel", "Eli Navarro", "Fay Moreau"]


def statement_page(i: int) -> tuple[str, str]:
    """A local article in which one police chief states a refusal; (title, html)."""
    place, chief = PLACES[i % len(PLACES)], CHIEFS[i % len(CHIEFS)]
    title = f"{place} police will not ask about immigration status"
    paragraphs = [
        f"“Our officers will not ask anyone about their immigration status, and we will not "
        f"hold people on ICE detainers,” {place} Police Chief {chief} said Tuesday.",
        f"The {place} Police Department has {20 + i} sworn officers.",
    ]
    return title, article_page(title, paragraphs)


class Site:
    """A growing local news feed: each `publish` adds one article with one statement."""

    def __init__(self, feed_site):
        self.site, self.entries = feed_site, []

    def publish(self, i: int) -> None:
        title, html = statement_page(i)
        self.site.route(f"/news/{i}.html", html)
        self.entries.insert(0, {"title": title, "link": self.site.url(f"/news/{i}.html"),
                                "guid": f"story-{i}", "summary": title,
                                "published": "Tue, 03 Mar 2026 10:00:00 GMT"})
        self.site.route("/feed.xml", rss_feed(self.entries), content_type="application/xml")


def start_daemon(config: Path, token: str, log: Path, *run_args: str) -> subprocess.Popen:
    """`beatwire run RUN_ARGS` in the background, its output appended to `log`."""
    env = {**os.environ, "BEATWIRE_TEST_SLACK_TOKEN": token}
    env.pop("BEATWIRE_DATABASE_URL", None)
    with open(log, "ab") as out:
        return subprocess.Popen(beatwire_command(config, "run", *run_args), env=env, cwd=REPO,
                                stdout=out, stderr=subprocess.STDOUT)


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def posted_about(fake_slack, place: str) -> bool:
    return any(place in message.text for message in fake_slack.posted)


def statement_keys(fake_slack) -> list[str]:
    return [key for key in fake_slack.posted_keys() if key and key.startswith("statement:")]


DAEMON = {"scheduler": {"lease": 3, "tick": 1}}


@pytest.fixture
def daemon_config(make_config, sqlite_url, feed_site):
    """The growing site and a config on an archive made as an operator does (`db upgrade`);
    `daemon_config.routed(routes)` is the same config with `[[alerts.routes]]`."""
    from db.migrate import upgrade

    feeds = [{"name": "Local News", "url": feed_site.url("/feed.xml"), "interval": 1}]
    upgrade(sqlite_url)
    return Site(feed_site), make_config(sqlite_url, feeds, **DAEMON)


# Two catch-all routes to two channels: each statement is posted once in each.
TWO_ROUTES = [{"name": "all", "channel": "#beatwire-alerts"},
              {"name": "copy", "channel": "#general"}]
KILLS = {
    "one-channel": ([], ["C0ALERTS"], 24),
    "two-routes-each-channel-once": (TWO_ROUTES, ["C0ALERTS", "C0GENERAL"], 12),
}


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("routes, channels, kills", list(KILLS.values()), ids=list(KILLS))
def test_kill_9_at_random_points_loses_and_repeats_nothing(daemon_config, sqlite_url, fake_slack,
                                                          make_config, feed_site, tmp_path,
                                                          routes, channels, kills):
    site, config = daemon_config
    if routes:
        config = make_config(sqlite_url, [{"name": "Local News", "url": feed_site.url("/feed.xml"),
                                           "interval": 1}], alerts={"routes": routes}, **DAEMON)
    rng = random.Random(20261127)
    log = tmp_path / "daemon.log"
    published = 0
    for _ in range(kills):
        for _ in range(rng.choice([0, 1, 2])):
            site.publish(published)
            published += 1
        proc = start_daemon(config, fake_slack.token, log)
        time.sleep(rng.uniform(0.3, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    places = {PLACES[i % len(PLACES)] for i in range(published)}
    wanted = {(p, c) for p in places for c in channels}

    def posted(place: str, channel: str) -> bool:
        return any(place in m.text and m.channel == channel and not m.thread_ts
                   for m in fake_slack.posted)

    proc = start_daemon(config, fake_slack.token, log)
    try:
        wait_for(lambda: all(posted(p, c) for p, c in wanted), timeout=120)
        time.sleep(3)  # anything posted twice would show up now
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)

    keys = statement_keys(fake_slack)
    assert len(keys) == len(set(keys)), f"posted twice: {sorted(keys)} (log: {log})"
    missing = {w for w in wanted if not posted(*w)}
    assert not missing, f"never alerted: {missing} (log: {log})"
    db = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    primary = db.execute("SELECT agency_id, quote_key FROM statements "
                         "WHERE duplicate_of_id IS NULL").fetchall()
    assert len(primary) == len(set(primary)), "a statement was archived twice"
    assert len(keys) == len(primary) * len(channels), "each statement alerted once per channel"
    assert db.execute("SELECT count(*) FROM alerts WHERE status != 'sent'").fetchone()[0] == 0
    articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert articles == published, "every published article is archived once"


@pytest.mark.timeout(120)
def test_sigterm_stops_cleanly_within_ten_seconds(daemon_config, fake_slack, tmp_path):
    site, config = daemon_config
    site.publish(0)
    proc = start_daemon(config, fake_slack.token, tmp_path / "daemon.log")
    assert wait_for(lambda: statement_keys(fake_slack), timeout=60), (tmp_path / "daemon.log").read_text()
    site.publish(1)  # give it work in flight
    time.sleep(0.5)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert time.monotonic() - started < 10


@pytest.mark.timeout(180)
def test_reload_rejects_a_bad_file_and_applies_a_good_one(daemon_config, feed_site, fake_slack,
                                                          make_config, sqlite_url, tmp_path):
    site, config = daemon_config
    site.publish(0)
    log = tmp_path / "daemon.log"
    proc = start_daemon(config, fake_slack.token, log)
    try:
        assert wait_for(lambda: posted_about(fake_slack, PLACES[0]), timeout=60), log.read_text()
        good = config.read_text()
        config.write_text(good + "\n[slack]\nchanel = 'typo'\n")
        assert wait_for(lambda: "config reload rejected" in log.read_text(), timeout=30)
        assert proc.poll() is None, "a bad config must not stop the daemon"

        title, html = statement_page(7)
        feed_site.route("/other/7.html", html)
        feed_site.route("/other.xml", rss_feed([{"title": title, "guid": "o7",
                                                 "link": feed_site.url("/other/7.html")}]))
        feeds = [{"name": "Local News", "url": feed_site.url("/feed.xml"), "interval": 1},
                 {"name": "Other News", "url": feed_site.url("/other.xml"), "interval": 1}]
        make_config(sqlite_url, feeds, **DAEMON)
        assert wait_for(lambda: posted_about(fake_slack, PLACES[7]), timeout=60), log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)


def test_token_never_in_logs_help_or_database(daemon_config, sqlite_url, fake_slack, beatwire,
                                              tmp_path):
    site, config = daemon_config
    site.publish(0)
    fake_slack.fail_with("invalid_auth", times=1)  # an auth error must not echo the token
    result = beatwire(config, "--log-level", "DEBUG", "run", "--once")
    helps = [beatwire(config, *args, "--help") for args in ([], ["run"], ["feeds", "test"])]
    dump = "\n".join(sqlite3.connect(sqlite_url.removeprefix("sqlite:///")).iterdump())
    for text in [result.stdout, result.stderr, dump, *(h.stdout + h.stderr for h in helps)]:
        assert fake_slack.token not in text
        assert fake_slack.token[10:] not in text


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_daemon_rides_out_a_postgres_restart(make_config, pg_url, feed_site, fake_slack, tmp_path):
    site = Site(feed_site)
    feeds = [{"name": "Local News", "url": feed_site.url("/feed.xml"), "interval": 1}]
    config = make_config(pg_url, feeds, **DAEMON)
    site.publish(0)
    log = tmp_path / "daemon.log"
    proc = start_daemon(config, fake_slack.token, log, "--init")
    try:
        assert wait_for(lambda: posted_about(fake_slack, PLACES[0]), timeout=60), log.read_text()
        restart_postgres()
        site.publish(1)
        assert wait_for(lambda: posted_about(fake_slack, PLACES[1]), timeout=90), log.read_text()
        assert proc.poll() is None, "the daemon must survive the database restart"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    keys = statement_keys(fake_slack)
    assert len(keys) == len(set(keys))


def test_reload_applies_new_job_timings(make_config, sqlite_url):
    import asyncio
    from datetime import timedelta

    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from config import load_config
    from db.migrate import upgrade
    from scheduler import Daemon

    path = make_config(sqlite_url, [], slack={"digest_cron": "0 8 * * *"}, scheduler={"tick": 5})
    upgrade(sqlite_url)
    daemon = Daemon(str(path), load_config(path))

    async def reload_with_new_timings():
        daemon.jobs = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone="UTC")
        daemon._add_jobs(daemon.jobs)
        make_config(sqlite_url, [], slack={"digest_cron": "30 9 * * 1-5"}, scheduler={"tick": 7})
        assert await daemon.reload_config(force=True)
        return daemon.jobs.get_job("poll_due_feeds"), daemon.jobs.get_job("send_digest")

    poll, digest = asyncio.run(reload_with_new_timings())
    daemon.engine.dispose()
    assert poll.trigger.interval == timedelta(seconds=7)
    assert "hour='9'" in str(digest.trigger) and "minute='30'" in str(digest.trigger)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_two_workers_on_postgres_post_each_alert_once(make_config, pg_url, feed_site, fake_slack,
                                                      tmp_path):
    site = Site(feed_site)
    feeds = [{"name": "Local News", "url": feed_site.url("/feed.xml"), "interval": 1}]
    config = make_config(pg_url, feeds, **DAEMON)
    # Both create the archive at once: the migration lock lets one do it, the other waits.
    workers = [start_daemon(config, fake_slack.token, tmp_path / f"worker{n}.log", "--init")
               for n in (1, 2)]
    try:
        for i in range(6):
            site.publish(i)
            time.sleep(1.5)
        places = {PLACES[i] for i in range(6)}
        assert wait_for(lambda: all(posted_about(fake_slack, p) for p in places), timeout=90)
        time.sleep(3)  # a second post of anything would show up now
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            proc.wait(timeout=15)
    keys = statement_keys(fake_slack)
    assert len(keys) == len(set(keys)) == 6, sorted(keys)
    page_fetches = [r.path for r in feed_site.requests if r.path.startswith("/news/")]
    assert sorted(page_fetches) == sorted(set(page_fetches)), "an article page was fetched twice"


def unsent(sqlite_url: str) -> int:
    """Alerts the archive has not recorded as sent (all of them before the first is stored)."""
    db = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:
        return db.execute("SELECT count(*) FROM alerts WHERE status != 'sent'").fetchone()[0]
    except sqlite3.OperationalError:  # not migrated yet
        return -1
    finally:
        db.close()


@pytest.mark.timeout(150)
def test_restart_after_kill_9_takes_over_at_once_with_the_default_lease(
        make_config, sqlite_url, feed_site, fake_slack, beatwire, tmp_path):
    """Killed mid-cycle (a poll and a post in flight, both claimed for a minute), restarted:
    the new worker finds the old one dead and everything is posted once, long before the
    dead worker's leases would have run out."""
    site = Site(feed_site)
    for i in range(3):
        site.publish(i)
    stalled = "/news/2.html"
    feed_site.trickle(stalled, size=100_000, every=0.5, content_type="text/html")
    # Carried out 8 s after the call (the kill comes first): within the successor's grace of
    # slack.timeout (15 s) before it looks for the post in the channel.
    fake_slack.slow(8, method="chat.postMessage")
    feeds = [{"name": "Local News", "url": feed_site.url("/feed.xml"), "interval": 1}]
    # scheduler.lease: the default. The stalled page must not time out into a summary.
    config = make_config(sqlite_url, feeds, crawler={"download_timeout": 300})
    log = tmp_path / "daemon.log"
    first = start_daemon(config, fake_slack.token, log, "--init")
    in_flight = wait_for(lambda: feed_site.fetched(stalled)
                         and fake_slack.calls_to("chat.postMessage"), timeout=90)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert in_flight, log.read_text()

    site.publish(2)  # the stalled page answers now
    second = start_daemon(config, fake_slack.token, log)
    try:
        places = {PLACES[i] for i in range(3)}
        # The dead worker's claims were renewed at most 10 s before the kill and last 60 s: a
        # restart that waited for them to run out would miss this.
        assert wait_for(lambda: all(posted_about(fake_slack, p) for p in places)
                        and unsent(sqlite_url) == 0, timeout=45), log.read_text()
        listed = beatwire(config, "workers")
        time.sleep(1)  # anything posted twice would show up now
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=15)
    keys = statement_keys(fake_slack)
    assert len(keys) == len(set(keys)) == 3, sorted(keys)
    assert "worker taken over" in log.read_text()
    assert "alert found already posted" in log.read_text(), "the post in flight was looked for"
    assert listed.returncode == 0, listed.stderr
    states = {line.split()[1]: line for line in listed.stdout.splitlines()}
    assert f"pid={first.pid} " in states["dead"] and f"pid={second.pid} " in states["alive"]


def test_heartbeat_renews_the_leases_of_work_in_hand(make_config, db_url, clock):
    from config import load_config
    from db.claims import claim_due_feeds, claim_pending_alerts
    from db.migrate import upgrade
    from db.models import Alert, Feed, Worker
    from scheduler import Daemon

    feeds = [{"name": n, "url": f"https://{n}.example/rss"} for n in ("held", "forgotten")]
    path = make_config(db_url, feeds, scheduler={"lease": 60})
    upgrade(db_url)
    daemon = Daemon(str(path), load_config(path), now_fn=clock)
    try:
        daemon._register()
        daemon._sync_feeds()
        with daemon.sessions.begin() as session:
            session.add(Alert(key="digest:x", channel="#t", kind="digest",
                              next_attempt_at=clock()))
        with daemon.sessions() as session:
            held, forgotten = claim_due_feeds(session, now=clock(), limit=2, lease=daemon.lease,
                                              worker=daemon.worker_id)
            [alert] = claim_pending_alerts(session, now=clock(), limit=1, lease=daemon.lease,
                                           worker=daemon.worker_id)
        for _ in range(3):  # beats well within the lease, 150 s in all
            clock.advance(50)
            daemon._beat([held.id], {alert.id})
        with daemon.sessions() as session:
            assert session.get(Feed, held.id).claimed_until == clock() + daemon.lease
            assert session.get(Alert, alert.id).claimed_until == clock() + daemon.lease
            assert session.get(Worker, daemon.worker_id).heartbeat_at == clock()
            # Only work not in hand ran out: another worker gets that, nothing else.
            taken = claim_due_feeds(session, now=clock(), limit=5, lease=daemon.lease,
                                    worker="other")
            assert [f.id for f in taken] == [forgotten.id]
    finally:
        daemon.engine.dispose()


def test_workers_command_lists_the_registry(make_config, sqlite_url, beatwire):
    from db.engine import make_engine, make_sessionmaker
    from db.migrate import upgrade
    from db.models import Worker, utcnow

    config = make_config(sqlite_url, [])
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    now = utcnow()
    with make_sessionmaker(engine).begin() as session:
        for worker_id, host, age, state in (("a" * 32, "alpha", 5, "running"),
                                            ("b" * 32, "beta", 600, "running"),
                                            ("c" * 32, "gamma", 900, "stopped")):
            session.add(Worker(id=worker_id, host=host, pid=4242, version="0.1.0",
                               started_at=now, heartbeat_at=now - timedelta(seconds=age),
                               state=state))
    engine.dispose()
    result = beatwire(config, "workers")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert lines["a" * 12].split()[1] == "alive" and "host=alpha pid=4242" in lines["a" * 12]
    assert lines["b" * 12].split()[1] == "dead" and "host=beta" in lines["b" * 12]
    assert lines["c" * 12].split()[1] == "stopped"
    assert all("started=" in line and "heartbeat=" in line for line in lines.values())
