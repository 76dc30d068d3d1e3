"""`beatwire run --workers N`: N worker processes on one machine sharing the archive as
workers on several machines do (claims, leases, outbox), signals passed on by the parent."""

from __future__ import annotations

import os
import signal
import socket
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from servers.feed_site import rss_feed
from sqlalchemy import func, select
from support import archive_rows
from test_scheduler import PLACES, start_daemon, statement_keys, statement_page, wait_for

from db.migrate import upgrade

SQLITE_REFUSED = ("beatwire: --workers needs PostgreSQL: SQLite allows one writer; use "
                  "database.url = postgresql+psycopg://...")


@pytest.mark.parametrize("workers, message", [
    pytest.param("2", SQLITE_REFUSED, id="two-workers-on-sqlite-are-refused"),
    pytest.param("0", "Error: Invalid value for '--workers': 0 is not in the range x>=1.",
                 id="zero-workers-is-a-usage-error"),
    pytest.param("two", "Error: Invalid value for '--workers': 'two' is not a valid integer "
                 "range.", id="a-word-is-a-usage-error"),
])
def test_bad_workers_is_one_line_exit_2(make_config, sqlite_url, beatwire, workers, message):
    config = make_config(sqlite_url, [])
    result = beatwire(config, "run", "--init", "--once", "--workers", workers)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == message
    assert "Traceback" not in result.stderr
    assert not os.path.exists(sqlite_url.removeprefix("sqlite:///")), "no archive was created"


@contextmanager
def pool_of_two(config: Path, token: str, log: Path, pg_url: str | None = None):
    """`run --workers 2` with both children running (registered too, given `pg_url`); the
    parent is killed at the end if the test left it running."""
    parent = start_daemon(config, token, log, "--workers", "2")
    try:
        assert wait_for(lambda: log.read_text().count("beatwire running") == 2
                        and (pg_url is None or len(running_pids(pg_url)) == 2), 90), \
            log.read_text()
        yield parent
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def local_feeds(feed_site, count: int) -> list[dict]:
    """`count` local feeds, each with one article in which a police chief states a refusal."""
    feeds = []
    for i in range(count):
        title, html = statement_page(i)
        feed_site.route(f"/news/{i}.html", html)
        entry = {"title": title, "link": feed_site.url(f"/news/{i}.html"), "guid": f"story-{i}",
                 "summary": title, "published": "Tue, 03 Mar 2026 10:00:00 GMT"}
        feed_site.route(f"/feed{i}.xml", rss_feed([entry]), content_type="application/xml")
        # An hour between polls: a feed polled once is not due again during the test.
        feeds.append({"name": f"Local News {i}", "url": feed_site.url(f"/feed{i}.xml"),
                      "interval": 3600})
    return feeds


def polls_per_feed(pg_url: str) -> dict[str, int]:
    from db.models import Feed, FetchLog

    return dict(archive_rows(pg_url, select(Feed.name, func.count(FetchLog.id))
                             .join(FetchLog, FetchLog.feed_id == Feed.id, isouter=True)
                             .group_by(Feed.name)))


def worker_rows(pg_url: str) -> list[tuple[int, str]]:
    """(pid, state) of every worker registered in the archive."""
    from db.models import Worker

    return archive_rows(pg_url, select(Worker.pid, Worker.state))


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize("workers, feeds, batch_size, token, status", [
    pytest.param(2, 12, 2, True, 0, id="two-workers-twelve-feeds"),
    pytest.param(3, 12, 50, True, 0, id="three-workers-twelve-feeds-one-batch-each"),
    # Delivery pauses in every child (exit 1): the parent's status is the worst of theirs.
    pytest.param(2, 3, 50, False, 1, id="no-token-exits-1-and-posts-nothing"),
])
def test_once_with_workers_polls_each_feed_once_and_posts_each_alert_once(
        make_config, pg_url, feed_site, fake_slack, beatwire, workers, feeds, batch_size,
        token, status):
    config = make_config(pg_url, local_feeds(feed_site, feeds),
                         scheduler={"batch_size": batch_size})
    result = beatwire(config, "run", "--init", "--once", "--workers", str(workers), timeout=200,
                      token=token)
    assert result.returncode == status, result.stderr
    assert polls_per_feed(pg_url) == {f"Local News {i}": 1 for i in range(feeds)}
    fetched = [r.path for r in feed_site.requests if r.path.startswith("/feed")]
    assert sorted(fetched) == sorted(f"/feed{i}.xml" for i in range(feeds))
    keys = statement_keys(fake_slack)
    assert len(keys) == len(set(keys)) == (feeds if token else 0), sorted(keys)
    assert all(any(PLACES[i] in m.text for m in fake_slack.posted) for i in range(feeds)) == token
    assert sorted(state for _, state in worker_rows(pg_url)) == ["stopped"] * workers
    assert result.stderr.count("worker process started") == workers


