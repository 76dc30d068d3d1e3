"""The outbox on both engines, through real slack_sdk and the fake Slack: every alert is
posted exactly once across outages, lost responses, crashes, pauses and two workers."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from alert_builders import CHANNEL, T0, statement_row

from alerts.base import AuthError, TransientError, missing_token
from alerts.outbox import BACKOFF_CAP, DeliveryReport, backoff, deliver_pending
from alerts.slack import SlackSink
from db.claims import claim_pending_alerts

LEASE = timedelta(minutes=2)


class Crash(BaseException):
    """A kill -9 stand-in: nothing after it runs, nothing catches it."""


def deliver(sessions, sink, clock, pause, **kwargs) -> DeliveryReport:
    return deliver_pending(sessions, sink, now_fn=clock, lease=LEASE, pause=pause, **kwargs)


def deliver_until_done(sessions, sink, clock, pause, rounds: int = 30) -> list[DeliveryReport]:
    """Rounds with the clock moved past any back-off between them, until nothing is left."""
    reports = []
    for _ in range(rounds):
        reports.append(deliver(sessions, sink, clock, pause))
        if not pending_rows(sessions):
            return reports
        clock.advance(BACKOFF_CAP.total_seconds() + 1)
    raise AssertionError("alerts still pending")


def pending_rows(sessions) -> list:
    from db.models import Alert

    with sessions() as session:
        return list(session.query(Alert).filter(Alert.status.in_(["pending", "sending"])))


@pytest.mark.parametrize("attempts, retry_after, expected", [
    (1, None, 15), (2, None, 30), (3, None, 60), (7, None, 900), (30, None, 900),
    (1, 120, 120), (7, 3600, 3600), (0, None, 15),
], ids=["first", "second", "third", "capped", "long-outage", "retry-after-wins",
        "retry-after-over-cap", "zero"])
def test_backoff(attempts, retry_after, expected):
    assert backoff(attempts, retry_after) == timedelta(seconds=expected)


def test_each_alert_posted_once_with_ts_recorded(sessions, add_alert, load_alerts, slack_sink,
                                                 fake_slack, clock, pause):
    ids = [add_alert() for _ in range(3)]
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport(sent=3)
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport()
    rows = load_alerts()
    assert fake_slack.posted_keys() == [rows[i].key for i in ids]
    for row, message in zip(rows.values(), fake_slack.posted, strict=True):
        assert (row.status, row.slack_ts, row.slack_channel_id, row.sent_at, row.attempts,
                row.claimed_until) == ("sent", message.ts, "C0ALERTS", T0, 1, None)


@pytest.mark.parametrize("only_posting", [True, False], ids=["post-fails", "every-call-fails"])
def test_outage_500s_then_429s_then_recovery_delivers_everything_once(
        only_posting, sessions, add_alert, load_alerts, slack_sink, fake_slack, clock, pause):
    method = "chat.postMessage" if only_posting else None
    ids = [add_alert() for _ in range(5)]
    fake_slack.fail_http(500, times=6, method=method)
    fake_slack.rate_limit(90, times=6, method=method)
    reports = deliver_until_done(sessions, slack_sink, clock, pause)
    assert sorted(fake_slack.posted_keys()) == sorted(r.key for r in load_alerts().values())
    assert len(fake_slack.posted) == len(ids)
    assert sum(r.retried for r in reports) >= 6 and not any(r.failed for r in reports)
    assert {r.status for r in load_alerts().values()} == {"sent"}


def test_429_honours_retry_after_and_500_keeps_sending(sessions, add_alert, load_alerts,
                                                       slack_sink, fake_slack, clock, pause):
    limited, broken = add_alert(), add_alert()
    fake_slack.rate_limit(600, method="chat.postMessage")
    fake_slack.fail_http(500, method="chat.postMessage")
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport(retried=2)
    rows = load_alerts()
    assert rows[limited].status == "pending" and rows[limited].last_error == "rate_limited"
    assert rows[limited].next_attempt_at == T0 + timedelta(seconds=600)
    # A 5xx may hide an accepted post: the next try looks in history first.
    assert rows[broken].status == "sending" and rows[broken].next_attempt_at == T0 + backoff(1)
    clock.advance(60)
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport(sent=1)
    assert len(fake_slack.calls_to("conversations.history")) == 1


def test_invalid_auth_pauses_logs_once_and_resumes(sessions, add_alert, load_alerts, fake_slack,
                                                   slack_sink, clock, pause, caplog):
    caplog.set_level(logging.INFO, logger="alerts")
    ids = [add_alert() for _ in range(3)]
    refused = SlackSink("xoxb-revoked-token", api_url=fake_slack.url, timeout=1)
    for _ in range(3):
        assert deliver(sessions, refused, clock, pause) == DeliveryReport(paused=True)
        clock.advance(60)
    rows = load_alerts()
    assert all((rows[i].status, rows[i].attempts, rows[i].claimed_until) == ("pending", 0, None)
               for i in ids)
    assert len(fake_slack.calls_to("chat.postMessage")) == 3  # one probe per round, no more
    paused = [r for r in caplog.records if "paused" in r.getMessage()]
    assert len(paused) == 1 and "code=invalid_auth" in paused[0].getMessage()
    assert "xoxb-revoked-token" not in caplog.text and fake_slack.token not in caplog.text
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport(sent=3)
    assert len([r for r in caplog.records if "resumed" in r.getMessage()]) == 1


# Why a row waits, as each kind of pause or outage records it on every row it put back.
PAUSES = {
    "token-missing": (lambda fake: missing_token("SLACK_BOT_TOKEN"), 0, "pending",
                      "paused: token_missing (SLACK_BOT_TOKEN is not set)"),
    "token-refused": (lambda fake: SlackSink("xoxb-revoked-token", api_url=fake.url, timeout=1),
                      0, "pending", "paused: invalid_auth"),
    "slack-outage": (lambda fake: fake.fail_http(503, times=3) or SlackSink(
        fake.token, api_url=fake.url, timeout=1), 1, "sending", "http_503"),
}


@pytest.mark.parametrize("make_sink, attempts, status, why", list(PAUSES.values()),
                         ids=list(PAUSES))
def test_rows_put_back_record_why_they_wait_and_go_once_the_token_works(
        make_sink, attempts, status, why, sessions, add_alert, load_alerts, slack_sink,
        fake_slack, clock, pause):
    ids = [add_alert() for _ in range(3)]  # one tried, the others claimed and given back
    deliver(sessions, make_sink(fake_slack), clock, pause)
    rows = load_alerts()
    assert [(rows[i].status, rows[i].attempts, rows[i].claimed_until, rows[i].last_error)
            for i in ids] == [(status, attempts, None, why)] * 3
    assert fake_slack.token not in why
    clock.advance(BACKOFF_CAP.total_seconds())
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport(sent=3)
    assert {(r.status, r.last_error) for r in load_alerts().values()} == {("sent", None)}
    assert sorted(fake_slack.posted_keys()) == sorted(rows[i].key for i in ids)


def test_a_missing_token_adds_no_second_error_line(sessions, add_alert, clock, pause, caplog):
    """make_sink has said it once; each paused round stays quiet."""
    add_alert()
    caplog.set_level(logging.INFO, logger="alerts")
    for _ in range(2):
        assert deliver(sessions, missing_token("SLACK_BOT_TOKEN"), clock, pause).paused
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_channel_not_found_fails_that_alert_and_the_rest_go_on(
        sessions, add_alert, load_alerts, slack_sink, fake_slack, clock, pause, caplog):
    first, lost, last = add_alert(), add_alert(channel="#deleted-channel"), add_alert()
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport(sent=2, failed=1)
    rows = load_alerts()
    assert [rows[i].status for i in (first, lost, last)] == ["sent", "failed", "sent"]
    assert rows[lost].last_error == "channel_not_found"
    (line,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert f"alert={rows[lost].key}" in line and "code=channel_not_found" in line
    clock.advance(3600)
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport()


@pytest.mark.parametrize("lose", [lambda f: f.accept_then_drop(),
                                  lambda f: f.slow(1.5, method="chat.postMessage")],
                         ids=["accept-then-drop", "answer-after-timeout"])
def test_lost_response_is_recovered_from_history_not_posted_twice(
        lose, sessions, add_alert, load_alerts, slack_sink, fake_slack, clock, pause):
    alert_id = add_alert()
    lose(fake_slack)
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport(retried=1)
    assert load_alerts()[alert_id].status == "sending" and len(fake_slack.wait_posted(1)) == 1
    clock.advance(BACKOFF_CAP.total_seconds())
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport(sent=1)
    row = load_alerts()[alert_id]
    assert len(fake_slack.posted) == 1 and len(fake_slack.calls_to("chat.postMessage")) == 1
    assert (row.status, row.slack_ts) == ("sent", fake_slack.posted[0].ts)


def test_thread_reply_uses_the_parents_ts(sessions, add_alert, load_alerts, slack_sink,
                                          fake_slack, clock, pause):
    parent = add_alert(key="statement:1")
    reply = add_alert(key="also:2", kind="also_reported", parent_alert_id=parent,
                      statement=statement_row(url="https://www.denverpost.com/x"))
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport(sent=2)
    first, second = fake_slack.posted
    assert second.thread_ts == first.ts and "denverpost.com" in second.text
    assert load_alerts()[reply].slack_ts == second.ts


def test_reply_waits_for_its_parent_and_fails_with_it(sessions, add_alert, load_alerts,
                                                      slack_sink, fake_slack, clock, pause):
    parent = add_alert()
    reply = add_alert(kind="also_reported", parent_alert_id=parent)
    fake_slack.rate_limit(60, method="chat.postMessage")
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport(retried=1)
    assert load_alerts()[reply].status == "pending" and not fake_slack.posted
    deliver_until_done(sessions, slack_sink, clock, pause)
    assert fake_slack.posted[1].thread_ts == fake_slack.posted[0].ts
    orphan = add_alert(kind="also_reported",
                       parent_alert_id=add_alert(status="failed", channel="#gone"))
    clock.advance(1)
    deliver(sessions, slack_sink, clock, pause)
    assert load_alerts()[orphan].last_error == "parent_failed"
    no_parent = add_alert(kind="also_reported", parent_alert_id=None)
    clock.advance(1)
    deliver(sessions, slack_sink, clock, pause)
    assert load_alerts()[no_parent].last_error == "no_parent_alert"


def test_reply_under_a_skipped_parent_fails_instead_of_waiting_forever(
        sessions, add_alert, load_alerts, slack_sink, fake_slack, clock, pause):
    """A backfilled (skipped) alert is never posted, so a reply can never get its thread."""
    reply = add_alert(kind="also_reported", parent_alert_id=add_alert(status="skipped"))
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport(failed=1)
    assert (load_alerts()[reply].status, load_alerts()[reply].last_error) == (
        "failed", "parent_skipped")
    assert fake_slack.posted == []


class CrashingSink:
    """Wraps a sink; crashes (like kill -9) right before or right after the real post."""

    name = "crashing"

    def __init__(self, sink, when: str):
        self.sink, self.when = sink, when

    def post(self, message):
        if self.when == "before-post":
            raise Crash()
        self.sink.post(message)
        raise Crash()

    def find_posted(self, *args):
        return self.sink.find_posted(*args)


@pytest.mark.parametrize("when", ["before-post", "after-post"])
def test_crash_between_sending_commit_and_sent_commit_never_duplicates(
        when, sessions, add_alert, load_alerts, slack_sink, fake_slack, clock, pause):
    alert_id = add_alert()
    with pytest.raises(Crash):
        deliver(sessions, CrashingSink(slack_sink, when), clock, pause)
    row = load_alerts()[alert_id]
    assert (row.status, row.attempts) == ("sending", 1) and row.claimed_until > clock()
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport()  # lease still held
    clock.advance(LEASE.total_seconds() + 1)
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport(sent=1)
    assert fake_slack.posted_keys() == [row.key]
    assert load_alerts()[alert_id].slack_ts == fake_slack.posted[0].ts


def test_crash_after_claim_leaves_the_alert_for_the_next_round(
        sessions, add_alert, load_alerts, slack_sink, fake_slack, clock, pause):
    alert_id = add_alert()
    with sessions() as session:
        claim_pending_alerts(session, now=clock(), limit=10, lease=LEASE)  # then "killed"
    clock.advance(LEASE.total_seconds() + 1)
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport(sent=1)
    assert fake_slack.posted_keys() == [load_alerts()[alert_id].key]


def test_two_workers_in_parallel_post_each_alert_once(sessions, add_alert, load_alerts,
                                                      fake_slack, clock, pause):
    ids = [add_alert() for _ in range(12)]
    sinks = [SlackSink(fake_slack.token, api_url=fake_slack.url, timeout=5) for _ in range(2)]
    reports = []

    def worker(sink):
        while pending_rows(sessions):
            reports.append(deliver(sessions, sink, clock, pause, limit=3))

    threads = [threading.Thread(target=worker, args=(sink,)) for sink in sinks]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    assert sorted(fake_slack.posted_keys()) == sorted(load_alerts()[i].key for i in ids)
    assert sum(r.sent for r in reports) == len(ids)


def test_a_worker_stalled_past_its_lease_steps_back(sessions, add_alert, load_alerts, slack_sink,
                                                    fake_slack, clock, pause):
    ids = [add_alert() for _ in range(3)]
    late = T0 + LEASE + timedelta(seconds=1)
    calls = []

    def stalled_clock():
        calls.append(1)
        if len(calls) == 2:  # after worker A's claim: A stalls, B takes the expired leases
            assert deliver_pending(sessions, slack_sink, now_fn=lambda: late, lease=LEASE,
                                   pause=pause) == DeliveryReport(sent=3)
        return T0

    report = deliver_pending(sessions, slack_sink, now_fn=stalled_clock, lease=LEASE, pause=pause)
    assert report == DeliveryReport()
    assert sorted(fake_slack.posted_keys()) == sorted(load_alerts()[i].key for i in ids)


def test_an_alert_that_cannot_render_fails(sessions, add_alert, load_alerts, slack_sink, clock,
                                           pause):
    broken = add_alert(kind="digest", payload={"items": "not a list"})
    assert deliver(sessions, slack_sink, clock, pause) == DeliveryReport(failed=1)
    assert load_alerts()[broken].last_error.startswith("render_error")


class ScriptedSink:
    """A sink that raises the scripted errors, then posts through the real one."""

    name = "scripted"

    def __init__(self, sink, errors):
        self.sink, self.errors = sink, list(errors)

    def post(self, message):
        if self.errors:
            raise self.errors.pop(0)
        return self.sink.post(message)

    def find_posted(self, *args):
        return self.sink.find_posted(*args)


def test_auth_error_after_a_maybe_delivered_attempt_keeps_sending(
        sessions, add_alert, load_alerts, slack_sink, fake_slack, clock, pause):
    alert_id = add_alert()
    sink = ScriptedSink(slack_sink, [TransientError("timeout", maybe_delivered=True),
                                     AuthError("token_revoked")])
    assert deliver(sessions, sink, clock, pause).retried == 1
    clock.advance(60)
    assert deliver(sessions, sink, clock, pause).paused
    row = load_alerts()[alert_id]
    assert (row.status, row.attempts, row.claimed_until) == ("sending", 1, None)
    assert deliver(sessions, sink, clock, pause) == DeliveryReport(sent=1)
    assert fake_slack.posted_keys() == [row.key]
    assert row.channel == CHANNEL


# -- keys that belong to one archive -----------------------------------------------------


@pytest.fixture
def one_alert_archive(tmp_path):
    """Builder: a fresh, migrated SQLite archive holding one statement (row id 1) and its
    alert; returns its sessionmaker."""
    from alert_builders import alert_row

    from db.engine import make_engine, make_sessionmaker
    from db.migrate import upgrade

    engines = []

    def build(story: str):
        url = f"sqlite:///{tmp_path / story}.db"
        upgrade(url)
        engines.append(make_engine(url))
        sessions = make_sessionmaker(engines[-1])
        with sessions.begin() as session:
            statement = statement_row(url=f"https://www.latimes.com/local/{story}")
            session.add(statement)
            session.flush()
            session.add(alert_row(statement, key=f"statement:{statement.id}"))
        return sessions

    yield build
    for engine in engines:
        engine.dispose()


def sent_row(sessions):
    from db.models import Alert

    with sessions() as session:
        return session.query(Alert).one()


def refuse_post(slack):
    slack.fail_http(500, method="chat.postMessage")


def accept_post_then_500(slack):
    slack.accept_then_fail(500)


TWO_ARCHIVES = {
    # (the second archive's first post, the other archive posts between it and recovery)
    "500-nothing-posted-other-posted-before": (refuse_post, False),
    "500-nothing-posted-other-posted-between": (refuse_post, True),
    "500-after-slack-accepted-other-posted-between": (accept_post_then_500, True),
}


@pytest.mark.parametrize("first_post, second_goes_first", TWO_ARCHIVES.values(),
                         ids=TWO_ARCHIVES.keys())
def test_two_archives_in_one_channel_each_post_their_statement_once(
        first_post, second_goes_first, one_alert_archive, slack_sink, fake_slack, clock, pause):
    """Both archives' statement is row 1 with key statement:1; the second's first post gets
    a 500 (maybe delivered), so its recovery reads a channel holding the other's message
    (the newest one, when the other posts in between)."""
    one, two = one_alert_archive("story-one"), one_alert_archive("story-two")
    assert sent_row(one).key == sent_row(two).key == "statement:1"
    if not second_goes_first:
        assert deliver(one, slack_sink, clock, pause) == DeliveryReport(sent=1)
    first_post(fake_slack)
    assert deliver(two, slack_sink, clock, pause) == DeliveryReport(retried=1)
    assert sent_row(two).status == "sending"
    if second_goes_first:  # the other's message is now the newest in history
        assert deliver(one, slack_sink, clock, pause) == DeliveryReport(sent=1)
    clock.advance(BACKOFF_CAP.total_seconds())
    assert deliver(two, slack_sink, clock, pause) == DeliveryReport(sent=1)
    by_story = {story: [m for m in fake_slack.posted if story in m.text]
                for story in ("story-one", "story-two")}
    assert [len(by_story["story-one"]), len(by_story["story-two"])] == [1, 1]
    assert len(fake_slack.posted) == 2
    for sessions, story in ((one, "story-one"), (two, "story-two")):
        row = sent_row(sessions)
        assert (row.status, row.slack_ts) == ("sent", by_story[story][0].ts)


def test_messages_carry_the_installation_id_and_statement_fingerprint(
        sessions, add_alert, slack_sink, fake_slack, clock, pause):
    from alerts.keys import statement_fingerprint
    from db.installation import installation_id
    from db.models import Alert

    add_alert()
    deliver(sessions, slack_sink, clock, pause)
    with sessions() as session:
        ours, alert = installation_id(session), session.query(Alert).one()
        expected = {"alert_key": alert.key, "installation_id": ours,
                    "statement_fingerprint": statement_fingerprint(alert.statement)}
    assert len(ours) == 32 and fake_slack.posted[0].metadata["event_payload"] == expected


# -- the bar, end to end: no token, then the token ------------------------------------------


@pytest.mark.timeout(240)
def test_without_a_token_run_once_fails_posts_nothing_and_the_next_run_posts_each_once(
        sqlite_url, feed_site, fake_slack, make_config, beatwire):
    from sqlalchemy import create_engine, select
    from test_end_to_end import serve_seed

    from db.models import Alert

    config = make_config(sqlite_url, [{"name": "Metro", "url": serve_seed(feed_site, "/a.xml")}])

    def outbox() -> list[tuple[str, str, str | None]]:
        engine = create_engine(sqlite_url)
        with engine.connect() as connection:
            rows = connection.execute(select(Alert.key, Alert.status, Alert.last_error)).all()
        engine.dispose()
        return [tuple(row) for row in rows]

    paused = beatwire(config, "run", "--init", "--once", token=False)
    errors = [line for line in paused.stderr.splitlines() if " ERROR " in line]
    assert paused.returncode == 1, paused.stderr
    assert len(errors) == 1 and "BEATWIRE_TEST_SLACK_TOKEN is not set" in errors[0], errors
    waiting = outbox()
    assert len(waiting) >= 3 and fake_slack.calls == []
    why = "paused: token_missing (BEATWIRE_TEST_SLACK_TOKEN is not set)"
    assert {(status, error) for _, status, error in waiting} == {("pending", why)}
    listed = beatwire(config, "alerts", "list", "--status", "pending")
    assert listed.returncode == 0 and listed.stdout.count(why) == len(waiting), listed.stdout

    posted = beatwire(config, "run", "--once")
    assert posted.returncode == 0, posted.stderr
    assert sorted(fake_slack.posted_keys()) == sorted(key for key, _, _ in waiting)
    assert {(status, error) for _, status, error in outbox()} == {("sent", None)}
