"""Feeds: config sync, poll records, back-off arithmetic, Retry-After, 410, health."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from db.claims import claim_due_feeds, release_claims_of
from db.feeds import (
    clean_error,
    feed_health,
    feeds_hash,
    next_poll_after_failure,
    record_failure,
    record_not_modified,
    record_success,
    sync_feeds,
)
from db.models import Feed, FeedSyncState, FetchLog, Worker

LEASE = timedelta(minutes=10)


def _feeds(sessions) -> dict[str, Feed]:
    with sessions() as session:
        return {f.name: f for f in session.scalars(select(Feed))}


def _logs(sessions, feed_id) -> list[FetchLog]:
    with sessions() as session:
        return list(session.scalars(select(FetchLog).where(FetchLog.feed_id == feed_id)))


# --- sync ------------------------------------------------------------------------------------


def test_sync_adds_feeds_with_config_fields(sessions, make_config, clock):
    config = make_config(
        {"name": "lapd", "url": "https://lapd.example/rss", "agency": "LAPD", "interval": "5m"},
        {"name": "list", "url": "https://news.example/", "kind": "html", "item_selector": "a.x"},
        default_interval=600)
    with sessions.begin() as session:
        result = sync_feeds(session, config, clock())
    assert result.added == ("lapd", "list")
    feeds = _feeds(sessions)
    assert (feeds["lapd"].agency, feeds["lapd"].interval_seconds) == ("LAPD", 300)
    assert (feeds["list"].kind, feeds["list"].item_selector) == ("html", "a.x")
    assert feeds["list"].interval_seconds == 600
    assert feeds["lapd"].status == "never" and feeds["lapd"].next_poll_at == clock()


def test_sync_disables_feeds_removed_from_config(sessions, make_config, clock):
    with sessions.begin() as session:
        sync_feeds(session, make_config({"name": "a", "url": "https://a.example/"},
                                        {"name": "b", "url": "https://b.example/"}), clock())
    with sessions.begin() as session:
        result = sync_feeds(session, make_config({"name": "a", "url": "https://a.example/"}),
                            clock())
    assert result.disabled == ("b",)
    assert not _feeds(sessions)["b"].enabled and _feeds(sessions)["a"].enabled


def test_sync_keeps_polling_state_when_url_unchanged(sessions, make_config, clock):
    config = make_config({"name": "a", "url": "https://a.example/"})
    with sessions.begin() as session:
        sync_feeds(session, config, clock())
    feed_id = _feeds(sessions)["a"].id
    with sessions.begin() as session:
        record_success(session, feed_id, now=clock(), http_status=200, etag='"v1"',
                       last_modified=None, entries=3, new_articles=1)
    with sessions.begin() as session:
        result = sync_feeds(session, make_config({"name": "a", "url": "https://a.example/",
                                                  "interval": 60}), clock())
    feed = _feeds(sessions)["a"]
    assert result.changed == ("a",)
    assert (feed.etag, feed.status, feed.interval_seconds) == ('"v1"', "ok", 60)


def test_sync_new_url_resets_validators_and_gone(sessions, make_config, clock):
    with sessions.begin() as session:
        sync_feeds(session, make_config({"name": "a", "url": "https://a.example/"}), clock())
    feed_id = _feeds(sessions)["a"].id
    with sessions.begin() as session:
        record_success(session, feed_id, now=clock(), http_status=200, etag='"v1"',
                       last_modified="Sat, 01 Mar 2025 10:00:00 GMT", entries=1, new_articles=0)
        record_failure(session, feed_id, now=clock(), error="HTTP 410", http_status=410,
                       gone=True)
    with sessions.begin() as session:
        sync_feeds(session, make_config({"name": "a", "url": "https://a.example/new"}), clock())
    feed = _feeds(sessions)["a"]
    assert (feed.url, feed.etag, feed.last_modified) == ("https://a.example/new", None, None)
    assert feed.status == "never" and feed.consecutive_failures == 0


A = {"name": "a", "url": "https://a.example/"}
B = {"name": "b", "url": "https://b.example/"}


def _live_worker(sessions, clock, worker_id: str = "peer") -> str:
    with sessions.begin() as session:
        session.add(Worker(id=worker_id, host="peer.example", pid=1, process_scope="elsewhere",
                           started_at=clock(), heartbeat_at=clock(), state="running"))
    return worker_id


def _sync(sessions, config, clock, worker=None):
    with sessions.begin() as session:
        return sync_feeds(session, config, clock(), worker=worker)


def test_sync_records_the_feeds_hash(sessions, make_config, clock):
    config = make_config(A, B)
    _sync(sessions, config, clock, worker="w1")
    with sessions() as session:
        state = session.get(FeedSyncState, 1)
    assert (state.config_hash, state.synced_by, state.synced_at) == (feeds_hash(config), "w1",
                                                                     clock())
    assert feeds_hash(make_config(B, A)) == feeds_hash(config), "table order is not a change"
    assert feeds_hash(make_config(A, {**B, "interval": 60})) != feeds_hash(config)


@pytest.mark.parametrize("second_worker, peer_alive, disabled", [
    ("w2", True, ()),
    ("w1", True, ("b",)),
    ("w2", False, ("b",)),
    (None, True, ()),
], ids=["other-file-while-its-owner-lives", "owner-reloads-its-file", "alone-in-the-cluster",
        "cli-with-other-file"])
def test_sync_from_a_differing_file_disables_only_what_it_owns(
        sessions, make_config, clock, caplog, second_worker, peer_alive, disabled):
    _live_worker(sessions, clock, "w1") if peer_alive else None
    _sync(sessions, make_config(A, B), clock, worker="w1")
    result = _sync(sessions, make_config(A, {"name": "c", "url": "https://c.example/"}), clock,
                   worker=second_worker)
    feeds = _feeds(sessions)
    assert result.added == ("c",) and feeds["c"].enabled
    assert result.disabled == disabled
    assert feeds["b"].enabled is not bool(disabled)
    warnings = [r.getMessage() for r in caplog.records if "differs from the one last synced"
                in r.getMessage()]
    assert len(warnings) == (0 if disabled else 1) and "\n" not in "".join(warnings)
    if not disabled:
        assert result.kept == ("b",)
        with sessions() as session:  # the owner's file stays the cluster's
            assert session.get(FeedSyncState, 1).config_hash == feeds_hash(make_config(A, B))


def test_same_file_on_every_worker_syncs_normally(sessions, make_config, clock):
    _live_worker(sessions, clock, "w1")
    _sync(sessions, make_config(A, B), clock, worker="w1")
    result = _sync(sessions, make_config(A, B), clock, worker="w2")
    assert result == type(result)()
    with sessions() as session:
        assert session.get(FeedSyncState, 1).synced_by == "w2"


def test_concurrent_syncs_take_turns(sessions, make_config, clock):
    """The second sync waits for the first's commit, then sees its feeds (no duplicate)."""
    first = sessions()
    first.begin()
    sync_feeds(first, make_config(A), clock())
    outcome = {}

    def second():
        try:
            outcome["result"] = _sync(sessions, make_config(A, B), clock)
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=1.0)
    waited = thread.is_alive()
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert waited, "the second sync must wait for the cluster lock"
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].added == ("b",)
    assert sorted(_feeds(sessions)) == ["a", "b"]


