"""`/metrics` and `/healthz` around real cycles: `beatwire run --once` against the local feed
site and the fake Slack moves the counters another process reads from the shared archive, and a
delivery paused for want of a token fails the health check."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient
from test_end_to_end import serve_seed
from test_metrics import scrape, value

from config import HealthConfig
from db.engine import make_engine, make_sessionmaker
from web.app import make_app

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def web_on():
    """The web app over the archive at a URL, as a process apart from the daemon's runs it."""
    engines = []

    def app(url: str, **options) -> TestClient:
        engines.append(make_engine(url))
        return TestClient(make_app(make_sessionmaker(engines[-1]), **options))

    yield app
    for engine in engines:
        engine.dispose()


def test_a_cycle_moves_the_counters(db_url, feed_site, fake_slack, make_config, beatwire,
                                    web_on):
    config = make_config(db_url, [{"name": "Metro", "url": serve_seed(feed_site, "/a.xml")}])
    assert beatwire(config, "db", "upgrade").returncode == 0
    with web_on(db_url) as client:
        before = scrape(client)
        first = beatwire(config, "run", "--once")
        assert first.returncode == 0, first.stderr
        after = scrape(client)
        second = beatwire(config, "run", "--once")  # the feed answers 304 now
        assert second.returncode == 0, second.stderr
        again = scrape(client)

    def moved(samples, name, **labels):
        return value(samples, name, **labels) - value(before, name, **labels)

    assert value(before, "beatwire_polls_total", outcome="ok") == 0
    assert moved(after, "beatwire_polls_total", outcome="ok") == 1
    assert moved(after, "beatwire_fetch_duration_seconds_count", outcome="ok") == 1
    assert moved(after, "beatwire_articles_total") == 2  # the seed article and the bridge story
    statements = moved(after, "beatwire_statements_total", stance="refuses")
    assert statements >= 3, "the seed article's chiefs refuse"
    sent = value(after, "beatwire_alerts", status="sent")
    assert sent == len(fake_slack.posted) and sent >= statements
    assert value(after, "beatwire_outbox_depth") == 0
    assert value(after, "beatwire_delivery_latency_seconds_count") == sent

    assert moved(again, "beatwire_polls_total", outcome="not_modified") == 1
    assert value(again, "beatwire_articles_total") == value(after, "beatwire_articles_total")
    with web_on(db_url) as client:
        assert client.get("/healthz").text == "ok\n"


def test_a_paused_delivery_fails_the_health_check(sqlite_url, feed_site, fake_slack,
                                                  make_config, beatwire, web_on):
    config = make_config(sqlite_url, [{"name": "Metro",
                                       "url": serve_seed(feed_site, "/a.xml")}])
    cycle = beatwire(config, "run", "--init", "--once", token=False)  # no token: delivery pauses
    assert cycle.returncode == 1, cycle.stderr
    assert fake_slack.posted == []
    time.sleep(1.1)
    with web_on(sqlite_url, health=HealthConfig(alert_max_wait=1)) as client:
        health = client.get("/healthz")
        waiting = value(scrape(client), "beatwire_outbox_depth")
    assert health.status_code == 503
    assert health.text.startswith(f"delivery stalled: {waiting:.0f} alerts waiting, the oldest")
    assert health.text.endswith("(last error: paused: token_missing (BEATWIRE_TEST_SLACK_TOKEN "
                                "is not set))\n")
    with web_on(sqlite_url) as client:  # within the default ten minutes, waiting is no fault
        assert client.get("/healthz").status_code == 200
