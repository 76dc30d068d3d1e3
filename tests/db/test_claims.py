"""Claims: leases on due feeds and pending alerts, across two sessions, on both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.claims import claim_due_feeds, claim_pending_alerts, release_feed
from db.models import Alert

LEASE = timedelta(minutes=10)


@pytest.fixture
def make_alert(sessions, clock):
    def build(key: str, **fields) -> int:
        with sessions.begin() as session:
            values = {"key": key, "channel": "#t", "kind": "digest",
                      "next_attempt_at": clock(), **fields}
            alert = Alert(**values)
            session.add(alert)
            session.flush()
            return alert.id

    return build


def test_two_sessions_never_claim_the_same_feed(sessions, make_feed, clock):
    ids = {make_feed() for _ in range(4)}
    with sessions() as first, sessions() as second:
        a = {f.id for f in claim_due_feeds(first, now=clock(), limit=3, lease=LEASE)}
        b = {f.id for f in claim_due_feeds(second, now=clock(), limit=3, lease=LEASE)}
    assert not a & b and a | b == ids and len(a) == 3


@pytest.mark.parametrize("fields", [
    {"enabled": False},
    {"status": "gone"},
    {"next_poll_at": "future"},
], ids=["disabled", "gone", "not-due"])
def test_feeds_not_claimed(sessions, make_feed, clock, fields):
    if fields.get("next_poll_at") == "future":
        fields = {"next_poll_at": clock() + timedelta(minutes=1)}
    make_feed(**fields)
    with sessions() as session:
        assert claim_due_feeds(session, now=clock(), limit=10, lease=LEASE) == []


def test_expired_feed_lease_is_reclaimed(sessions, make_feed, clock):
    feed_id = make_feed()
    with sessions() as session:
        assert [f.id for f in claim_due_feeds(session, now=clock(), limit=1, lease=LEASE)] == [
            feed_id]
        assert claim_due_feeds(session, now=clock() + LEASE / 2, limit=1, lease=LEASE) == []
        later = clock() + LEASE + timedelta(seconds=1)
        assert [f.id for f in claim_due_feeds(session, now=later, limit=1, lease=LEASE)] == [
            feed_id]


def test_released_feed_is_claimable_again(sessions, make_feed, clock):
    feed_id = make_feed()
    with sessions() as session:
        claim_due_feeds(session, now=clock(), limit=1, lease=LEASE)
        release_feed(session, feed_id)
        session.commit()
        assert len(claim_due_feeds(session, now=clock(), limit=1, lease=LEASE)) == 1


def test_only_ignores_next_poll(sessions, make_feed, clock):
    later = make_feed(next_poll_at=clock() + timedelta(hours=1))
    make_feed()
    with sessions() as session:
        claimed = claim_due_feeds(session, now=clock(), limit=10, lease=LEASE, only=[later])
    assert [f.id for f in claimed] == [later]


def test_two_sessions_never_claim_the_same_alert(sessions, make_alert, clock):
    ids = {make_alert(f"digest:{n}") for n in range(3)}
    with sessions() as first, sessions() as second:
        a = {x.id for x in claim_pending_alerts(first, now=clock(), limit=2, lease=LEASE)}
        b = {x.id for x in claim_pending_alerts(second, now=clock(), limit=2, lease=LEASE)}
    assert not a & b and a | b == ids


@pytest.mark.parametrize("fields, claimable", [
    ({"status": "sent"}, False),
    ({"status": "failed"}, False),
    ({"status": "sending"}, True),
    ({"next_attempt_at": "future"}, False),
], ids=["sent", "failed", "sending-crashed", "retry-later"])
def test_alert_claimability(sessions, make_alert, clock, fields, claimable):
    if fields.get("next_attempt_at") == "future":
        fields = {"next_attempt_at": clock() + timedelta(minutes=5)}
    make_alert("digest:x", **fields)
    with sessions() as session:
        claimed = claim_pending_alerts(session, now=clock(), limit=5, lease=LEASE)
    assert bool(claimed) is claimable


def test_expired_alert_lease_is_reclaimed(sessions, make_alert, clock):
    alert_id = make_alert("digest:y")
    with sessions() as session:
        claim_pending_alerts(session, now=clock(), limit=1, lease=LEASE)
        assert claim_pending_alerts(session, now=clock(), limit=1, lease=LEASE) == []
        later = clock() + LEASE * 2
        assert [a.id for a in claim_pending_alerts(session, now=later, limit=1, lease=LEASE)] == [
            alert_id]