# --- poll records ----------------------------------------------------------------------------


def test_success_records_validators_log_and_releases_lease(sessions, make_feed, clock):
    feed_id = make_feed(interval=900, claimed_until=clock() + LEASE, consecutive_failures=3)
    with sessions.begin() as session:
        record_success(session, feed_id, now=clock(), http_status=200, etag='"abc"',
                       last_modified="Sat, 01 Mar 2025 10:00:00 GMT", entries=12,
                       new_articles=2, duration_ms=40)
    feed = _feeds(sessions)["feed-1"]
    assert (feed.status, feed.consecutive_failures, feed.claimed_until) == ("ok", 0, None)
    assert feed.etag == '"abc"' and feed.last_success_at == clock()
    assert feed.next_poll_at == clock() + timedelta(seconds=900)
    [entry] = _logs(sessions, feed_id)
    assert (entry.outcome, entry.http_status, entry.entries, entry.new_articles,
            entry.duration_ms) == ("ok", 200, 12, 2, 40)


RECORDS = {
    "success": lambda session, feed_id, now, holder: record_success(
        session, feed_id, now=now, http_status=200, etag='"new"', last_modified=None,
        entries=1, new_articles=1, holder=holder),
    "not-modified": lambda session, feed_id, now, holder: record_not_modified(
        session, feed_id, now=now, holder=holder),
    "failure": lambda session, feed_id, now, holder: record_failure(
        session, feed_id, now=now, error="HTTP 500", http_status=500, holder=holder),
}


