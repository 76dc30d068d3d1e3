"""Claims: leases on due feeds and pending alerts, across two sessions, on both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.claims import (
    claim_due_feeds,
    claim_pending_alerts,
    release_claims_of,
    release_feed,
    renew_claims,
)
from db.models import Alert, Feed

LEASE = timedelta(minutes=10)
GRACE = timedelta(seconds=15)


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


@pytest.mark.parametrize("polled, claimed", [
    (None, True),
    (timedelta(minutes=-1), True),
    (timedelta(0), False),
    (timedelta(minutes=1), False),
], ids=["never-polled-is-claimed", "polled-before-the-cycle-is-claimed",
        "polled-as-the-cycle-started-is-left", "polled-during-the-cycle-is-left"])
def test_once_cycle_leaves_feeds_polled_since_it_started(sessions, make_feed, clock, polled,
                                                         claimed):
    """`run --once --workers N`: a feed one child polled this cycle, the others leave."""
    started = clock()
    feed_id = make_feed(last_polled_at=None if polled is None else started + polled)
    with sessions() as session:
        found = claim_due_feeds(session, now=clock.advance(120), limit=1, lease=LEASE,
                                only=[feed_id], polled_before=started)
    assert [f.id for f in found] == ([feed_id] if claimed else [])


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
        [feed] = claim_due_feeds(session, now=clock(), limit=1, lease=LEASE)
        assert release_feed(session, feed_id, feed.claimed_by)
        session.commit()
        assert len(claim_due_feeds(session, now=clock(), limit=1, lease=LEASE)) == 1


@pytest.mark.parametrize("worker", ["w-1", None], ids=["worker", "one-off"])
def test_claims_name_their_holder(sessions, make_feed, make_alert, clock, worker):
    make_feed()
    make_alert("digest:h")
    with sessions() as session:
        [feed] = claim_due_feeds(session, now=clock(), limit=1, lease=LEASE, worker=worker)
        [alert] = claim_pending_alerts(session, now=clock(), limit=1, lease=LEASE, worker=worker)
    assert feed.claimed_by and alert.claimed_by
    if worker:
        assert feed.claimed_by == alert.claimed_by == worker
    else:  # every claim outside a worker is its own holder
        assert feed.claimed_by != alert.claimed_by


def test_release_leaves_another_holders_claim_alone(sessions, make_feed, clock):
    feed_id = make_feed()
    with sessions() as session:
        claim_due_feeds(session, now=clock(), limit=1, lease=LEASE, worker="b")
        assert not release_feed(session, feed_id, "a")
        session.commit()
        assert claim_due_feeds(session, now=clock(), limit=1, lease=LEASE) == []


def _leases(sessions, model) -> dict[int, tuple]:
    with sessions() as session:
        return {row.id: (row.claimed_by, row.claimed_until) for row in session.scalars(
            select(model))}


def test_renewal_extends_only_the_holders_named_claims(sessions, make_feed, make_alert, clock):
    in_hand, forgotten, theirs = make_feed(), make_feed(), make_feed()
    alert_id = make_alert("digest:r")
    with sessions() as session:
        claim_due_feeds(session, now=clock(), limit=2, lease=LEASE, worker="a",
                        only=[in_hand, forgotten])
        claim_due_feeds(session, now=clock(), limit=1, lease=LEASE, worker="b", only=[theirs])
        claim_pending_alerts(session, now=clock(), limit=1, lease=LEASE, worker="a")
    later = clock() + LEASE * 0.9
    with sessions.begin() as session:
        renewed = renew_claims(session, "a", now=later, lease=LEASE, feeds=[in_hand, theirs],
                               alerts=[alert_id])
    feeds = _leases(sessions, Feed)
    assert renewed == 2
    assert feeds[in_hand] == ("a", later + LEASE)
    assert feeds[forgotten] == ("a", clock() + LEASE), "work not in hand still runs out"
    assert feeds[theirs] == ("b", clock() + LEASE), "another holder's lease is not ours"
    assert _leases(sessions, Alert)[alert_id] == ("a", later + LEASE)


def test_released_holders_claims_are_claimable_at_once(sessions, make_feed, make_alert, clock):
    feed_id, other = make_feed(), make_feed()
    make_alert("digest:d")
    with sessions() as session:
        claim_due_feeds(session, now=clock(), limit=1, lease=LEASE, worker="dead", only=[feed_id])
        claim_due_feeds(session, now=clock(), limit=1, lease=LEASE, worker="live", only=[other])
        claim_pending_alerts(session, now=clock(), limit=1, lease=LEASE, worker="dead")
    with sessions.begin() as session:
        assert release_claims_of(session, "dead", now=clock(),
                                 posting_grace=GRACE) == {"feeds": 1, "alerts": 1}
    with sessions() as session:
        assert [f.id for f in claim_due_feeds(session, now=clock(), limit=5, lease=LEASE)] == [
            feed_id]
        assert len(claim_pending_alerts(session, now=clock(), limit=5, lease=LEASE)) == 1


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


def test_a_dead_holders_post_in_flight_is_looked_for_after_the_grace(sessions, make_alert,
                                                                    clock):
    """It may still land in Slack: checked for in the channel once it had time to."""
    alert_id = make_alert("digest:s", status="sending")
    with sessions() as session:
        claim_pending_alerts(session, now=clock(), limit=1, lease=LEASE, worker="dead")
    with sessions.begin() as session:
        release_claims_of(session, "dead", now=clock(), posting_grace=GRACE)
    with sessions() as session:
        assert claim_pending_alerts(session, now=clock() + GRACE / 2, limit=1, lease=LEASE) == []
        assert [a.id for a in claim_pending_alerts(session, now=clock() + GRACE, limit=1,
                                                   lease=LEASE)] == [alert_id]
