"""Delivering the outbox: claim pending alerts, post each once, record Slack's ts.

One alert's life, each step committed before the next begins, so a kill -9 anywhere
leaves a state the next round handles:

    pending --claim (lease)--> "sending" committed, attempts+1 --post--> sent (ts recorded)

A row found in `sending` (a crash or a lost response after the post may have reached
Slack) is first looked up with `sink.find_posted`; only if it is not there is it posted
again. The sink is given the row's key qualified by this archive's installation id and the
statement's fingerprint (alerts/keys.py), so the lookup finds only our own message, never
another archive's with the same row id. Every write after the claim is fenced on our claim
(`claimed_by`; a heartbeat renewing `claimed_until` leaves it alone), so a second worker
that re-claimed an expired lease, or took over ours, wins and we step back.

Failures: TransientError -> back to pending (or kept `sending` when the post may have
landed) with back-off, never dropped; PermanentError -> failed, one log line, the rest go
on; AuthError -> the row is put back as it was, the round stops and reports `paused`.
Every row a pause puts back (the one tried and the claimed ones not tried) records why in
`last_error` ("paused: token_missing (SLACK_BOT_TOKEN is not set)"; never a secret), so
`alerts list` and `/healthz` can say why they wait.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from alerts.base import AuthError, OutgoingMessage, PermanentError, Posted, Sink, TransientError
from alerts.blocks import render
from alerts.keys import message_key
from alerts.webhook import message_data
from db.claims import claim_pending_alerts
from db.installation import installation_id
from db.models import Alert, utcnow

log = logging.getLogger(__name__)

# Every status an outbox row can have; `skipped`: archived by a backfill, never posted.
STATUSES = ("pending", "sending", "sent", "failed", "skipped")
BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_CAP = timedelta(minutes=15)
PARENT_WAIT = timedelta(seconds=30)


@dataclass(frozen=True)
class DeliveryReport:
    """What one round did."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    paused: bool = False


class PauseState:
    """Remembers each sink's auth pause so it is logged once when it starts and once when it
    ends (one sink paused leaves the others posting)."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    def pause(self, sink: Sink, error: AuthError) -> None:
        # A missing token was already said, in one line, when the sink was made.
        if sink.name not in self.codes and not error.announced:
            what = "the token is" if sink.name == "slack" else "the credentials are"
            log.error("%s delivery paused: sink=%s code=%s; %s refused. Set valid "
                      "credentials in the environment and restart; alerts wait in the outbox",
                      _service(sink), sink.name, error.code, what)
        self.codes[sink.name] = error.code

    def resume(self, sink: Sink) -> None:
        if self.codes.pop(sink.name, None) is not None:
            log.warning("%s delivery resumed: sink=%s", _service(sink), sink.name)


def _service(sink: Sink) -> str:
    return "slack" if sink.name == "slack" else "alert"


PAUSE = PauseState()


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Exponential back-off after `attempts` tries, capped, but never sooner than Retry-After."""
    delay = min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)
    return max(delay, timedelta(seconds=retry_after or 0))


def deliver_pending(sessions: sessionmaker, sink: Sink, *, now_fn=utcnow, limit: int = 50,
                    lease: timedelta = timedelta(minutes=2),
                    pause: PauseState = PAUSE, worker: str | None = None,
                    holding: set[int] | None = None) -> DeliveryReport:
    """Claim up to `limit` due alerts for `worker` and deliver each through `sink`.

    `holding`, if given, holds the ids claimed and not yet done (the worker's heartbeat
    renews their leases while the round goes on).
    """
    holding = set() if holding is None else holding
    route = getattr(sink, "for_alert", None) or (lambda alert: sink)
    with sessions() as session:
        installation = installation_id(session)
        claims = [(a.id, a.claimed_by, route(a)) for a in claim_pending_alerts(
            session, now=now_fn(), limit=limit, lease=lease, worker=worker)]
    holding.update(alert_id for alert_id, _, _ in claims)
    tally: Counter[str] = Counter()
    paused: dict[int, str] = {}  # id(sink) -> why its rows wait
    senders: dict[int, Sink] = {}
    for alert_id, token, target in claims:
        try:
            if target is not None and id(target) in paused:
                # Its sink paused this round: give the row back as it is, saying why.
                _release(sessions, [(alert_id, token)], paused[id(target)])
                continue
            with sessions() as session:
                delivery = _Delivery(session, target, token, now_fn, lease, installation)
                outcome = delivery.run(alert_id)
        finally:
            holding.discard(alert_id)
        tally[outcome] += 1
        if outcome == "paused":
            pause.pause(target, delivery.auth_error)
            paused[id(target)] = paused_because(delivery.auth_error)
        elif outcome == "sent":
            senders[id(target)] = target
    for target in senders.values():
        pause.resume(target)
    return DeliveryReport(tally["sent"], tally["failed"], tally["retried"], bool(tally["paused"]))