@pytest.mark.parametrize("lost", ["taken-over", "expired-and-reclaimed"])
@pytest.mark.parametrize("record", list(RECORDS))
def test_poll_is_not_recorded_once_the_lease_is_lost(sessions, make_feed, clock, record, lost):
    feed_id = make_feed(etag='"old"')
    with sessions() as session:
        claim_due_feeds(session, now=clock(), limit=1, lease=LEASE, worker="a")
    with sessions.begin() as session:
        if lost == "taken-over":  # "a" was found dead
            release_claims_of(session, "a", now=clock(), posting_grace=timedelta(0))
    with sessions() as session:
        later = clock() + (LEASE if lost == "expired-and-reclaimed" else timedelta(0)) * 2
        claim_due_feeds(session, now=later, limit=1, lease=LEASE, worker="b", only=[feed_id])
    with sessions.begin() as session:
        assert RECORDS[record](session, feed_id, clock(), "a") is None
    feed = _feeds(sessions)["feed-1"]
    assert (feed.etag, feed.status, feed.claimed_by) == ('"old"', "never", "b")
    assert _logs(sessions, feed_id) == []
    with sessions.begin() as session:  # the holder's record goes through
        assert RECORDS[record](session, feed_id, clock(), "b") is not None
    assert len(_logs(sessions, feed_id)) == 1 and _feeds(sessions)["feed-1"].claimed_by is None


def test_not_modified_keeps_validators(sessions, make_feed, clock):
    feed_id = make_feed(etag='"abc"', status="ok", claimed_until=clock() + LEASE)
    with sessions.begin() as session:
        record_not_modified(session, feed_id, now=clock(), duration_ms=5)
    feed = _feeds(sessions)["feed-1"]
    assert (feed.status, feed.etag, feed.claimed_until) == ("not_modified", '"abc"', None)
    assert [(e.outcome, e.http_status) for e in _logs(sessions, feed_id)] == [
        ("not_modified", 304)]


@pytest.mark.parametrize("failures, max_backoff, expected", [
    (1, 86400, 600),
    (2, 86400, 1200),
    (4, 86400, 4800),
    (10, 86400, 86400),
    (3, 1000, 1000),
    (500, 86400, 86400),
], ids=["first", "second", "fourth", "capped", "small-cap", "huge-count"])
def test_backoff_arithmetic(clock, failures, max_backoff, expected):
    due = next_poll_after_failure(clock(), 600, failures, max_backoff)
    assert due == clock() + timedelta(seconds=expected)


@pytest.mark.parametrize("retry_after, expected", [
    (3600, 3600),
    (10, 600),
    (timedelta(hours=2), 7200),
    ("at+3h", 10800),
    (10**12, 7 * 86400),
    (-50, 600),
], ids=["seconds-later", "seconds-sooner", "timedelta", "http-date", "absurd", "negative"])
def test_retry_after_is_a_floor(clock, retry_after, expected):
    if retry_after == "at+3h":
        retry_after = clock() + timedelta(hours=3)
    due = next_poll_after_failure(clock(), 600, 1, 86400, retry_after)
    assert due == clock() + timedelta(seconds=expected)


def test_failures_back_off_exponentially(sessions, make_feed, clock):
    feed_id = make_feed(interval=60)
    delays = []
    for _ in range(4):
        with sessions.begin() as session:
            feed = record_failure(session, feed_id, now=clock(), error="HTTP 500",
                                  http_status=500, max_backoff=300)
            delays.append((feed.next_poll_at - clock()).total_seconds())
    assert delays == [60, 120, 240, 300]
    feed = _feeds(sessions)["feed-1"]
    assert (feed.status, feed.consecutive_failures, feed.last_error) == ("error", 4, "HTTP 500")
    assert [e.outcome for e in _logs(sessions, feed_id)] == ["error"] * 4


def test_failure_honours_retry_after(sessions, make_feed, clock):
    feed_id = make_feed(interval=60)
    with sessions.begin() as session:
        feed = record_failure(session, feed_id, now=clock(), error="HTTP 429", http_status=429,
                              retry_after=1800)
    assert feed.next_poll_at == clock() + timedelta(seconds=1800)


def test_gone_feed_is_never_claimed_again(sessions, make_feed, clock):
    feed_id = make_feed(claimed_until=clock() + LEASE)
    with sessions.begin() as session:
        record_failure(session, feed_id, now=clock(), error="HTTP 410 Gone", http_status=410,
                       gone=True)
    with sessions() as session:
        later = clock() + timedelta(days=30)
        assert claim_due_feeds(session, now=later, limit=10, lease=LEASE) == []
        assert claim_due_feeds(session, now=later, limit=10, lease=LEASE, only=[feed_id]) == []
    assert _logs(sessions, feed_id)[0].outcome == "gone"


