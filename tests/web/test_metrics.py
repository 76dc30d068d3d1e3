"""`/metrics` and `/healthz` of the web app on a real archive (SQLite and PostgreSQL): the text
parses with Prometheus' own parser, the figures are the archive's, health fails for the reasons
an operator must hear about and for no other."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update
from starlette.testclient import TestClient

from db.engine import make_engine, make_sessionmaker, transaction
from db.feeds import record_failure, record_success
from db.models import Alert, Article, Feed, Statement, utcnow
from db.workers import register
from web.app import make_app


def scrape(client) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics, parsed by prometheus_client's text parser, by (name, labels)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def value(samples, name: str, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


# --- /metrics --------------------------------------------------------------------------------


def test_metrics_count_the_archive(archive, client, sessions):
    samples = scrape(client)
    assert value(samples, "beatwire_articles_total") == 5
    # First reports only: the re-report of Kern's refusal is a source, not a statement.
    assert value(samples, "beatwire_statements_total", stance="refuses") == 2
    assert value(samples, "beatwire_statements_total", stance="cooperates") == 2
    assert value(samples, "beatwire_statements_total", stance="mixed") == 0
    with sessions() as session:
        alerts = len(session.scalars(select(Alert.id)).all())
    assert value(samples, "beatwire_alerts", status="failed") == 1
    assert value(samples, "beatwire_alerts", status="pending") == alerts - 1
    assert value(samples, "beatwire_outbox_depth") == alerts - 1
    assert value(samples, "beatwire_feeds", status="error") == 1
    assert value(samples, "beatwire_feeds", status="ok") == 1
    assert value(samples, "beatwire_archive_up") == 1


def test_poll_counts_and_durations_come_from_the_fetch_log(archive, client, sessions):
    now = utcnow()
    with transaction(sessions) as session:
        feed = session.scalar(select(Feed.id).where(Feed.name == "Herald"))
        for duration in (80, 300, 1900):
            record_success(session, feed, now=now, http_status=200, etag=None,
                           last_modified=None, entries=3, new_articles=1, duration_ms=duration)
        record_failure(session, feed, now=now, error="timed out", duration_ms=25_000)
    samples = scrape(client)
    assert value(samples, "beatwire_polls_total", outcome="ok") == 3
    assert value(samples, "beatwire_polls_total", outcome="error") == 1
    assert value(samples, "beatwire_polls_total", outcome="not_modified") == 0
    ok = {le: value(samples, "beatwire_fetch_duration_seconds_bucket", le=le, outcome="ok")
          for le in ("0.1", "0.5", "1.0", "2.5", "+Inf")}
    assert ok == {"0.1": 1, "0.5": 2, "1.0": 2, "2.5": 3, "+Inf": 3}
    assert value(samples, "beatwire_fetch_duration_seconds_sum",
                 outcome="ok") == pytest.approx(2.28)
    assert value(samples, "beatwire_fetch_duration_seconds_bucket", le="20.0",
                 outcome="error") == 0
    assert value(samples, "beatwire_fetch_duration_seconds_count", outcome="error") == 1


def test_delivery_latency_runs_from_article_stored_to_alert_posted(archive, client, sessions):
    with transaction(sessions) as session:
        stored = session.scalar(select(Article.fetched_at).join(Statement)
                                .where(Statement.id == archive.refusal))
        session.execute(update(Alert).where(Alert.statement_id == archive.refusal,
                                            Alert.kind == "statement")
                        .values(status="sent", sent_at=stored + timedelta(seconds=90),
                                slack_ts="1.1"))
    samples = scrape(client)
    latency = "beatwire_delivery_latency_seconds"
    assert value(samples, f"{latency}_count") == 1
    assert value(samples, f"{latency}_sum") == pytest.approx(90, abs=0.01)
    assert value(samples, f"{latency}_bucket", le="60.0") == 0
    assert value(samples, f"{latency}_bucket", le="120.0") == 1


def test_outbox_age_and_worker_heartbeats(archive, client, sessions):
    now = utcnow()
    with transaction(sessions) as session:
        session.execute(update(Alert).where(Alert.status == "pending")
                        .values(created_at=now - timedelta(minutes=3)))
        worker = register(session, now=now - timedelta(seconds=42))
    samples = scrape(client)
    assert 180 <= value(samples, "beatwire_outbox_oldest_age_seconds") < 240
    ages = {labels: age for (name, labels), age in samples.items()
            if name == "beatwire_worker_heartbeat_age_seconds"}
    [(labels, age)] = ages.items()
    assert dict(labels)["worker"] == worker and 42 <= age < 100


def test_counters_are_named_total_and_every_family_has_help(archive, client):
    families = list(text_string_to_metric_families(client.get("/metrics").text))
    assert {f.name for f in families} >= {"beatwire_polls", "beatwire_articles",
                                          "beatwire_statements", "beatwire_alerts",
                                          "beatwire_fetch_duration_seconds",
                                          "beatwire_delivery_latency_seconds"}
    for family in families:
        assert family.documentation, family.name
        if family.type == "counter":
            assert all(s.name.endswith("_total") for s in family.samples), family.name


# --- /healthz --------------------------------------------------------------------------------


def wait(minutes: float) -> timedelta:
    """A time `minutes` ago (made when the test runs, not when it is collected)."""
    return timedelta(minutes=minutes)


def at_test_time(values: dict) -> dict:
    now = utcnow()
    return {key: now - value if isinstance(value, timedelta) else value
            for key, value in values.items()}


HEALTH = [
    # (what the archive looks like, expected status, words in the reason)
    ({}, 200, "ok"),
    ({"alerts": {"created_at": wait(25)}}, 503, "delivery stalled: 4 alerts waiting, the oldest for 25m"),
    ({"alerts": {"created_at": wait(12), "last_error": "http_503"}}, 503,
     "(last error: http_503)"),
    ({"alerts": {"created_at": wait(5)}}, 200, "ok"),
    ({"failed_alerts": {"created_at": wait(600)}}, 200, "ok"),
    ({"feeds": {"last_success_at": wait(120), "created_at": wait(600)}}, 503,
     "no poll succeeded for 2h (limit 30m; 2 enabled feeds)"),
    ({"feeds": {"created_at": wait(90)}}, 503,
     "no poll succeeded yet: 2 enabled feeds, the first added 1h 30m ago"),
    ({"feeds": {"last_success_at": wait(20)}}, 200, "ok"),
    ({"feeds": {"last_success_at": wait(50), "interval_seconds": 3600}}, 200, "ok"),
    ({"feeds": {"last_success_at": wait(300), "enabled": False}}, 200, "ok"),
]


@pytest.mark.parametrize("changes, status, reason", HEALTH, ids=[
    "fresh-archive", "alerts-waiting-past-the-limit", "waiting-with-an-error-says-it",
    "alerts-waiting-briefly", "old-failed-alerts-are-not-waiting", "no-poll-for-hours",
    "feeds-never-polled", "polled-recently", "hourly-feeds-between-polls",
    "only-disabled-feeds"])
def test_healthz(archive, client, sessions, changes, status, reason):
    with transaction(sessions) as session:
        if "alerts" in changes:
            session.execute(update(Alert).where(Alert.status == "pending")
                            .values(**at_test_time(changes["alerts"])))
        if "failed_alerts" in changes:
            session.execute(update(Alert).where(Alert.status == "failed")
                            .values(**at_test_time(changes["failed_alerts"])))
        if "feeds" in changes:
            session.execute(update(Feed).values(**at_test_time(changes["feeds"])))
    response = client.get("/healthz")
    assert response.status_code == status
    assert reason in response.text
    assert response.text.count("\n") == 1 and response.text.endswith("\n")


@pytest.fixture
def db_down():
    """A sessionmaker on a PostgreSQL port nobody listens on (127.0.0.1: refused at once)."""
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/beatwire")
    yield make_sessionmaker(engine)
    engine.dispose()


def test_an_unreachable_archive_is_a_failed_health_and_a_scrape_saying_so(db_down):
    with TestClient(make_app(db_down)) as client:
        health = client.get("/healthz")
        samples = scrape(client)
    assert (health.status_code, health.text) == (503, "archive unavailable\n")
    assert value(samples, "beatwire_archive_up") == 0
    assert ("beatwire_articles_total", ()) not in samples