class _Delivery:
    """One claimed alert taken to its next state; every write fenced on our lease."""

    def __init__(self, session: Session, sink: Sink, token: str, now_fn, lease: timedelta,
                 installation: str):
        self.session, self.sink, self.token = session, sink, token
        self.now_fn, self.lease, self.installation = now_fn, lease, installation
        self.alert: Alert | None = None
        self.auth_error: AuthError | None = None

    def run(self, alert_id: int) -> str:
        self.alert = self.session.get(Alert, alert_id, populate_existing=True)
        if self.alert is None or self.alert.claimed_by != self.token:
            return "skipped"  # deleted, or our lease ran out and another worker has it
        before = {"status": self.alert.status, "attempts": self.alert.attempts}
        try:
            return self.attempt()
        except AuthError as exc:
            # Refused credentials post nothing: put the row back as it was, saying why.
            self.auth_error = exc
            self.fenced(claimed_until=None, last_error=paused_because(exc), **before)
            return "paused"

    def attempt(self) -> str:
        if self.sink is None:
            # Its webhook route left the config: kept, never dropped, until it is back.
            return self.reschedule(self.now_fn() + BACKOFF_CAP,
                                   f"route {self.alert.route} is not configured")
        problem = _parent_problem(self.alert)
        if problem == "wait":
            return self.reschedule(self.now_fn() + PARENT_WAIT, "parent not posted yet")
        if problem:
            return self.fail(problem)
        try:
            message = _message(self.alert, self.installation)
        except Exception as exc:  # a row that cannot render now will not render later
            return self.fail(f"render_error: {type(exc).__name__}")
        try:
            return self.post_once(message)
        except PermanentError as exc:
            return self.fail(exc.code)

    def post_once(self, message: OutgoingMessage) -> str:
        alert = self.alert
        if alert.status == "sending":
            try:
                found = self.sink.find_posted(message.alert_key, alert.channel,
                                              message.thread_ts)
            except TransientError as exc:
                return self.retry_later(exc, "sending")
            if found is not None:
                log.info("alert found already posted, not posting again: alert=%s channel=%s",
                         alert.key, alert.channel)
                return self.mark_sent(found)
        # Committed before posting: from here a crash means "maybe posted", checked next time.
        if not self.fenced(status="sending", attempts=alert.attempts + 1,
                           claimed_until=self.now_fn() + self.lease):
            return "skipped"
        try:
            posted = self.sink.post(message)
        except TransientError as exc:
            return self.retry_later(exc, "sending" if exc.maybe_delivered else "pending")
        return self.mark_sent(posted)

    def mark_sent(self, posted: Posted) -> str:
        # Not fenced: the message is in Slack, a fact to record whoever holds the row now.
        self.session.execute(update(Alert).where(Alert.id == self.alert.id).values(
            status="sent", slack_ts=posted.ts, slack_channel_id=posted.channel_id,
            sent_at=self.now_fn(), claimed_until=None, last_error=None))
        self.session.commit()
        log.info("alert sent: alert=%s statement_id=%s channel=%s ts=%s", self.alert.key,
                 self.alert.statement_id, self.alert.channel, posted.ts)
        return "sent"

    def fail(self, code: str) -> str:
        self.fenced(status="failed", last_error=code, claimed_until=None)
        log.error("alert failed: alert=%s statement_id=%s channel=%s code=%s", self.alert.key,
                  self.alert.statement_id, self.alert.channel, code)
        return "failed"

    def retry_later(self, exc: TransientError, status: str) -> str:
        """Back to the queue with back-off; "sending" when the post may have landed."""
        when = self.now_fn() + backoff(self.alert.attempts, exc.retry_after)
        self.fenced(status=status, next_attempt_at=when, claimed_until=None, last_error=exc.reason)
        log.warning("alert delayed: alert=%s channel=%s reason=%s attempts=%d retry_at=%s",
                    self.alert.key, self.alert.channel, exc.reason, self.alert.attempts,
                    when.isoformat())
        return "retried"

    def reschedule(self, when: datetime, reason: str) -> str:
        unrouted = self.sink is None  # say why on the row: `alerts list` shows it
        self.fenced(next_attempt_at=when, claimed_until=None,
                    **({"last_error": reason} if unrouted else {}))
        log.info("alert waiting: alert=%s reason=%s", self.alert.key, reason)
        return "waiting"

    def fenced(self, **values) -> bool:
        """Update the alert only while the claim is ours, and commit.
        (An ORM update: the loaded row is synchronised with the values written.)"""
        result = self.session.execute(update(Alert).where(
            Alert.id == self.alert.id, Alert.claimed_by == self.token).values(**values))
        self.session.commit()
        return result.rowcount == 1


def _parent_problem(alert: Alert) -> str | None:
    if alert.kind != "also_reported":
        return None
    parent = alert.parent
    if parent is None:
        return "no_parent_alert"
    if parent.status in ("failed", "skipped"):  # a skipped parent never gets a ts
        return f"parent_{parent.status}"
    return None if parent.slack_ts else "wait"


def _message(alert: Alert, installation: str) -> OutgoingMessage:
    rendered = render(alert, installation)  # its review buttons name this archive
    thread_ts = alert.parent.slack_ts if alert.kind == "also_reported" else None
    return OutgoingMessage(str(message_key(alert, installation)), alert.channel, rendered.text,
                           rendered.blocks, thread_ts, message_data(alert))


def paused_because(error: AuthError) -> str:
    """What a row waiting on a pause records as its last error."""
    return f"paused: {error.code}"


def _release(sessions: sessionmaker, claims: list, reason: str) -> None:
    """Give back leases we will not use this round (after an auth pause), saying why."""
    with sessions() as session:
        for alert_id, token in claims:
            session.execute(update(Alert).where(Alert.id == alert_id, Alert.claimed_by == token)
                            .values(claimed_until=None, last_error=reason))
        session.commit()