def running_pids(pg_url: str) -> list[int]:
    return [pid for pid, state in worker_rows(pg_url) if state == "running"]


def process_gone(pid: int) -> bool:
    """No such process, or only its zombie (an orphan's is reaped by whoever adopted it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.timeout(180)
@pytest.mark.parametrize("stop_signal, parent_status", [
    pytest.param(signal.SIGTERM, 0, id="sigterm-stops-every-child"),
    pytest.param(signal.SIGINT, 0, id="sigint-stops-every-child"),
    pytest.param(signal.SIGKILL, -signal.SIGKILL, id="a-killed-parent-leaves-no-orphans"),
])
def test_signal_to_the_parent_stops_all_children_within_10s(
        make_config, pg_url, feed_site, fake_slack, tmp_path, stop_signal, parent_status):
    config = make_config(pg_url, local_feeds(feed_site, 2), scheduler={"lease": 6, "tick": 1})
    upgrade(pg_url)  # as an operator does (`db upgrade`): the registry is there to watch
    log = tmp_path / "pool.log"
    with pool_of_two(config, fake_slack.token, log, pg_url) as parent:
        children = running_pids(pg_url)
        started = time.monotonic()
        parent.send_signal(stop_signal)
        assert parent.wait(timeout=10) == parent_status, log.read_text()
        assert wait_for(lambda: all(process_gone(pid) for pid in children),
                        10 - (time.monotonic() - started)), log.read_text()
    # Each child stopped as a single worker does: its claims released, its row marked.
    assert sorted(state for _, state in worker_rows(pg_url)) == ["stopped", "stopped"]
    assert "Traceback" not in log.read_text()


@pytest.mark.timeout(180)
def test_a_child_killed_in_daemon_mode_is_restarted(make_config, pg_url, feed_site, fake_slack,
                                                    tmp_path):
    config = make_config(pg_url, local_feeds(feed_site, 2), scheduler={"lease": 6, "tick": 1})
    upgrade(pg_url)  # as an operator does (`db upgrade`): the registry is there to watch
    log = tmp_path / "pool.log"
    with pool_of_two(config, fake_slack.token, log, pg_url) as parent:
        victim = running_pids(pg_url)[0]
        os.kill(victim, signal.SIGKILL)
        # Its successor registers under a new pid and takes the dead one's row over.
        assert wait_for(lambda: log.read_text().count("beatwire running") == 3
                        and len(running_pids(pg_url)) == 2
                        and victim not in running_pids(pg_url), 60), log.read_text()
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=10) == 0, log.read_text()
    restarts = [line for line in log.read_text().splitlines()
                if "worker process died, restarting" in line]
    assert len(restarts) == 1 and f"pid={victim} " in restarts[0], restarts
    assert "status=137" in restarts[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.timeout(180)
def test_only_the_first_child_serves_metrics_listen(make_config, pg_url, feed_site, fake_slack,
                                                   tmp_path):
    """Two children on one metrics.listen port: the first serves it, the second does not try
    (it would fail to bind and be restarted over and over)."""
    config = make_config(pg_url, local_feeds(feed_site, 1), scheduler={"lease": 6, "tick": 1})
    port = free_port()
    config.write_text(config.read_text() + f'\n[metrics]\nlisten = "127.0.0.1:{port}"\n')
    upgrade(pg_url)
    log = tmp_path / "pool.log"
    with pool_of_two(config, fake_slack.token, log) as parent:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            assert answer.status == 200 and b"beatwire_polls_total" in answer.read()
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=10) == 0, log.read_text()
    assert "worker process died" not in log.read_text()
    assert "metrics.listen" not in log.read_text(), "no child failed to bind the port"
