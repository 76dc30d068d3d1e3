"""The daily digest: one idempotent outbox row per day, rendered and delivered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alert_builders import CHANNEL, T0

from alerts.digest import enqueue_digest
from alerts.outbox import DeliveryReport, deliver_pending
from db.models import Agency, Alert

DAY = timedelta(days=1)


def enqueue(sessions, now=T0, **kwargs):
    with sessions.begin() as session:
        alert = enqueue_digest(session, now=now, channel=CHANNEL, **kwargs)
        return (alert.key, alert.payload) if alert else None


def test_nothing_new_means_no_digest(sessions, add_statement):
    add_statement(created_at=T0 - 2 * DAY)
    assert enqueue(sessions) is None
    with sessions() as session:
        assert session.query(Alert).count() == 0


def test_digest_summarises_the_periods_primary_statements(sessions, add_statement):
    first = add_statement(created_at=T0 - timedelta(hours=20), stance="refuses")
    add_statement(created_at=T0 - timedelta(hours=5), stance="cooperates",
                  previous_stance="refuses",
                  agency=Agency(name="Tucson Police Department", place="Tucson", state="AZ"))
    add_statement(created_at=T0 - timedelta(hours=1), stance=None)
    add_statement(created_at=T0 - timedelta(hours=1), duplicate_of_id=first)  # a re-report
    add_statement(created_at=T0 - 2 * DAY)  # before the period
    add_statement(created_at=T0 + timedelta(minutes=1))  # after it
    key, payload = enqueue(sessions)
    assert key == "digest:2025-03-01"
    assert (payload["total"], payload["counts"], payload["stance_changes"]) == (
        3, {"refuses": 1, "cooperates": 1, "unclear": 1}, 1)
    assert [i["agency"] for i in payload["items"]] == [
        "Los Angeles Police Department", "Tucson Police Department",
        "Los Angeles Police Department"]
    assert payload["items"][0]["url"].startswith("https://www.latimes.com/")
    assert payload["items"][1]["previous_stance"] == "refuses"


@pytest.mark.parametrize("alert_statuses, total", [
    (["skipped"], None),
    (["pending", "skipped", "sent"], 2),
    (["failed"], 1),
], ids=["backfill-only-means-no-digest", "backfill-left-out-of-the-new", "failed-is-still-new"])
def test_backfilled_statements_are_not_new(sessions, add_statement, alert_statuses, total):
    """A feed's backlog archived on its first poll (alerts `skipped`) is not news."""
    with sessions.begin() as session:
        for status in alert_statuses:
            statement_id = add_statement(created_at=T0 - timedelta(hours=2))
            session.add(Alert(key=f"statement:{statement_id}", statement_id=statement_id,
                              kind="statement", channel=CHANNEL, status=status,
                              last_error="backfill: older than the window"
                              if status == "skipped" else None))
    found = enqueue(sessions)
    assert (found and found[1]["total"]) == total
    if found:
        assert len(found[1]["items"]) == total


@pytest.mark.parametrize("later", [timedelta(0), timedelta(hours=11)],
                         ids=["same-time", "same-day"])
def test_one_digest_per_day(sessions, add_statement, later):
    add_statement(created_at=T0 - timedelta(hours=1))
    assert enqueue(sessions) is not None
    assert enqueue(sessions, now=T0 + later) is None
    with sessions() as session:
        assert session.query(Alert).filter(Alert.kind == "digest").count() == 1


def test_next_day_gets_its_own_digest(sessions, add_statement):
    add_statement(created_at=T0 - timedelta(hours=1))
    add_statement(created_at=T0 + timedelta(hours=2))
    assert enqueue(sessions)[0] == "digest:2025-03-01"
    assert enqueue(sessions, now=T0 + DAY)[0] == "digest:2025-03-02"


def test_period_is_configurable(sessions, add_statement):
    add_statement(created_at=T0 - 3 * DAY)
    assert enqueue(sessions) is None
    assert enqueue(sessions, now=T0, period=7 * DAY)[1]["total"] == 1


def test_digest_is_delivered_as_block_kit(sessions, add_statement, slack_sink, fake_slack, clock,
                                          pause):
    for hours in (1, 2, 3):
        add_statement(created_at=T0 - timedelta(hours=hours), quote="<!channel> *we refuse*")
    enqueue(sessions)
    report = deliver_pending(sessions, slack_sink, now_fn=clock, pause=pause)
    assert report == DeliveryReport(sent=1)
    (message,) = fake_slack.posted
    assert message.blocks[0]["text"]["text"] == "Beatwire digest — 2025-03-01"
    assert "*3 new statements* (3 refuses)" in message.blocks[1]["text"]["text"]
    assert "&lt;!channel&gt; ∗we refuse∗" in message.blocks[2]["text"]["text"]
    assert fake_slack.posted_keys() == ["digest:2025-03-01"]


def test_a_digest_added_by_another_worker_meanwhile_is_not_an_error(sessions, add_statement,
                                                                    monkeypatch):
    import alerts.digest as digest

    add_statement(created_at=T0 - timedelta(hours=1))
    real = digest.new_statements

    def racing(session, since, until):  # the other worker commits between our check and insert
        with sessions.begin() as other:
            other.add(Alert(key="digest:2025-03-01", kind="digest", channel=CHANNEL, payload={}))
        return real(session, since, until)

    monkeypatch.setattr(digest, "new_statements", racing)
    with sessions.begin() as session:
        assert enqueue_digest(session, now=T0, channel=CHANNEL) is None
        session.add(Agency(name="Still usable", state="TX"))  # our transaction goes on
    with sessions() as session:
        assert session.query(Alert).count() == 1
        assert session.query(Agency).filter_by(name="Still usable").count() == 1
