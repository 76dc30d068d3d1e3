"""The webhook sink against a real receiver on 127.0.0.1: JSON POSTs, statuses mapped onto the
sink contract, the outbox's retries delivering each alert once under one Idempotency-Key."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from route_builders import TOKEN_ENV, add_feed, found_statement, routed_config, store
from sqlalchemy import select

from alerts.base import AuthError, OutgoingMessage, PermanentError, Sinks, TransientError
from alerts.outbox import BACKOFF_CAP, DeliveryReport, deliver_pending
from alerts.webhook import SIGNATURE_HEADER, WebhookSink
from db.models import Alert

SECRET_PATH = "/hooks/T0-s3cr3t-path-token"
SECRET_ENV = "BEATWIRE_TEST_WEBHOOK_SECRET"


class Receiver:
    """A webhook receiver: records each POST; answers the statuses queued, then 200."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "raw": body, "json": json.loads(body),
                                          "status": status})
                time.sleep(receiver.delay)
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "30")
                if status == 302:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{SECRET_PATH}"

    def accepted(self) -> list[dict]:
        return [r for r in self.requests if 200 <= r["status"] < 300]


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def message(key: str = "statement:1:hook@inst#fp") -> OutgoingMessage:
    return OutgoingMessage(key, "#town-hall", "Denver police refuses", data={
        "kind": "statement", "statement": {"id": 1, "stance": "refuses"},
        "url": "https://news.example/a"})


# What each answer of the receiver becomes: (error class or None, code, maybe delivered).
STATUSES = {
    "200-posted": (200, None, None, None),
    "204-posted": (204, None, None, None),
    "500-maybe-delivered": (500, TransientError, "http_500", True),
    "503-maybe-delivered": (503, TransientError, "http_503", True),
    "429-waits-for-retry-after": (429, TransientError, "rate_limited", False),
    "400-fails-the-alert": (400, PermanentError, "http_400", None),
    "404-fails-the-alert": (404, PermanentError, "http_404", None),
    "redirect-not-followed": (302, PermanentError, "http_302", None),
    "401-pauses": (401, AuthError, "http_401", None),
    "403-pauses": (403, AuthError, "http_403", None),
}


@pytest.mark.parametrize("status, error, code, maybe", list(STATUSES.values()),
                         ids=list(STATUSES))
def test_receiver_status_maps_onto_the_sink_contract(status, error, code, maybe, receiver):
    receiver.statuses = [status]
    sink = WebhookSink("hook", receiver.url, timeout=2)
    if error is None:
        posted = sink.post(message())
        assert posted.channel_id == "#town-hall" and posted.ts
    else:
        with pytest.raises(error) as raised:
            sink.post(message())
        assert str(raised.value) == code
        if error is TransientError:
            assert raised.value.maybe_delivered is maybe
            assert raised.value.retry_after == (30 if status == 429 else None)
    assert len(receiver.requests) == 1  # one request, never a redirect followed


def test_a_timeout_may_have_been_delivered(receiver):
    receiver.delay = 1.5
    with pytest.raises(TransientError) as raised:
        WebhookSink("hook", receiver.url, timeout=0.5).post(message())
    assert raised.value.maybe_delivered is True


def test_a_refused_connection_was_not_delivered(receiver):
    url = receiver.url
    receiver.server.shutdown()
    receiver.server.server_close()
    with pytest.raises(TransientError) as raised:
        WebhookSink("hook", url, timeout=1).post(message())
    assert raised.value.maybe_delivered is False


AUTH = {
    "hmac-signs-the-body": ("hmac", lambda request: request["headers"][SIGNATURE_HEADER] ==
                            "sha256=" + hmac.new(b"hook-secret", request["raw"],
                                                 hashlib.sha256).hexdigest()),
    "bearer-sends-the-secret": ("bearer", lambda request: request["headers"]["Authorization"]
                                == "Bearer hook-secret"),
}


@pytest.mark.parametrize("auth, verified", list(AUTH.values()), ids=list(AUTH))
def test_the_secret_authenticates_each_post(auth, verified, receiver):
    WebhookSink("hook", receiver.url, secret="hook-secret", auth=auth).post(message())
    (request,) = receiver.requests
    assert verified(request)
    assert request["headers"]["Idempotency-Key"] == "statement:1:hook@inst#fp"


def webhook_route(receiver, **fields) -> dict:
    return {"name": "town-hall", "channel": "#town-hall", "sink": "webhook",
            "url": receiver.url, **fields}