def test_success_after_failures_resets_count(sessions, make_feed, clock):
    feed_id = make_feed()
    with sessions.begin() as session:
        record_failure(session, feed_id, now=clock(), error="timeout")
        record_success(session, feed_id, now=clock(), http_status=200, etag=None,
                       last_modified=None, entries=0, new_articles=0)
    feed = _feeds(sessions)["feed-1"]
    assert (feed.consecutive_failures, feed.last_error, feed.status) == (0, None, "ok")


# failures in a row, gone -> the level of the poll's one line (dead_after_failures=3)
FAILURE_LINES = {
    "ordinary-failure-is-info": (1, False, "INFO"),
    "going-dead-is-a-warning": (3, False, "WARNING"),
    "already-dead-is-info-again": (4, False, "INFO"),  # the health job repeats it, not each poll
    "gone-is-a-warning": (1, True, "WARNING"),
}


@pytest.mark.parametrize("failures, gone, level", list(FAILURE_LINES.values()),
                         ids=list(FAILURE_LINES))
def test_a_failed_poll_is_one_line_with_its_url_redacted(sessions, make_feed, clock, caplog,
                                                         failures, gone, level):
    feed_id = make_feed("Sheriff", url="https://bob:hunter2@sheriff.example/rss",
                        consecutive_failures=failures - 1)
    caplog.set_level(logging.DEBUG, logger="db.feeds")
    with sessions.begin() as session:
        record_failure(session, feed_id, now=clock(), error="connection refused",
                       gone=gone, dead_after_failures=3)

    lines = [r for r in caplog.records if "feed=Sheriff " in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelname == level
    assert "url=https://bob:***@sheriff.example/rss error=connection refused" in (
        lines[0].getMessage())
    assert "hunter2" not in caplog.text


# --- error text ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, absent", [
    ("GET https://user:hunter2@feeds.example/rss failed", "hunter2"),
    ("404 for https://x.example/rss?token=s3cr3t&page=2", "s3cr3t"),
    ("401 Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
    ("slack said xoxb-1234-5678-abcdef", "xoxb-1234"),
    ("GET https://t0ken9@feeds.example/rss failed", "t0ken9"),
    ("GET https://user:p@ss-w0rd@feeds.example/rss failed", "ss-w0rd"),
], ids=["userinfo", "query-token", "bearer", "slack-token", "token-as-user-name",
        "at-sign-in-password"])
def test_errors_never_keep_secrets(raw, absent):
    assert absent not in clean_error(raw)


def test_errors_mask_urls_as_everywhere_else():
    """The user name stays (who was it?), the password goes, as in every log line."""
    assert clean_error("GET https://bob:hunter2@feeds.example/rss") == (
        "GET https://bob:***@feeds.example/rss")


def test_errors_are_one_short_line():
    text = clean_error("Traceback:\n  line 1\n" + "x" * 5000)
    assert "\n" not in text and len(text) <= 300


def test_stored_error_is_cleaned(sessions, make_feed, clock):
    feed_id = make_feed()
    with sessions.begin() as session:
        record_failure(session, feed_id, now=clock(), error="boom https://u:pw@h.example/\n" * 50)
    feed = _feeds(sessions)["feed-1"]
    assert ":pw@" not in feed.last_error and len(feed.last_error) <= 300


def test_stored_error_holds_nothing_postgresql_refuses(sessions, make_feed, clock):
    feed_id = make_feed()
    with sessions.begin() as session:
        record_failure(session, feed_id, now=clock(), error="bad\x00 byte \ud800in a reason")
    assert _feeds(sessions)["feed-1"].last_error == "bad byte in a reason"
    assert _logs(sessions, feed_id)[0].error == "bad byte in a reason"


# --- health ----------------------------------------------------------------------------------


def test_feed_health_flags_dead_feeds(sessions, make_feed, clock):
    make_feed("fine")
    failing = make_feed("failing")
    gone = make_feed("gone")
    make_feed("off", enabled=False, consecutive_failures=50)
    with sessions.begin() as session:
        for _ in range(3):
            record_failure(session, failing, now=clock(), error="HTTP 500", http_status=500)
        record_failure(session, gone, now=clock(), error="HTTP 410", http_status=410, gone=True)
    with sessions() as session:
        health = {h.name: h for h in feed_health(session, clock(), dead_after_failures=3)}
    assert [name for name, h in health.items() if h.dead] == ["failing", "gone"]
    assert health["gone"].status == "gone" and health["failing"].consecutive_failures == 3
    assert health["fine"].last_error is None