def test_an_alert_reaches_the_receiver_once_after_a_500_retried(
        receiver, sessions, clock, pause, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(SECRET_ENV, "hook-secret")
    config = routed_config([webhook_route(receiver, secret_env=SECRET_ENV)])
    result = store(sessions, config, add_feed(sessions, "metro-news"), "metro-news",
                   [found_statement()])
    receiver.statuses = [500]
    sinks = Sinks(config)
    assert deliver_pending(sessions, sinks, now_fn=clock, pause=pause) == DeliveryReport(
        retried=1)
    clock.advance(BACKOFF_CAP.total_seconds())
    assert deliver_pending(sessions, sinks, now_fn=clock, pause=pause) == DeliveryReport(sent=1)
    clock.advance(BACKOFF_CAP.total_seconds())
    assert deliver_pending(sessions, sinks, now_fn=clock, pause=pause) == DeliveryReport()
    # Tried twice under one key: a receiver keeping the keys it has seen takes it once.
    first, second = receiver.requests
    key = first["headers"]["Idempotency-Key"]
    assert second["headers"]["Idempotency-Key"] == key and [first["status"], second["status"]] \
        == [500, 200]
    (statement_id,) = result.new_statement_ids
    assert key.startswith(f"statement:{statement_id}:town-hall@")
    body = second["json"]
    assert body["kind"] == "statement" and body["channel"] == "#town-hall" and body["text"]
    assert body["url"].startswith("https://metro-news.example/story-")
    assert {body["statement"][k] for k in ("id", "state", "stance", "agency_kind")} == {
        statement_id, "CO", "refuses", "police"}
    # Logs name the route, never the url's secret path nor the secret.
    assert "s3cr3t" not in caplog.text and "hook-secret" not in caplog.text
    assert "town-hall" in caplog.text


def test_a_webhook_without_its_secret_waits_while_slack_posts(
        receiver, sessions, fake_slack, clock, pause, monkeypatch, caplog):
    monkeypatch.setenv(TOKEN_ENV, fake_slack.token)
    monkeypatch.delenv(SECRET_ENV, raising=False)
    config = routed_config([webhook_route(receiver, secret_env=SECRET_ENV),
                            {"name": "slack", "channel": "#beatwire-alerts"}],
                           api_url=fake_slack.url)
    store(sessions, config, add_feed(sessions, "metro-news"), "metro-news", [found_statement()])
    report = deliver_pending(sessions, Sinks(config), now_fn=clock, pause=pause)
    assert report == DeliveryReport(sent=1, paused=True)
    assert len(fake_slack.posted) == 1 and receiver.requests == []
    with sessions() as session:
        waiting = session.scalar(select(Alert).where(Alert.sink == "webhook"))
    assert (waiting.status, waiting.last_error) == (
        "pending", f"paused: secret_missing ({SECRET_ENV} is not set)")
    assert f"{SECRET_ENV} is not set" in caplog.text
    monkeypatch.setenv(SECRET_ENV, "hook-secret")  # the daemon restarted with it
    assert deliver_pending(sessions, Sinks(config), now_fn=clock, pause=pause) == \
        DeliveryReport(sent=1)
    assert len(receiver.accepted()) == 1


def test_a_webhook_route_gone_from_the_config_keeps_its_alerts(
        receiver, sessions, clock, pause):
    config = routed_config([webhook_route(receiver)])
    store(sessions, config, add_feed(sessions, "metro-news"), "metro-news", [found_statement()])
    assert deliver_pending(sessions, Sinks(routed_config([])), now_fn=clock, pause=pause) == \
        DeliveryReport()
    with sessions() as session:
        row = session.scalar(select(Alert))
    assert (row.status, row.last_error) == ("pending", "route town-hall is not configured")
    clock.advance(BACKOFF_CAP.total_seconds())
    assert deliver_pending(sessions, Sinks(config), now_fn=clock, pause=pause) == \
        DeliveryReport(sent=1)
    assert len(receiver.accepted()) == 1


# A route with timeout = 0.5 against a receiver answering after `delay` seconds: (first round,
# the row after it, POSTs once the receiver is quick again and the back-off has passed).
ROUTE_TIMEOUTS = {
    "slower-than-the-timeout-is-retried": (
        1.5, DeliveryReport(retried=1), ("sending", "timeout"), 2),
    "faster-than-the-timeout-is-sent": (0.05, DeliveryReport(sent=1), ("sent", None), 1),
}


@pytest.mark.parametrize("delay, report, row, posts", list(ROUTE_TIMEOUTS.values()),
                         ids=list(ROUTE_TIMEOUTS))
def test_the_route_timeout_bounds_each_post(delay, report, row, posts, receiver, sessions,
                                            clock, pause):
    config = routed_config([webhook_route(receiver, timeout=0.5)])
    store(sessions, config, add_feed(sessions, "metro-news"), "metro-news", [found_statement()])
    receiver.delay = delay
    sinks = Sinks(config)
    assert deliver_pending(sessions, sinks, now_fn=clock, pause=pause) == report
    with sessions() as session:
        alert = session.scalar(select(Alert))
    # "sending": the receiver may have taken it, so the retry goes under the same key.
    assert (alert.status, alert.last_error) == row
    receiver.delay = 0
    clock.advance(BACKOFF_CAP.total_seconds())
    deliver_pending(sessions, sinks, now_fn=clock, pause=pause)
    with sessions() as session:
        assert session.scalar(select(Alert)).status == "sent"
    assert len(receiver.requests) == posts
    assert len({r["headers"]["Idempotency-Key"] for r in receiver.requests}) == 1
