"""A fake Slack Web API: a real HTTP server on 127.0.0.1 that slack_sdk reaches via `api_url`.

Implements the methods Beatwire calls (auth.test, chat.postMessage, chat.update,
chat.getPermalink, conversations.history, conversations.replies, conversations.list), records
every call,
checks Block Kit limits like Slack does, and injects faults on demand, each for the next
N calls: HTTP errors, 429 with Retry-After, Slack error codes, slow answers, "accept then
drop" (the message is posted but the connection closes without a response) and "accept then
fail" (the message is posted, the answer is a 5xx).
`stop()` / `start()` close and reopen the listener on the same port (connection refused).

Interactivity: `click()` builds the block_actions payload Slack sends when a user clicks a
button (or picks an option) of a posted message, and `signed()` signs a payload as Slack does
(v0: HMAC-SHA256 of `v0:{timestamp}:{body}` with the app's signing secret), written here
from Slack's documentation rather than with slack_sdk, so the app's verification is checked
against the algorithm itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

DEFAULT_CHANNELS = {"C0ALERTS": "beatwire-alerts", "C0GENERAL": "general", "C0OLD": "old-news"}
BLOCK_LIMITS = {"blocks": 50, "header": 150, "section": 3000, "context_elements": 10}
MAX_TEXT = 40_000


@dataclass
class Fault:
    """One programmed fault, applied to the next `times` calls (of `method`, if given)."""

    kind: str  # status | error | slow | drop | accept_fail
    times: int = 1
    method: str | None = None
    status: int = 500
    retry_after: float | None = None
    error: str = ""
    delay: float = 0.0


@dataclass
class Call:
    """One request the fake received."""

    method: str
    args: dict
    authorized: bool
    fault: str | None = None


@dataclass
class Message:
    """A message the fake accepted."""

    channel: str
    ts: str
    text: str
    blocks: list | None
    thread_ts: str | None
    metadata: dict | None
    args: dict = field(repr=False, default_factory=dict)


class FakeSlack:
    """State and behaviour of the fake; the HTTP handler only parses and dispatches."""

    def __init__(self, token: str | None = None, channels: dict[str, str] | None = None):
        self.token = token or f"xoxb-fake-{secrets.token_hex(12)}"
        self.channels = dict(channels or DEFAULT_CHANNELS)
        self.archived: set[str] = {"C0OLD"}
        self.calls: list[Call] = []
        self.posted: list[Message] = []
        self.updates: list[dict] = []  # every chat.update carried out: channel, ts, text, blocks
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._last_us = 0
        self._httpd: ThreadingHTTPServer | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def start(self) -> FakeSlack:
        """Listen on 127.0.0.1 (the same port again after a stop)."""
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the listener: clients now get connection refused."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def reset(self) -> None:
        """Forget calls, messages and faults."""
        with self._lock:
            self.calls.clear()
            self.posted.clear()
            self.updates.clear()
            self.faults.clear()

    # -- fault programming -------------------------------------------------------------

    def fail_http(self, status: int = 500, *, times: int = 1, method: str | None = None) -> None:
        self.faults.append(Fault("status", times, method, status=status))

    def rate_limit(self, retry_after: float = 1, *, times: int = 1,
                   method: str | None = None) -> None:
        self.faults.append(Fault("status", times, method, status=429, retry_after=retry_after))

    def fail_with(self, error: str, *, times: int = 1, method: str | None = None) -> None:
        self.faults.append(Fault("error", times, method, error=error))

    def slow(self, delay: float, *, times: int = 1, method: str | None = None) -> None:
        """Answer late (the call is still carried out, as Slack would)."""
        self.faults.append(Fault("slow", times, method, delay=delay))

    def accept_then_drop(self, *, times: int = 1, method: str = "chat.postMessage") -> None:
        """Carry out the call, then close the connection without answering."""
        self.faults.append(Fault("drop", times, method))

    def accept_then_fail(self, status: int = 500, *, times: int = 1,
                         method: str = "chat.postMessage") -> None:
        """Carry out the call, then answer with an HTTP error (Slack may do this on a 5xx)."""
        self.faults.append(Fault("accept_fail", times, method, status=status))

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method in (None, method):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # -- queries for tests -------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def wait_posted(self, count: int, timeout: float = 5.0) -> list[Message]:
        """Wait until `count` messages are posted (a slow fault answers after the client left)."""
        deadline = time.monotonic() + timeout
        while len(self.posted) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.posted

    def posted_keys(self) -> list[str]:
        """The alert keys carried in posted messages' metadata, in posting order."""
        return [_alert_key(m.metadata) for m in self.posted]

    # -- the API -----------------------------------------------------------------------

    def handle(self, method: str, args: dict, authorized: bool) -> tuple[int, dict, dict]:
        """(HTTP status, headers, JSON body) for one call; faults are applied by the handler."""
        if method not in METHODS:
            return 404, {}, {"ok": False, "error": "unknown_method"}
        if not authorized:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        return 200, {}, METHODS[method](self, args)

    def _channel_id(self, channel: str | None) -> str | None:
        if channel in self.channels:
            return channel
        name = (channel or "").lstrip("#")
        return next((cid for cid, cname in self.channels.items() if cname == name), None)

    def _next_ts(self) -> str:
        with self._lock:
            self._last_us = max(time.time_ns() // 1000, self._last_us + 1)
            return f"{self._last_us // 1_000_000}.{self._last_us % 1_000_000:06d}"

    def auth_test(self, args: dict) -> dict:
        return {"ok": True, "url": "https://fake.slack.test/", "team": "Beatwire Test",
                "user": "beatwire", "team_id": "T0TEST", "user_id": "U0BOT", "bot_id": "B0BOT"}

    def post_message(self, args: dict) -> dict:
        channel_id = args.get("channel") and self._channel_id(args["channel"])
        if channel_id is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel_id in self.archived:
            return {"ok": False, "error": "is_archived"}
        problem = check_message(args)
        if problem:
            return {"ok": False, "error": problem}
        message = Message(channel_id, self._next_ts(), args.get("text") or "",
                          _as_json(args.get("blocks")), args.get("thread_ts"),
                          _as_json(args.get("metadata")), args)
        self.posted.append(message)
        return {"ok": True, "channel": channel_id, "ts": message.ts,
                "message": _message_json(message, with_metadata=True)}

    def update_message(self, args: dict) -> dict:
        """chat.update: replace a posted message's text and blocks (same channel and ts)."""
        channel_id = self._channel_id(args.get("channel"))
        found = next((m for m in self.posted if m.channel == channel_id
                      and m.ts == args.get("ts")), None)
        if found is None:
            return {"ok": False, "error": "message_not_found"}
        problem = check_message(args)
        if problem:
            return {"ok": False, "error": problem}
        found.text, found.blocks = args.get("text") or "", _as_json(args.get("blocks"))
        self.updates.append({"channel": found.channel, "ts": found.ts, "text": found.text,
                             "blocks": found.blocks})
        return {"ok": True, "channel": found.channel, "ts": found.ts, "text": found.text}

    def click(self, message: Message, action_id: str, *, option: str | None = None,
              user: tuple[str, str] = ("U0ANA", "ana.reviewer")) -> dict:
        """The block_actions payload for `user` (id, name) clicking `action_id` on `message`
        (`option`: the value picked, for a select)."""
        element = next(e for b in message.blocks or [] if b.get("type") == "actions"
                       for e in b["elements"] if e["action_id"] == action_id)
        action = {"action_id": action_id, "block_id": "beatwire_review", "type": element["type"],
                  "action_ts": self._next_ts()}
        if element["type"] == "static_select":
            picked = next(o for o in element["options"] if o["value"] == option)
            action["selected_option"] = picked
        else:
            action |= {"value": element["value"], "text": element["text"]}
        user_id, name = user
        return {"type": "block_actions", "team": {"id": "T0TEST", "domain": "fake"},
                "user": {"id": user_id, "username": name, "name": name, "team_id": "T0TEST"},
                "api_app_id": "A0BEAT", "token": "deprecated-verification-token",
                "container": {"type": "message", "message_ts": message.ts,
                              "channel_id": message.channel, "is_ephemeral": False},
                "trigger_id": "1.2.3", "channel": {"id": message.channel,
                                                  "name": self.channels.get(message.channel)},
                "message": _message_json(message, with_metadata=False),
                "response_url": f"{self.url}response/{message.ts}", "actions": [action]}

    def get_permalink(self, args: dict) -> dict:
        channel_id = self._channel_id(args.get("channel"))
        ts = args.get("message_ts", "")
        if not any(m.channel == channel_id and m.ts == ts for m in self.posted):
            return {"ok": False, "error": "message_not_found"}
        permalink = f"https://fake.slack.test/archives/{channel_id}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel_id, "permalink": permalink}

    def history(self, args: dict) -> dict:
        channel_id = args.get("channel")
        if channel_id not in self.channels:  # like Slack: IDs only, names are not found
            return {"ok": False, "error": "channel_not_found"}
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or "inf")
        found = [m for m in reversed(self.posted) if m.channel == channel_id
                 and m.thread_ts in (None, m.ts) and oldest < float(m.ts) <= latest]
        return _page(found, args)

    def replies(self, args: dict) -> dict:
        channel_id, ts = args.get("channel"), args.get("ts")
        if channel_id not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        thread = [m for m in self.posted
                  if m.channel == channel_id and ts in (m.ts, m.thread_ts)]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        return _page(thread, args)

    def list_channels(self, args: dict) -> dict:
        channels = [{"id": cid, "name": name, "is_archived": cid in self.archived}
                    for cid, name in self.channels.items()]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}


METHODS = {
    "auth.test": FakeSlack.auth_test,
    "chat.postMessage": FakeSlack.post_message,
    "chat.update": FakeSlack.update_message,
    "chat.getPermalink": FakeSlack.get_permalink,
    "conversations.history": FakeSlack.history,
    "conversations.replies": FakeSlack.replies,
    "conversations.list": FakeSlack.list_channels,
}


def signed(secret: str, payload: dict, timestamp: int | None = None) -> tuple[bytes, dict]:
    """The form-encoded body and headers of Slack's request carrying `payload`, signed with
    `secret` at `timestamp` (default now)."""
    body = urlencode({"payload": json.dumps(payload)}).encode()
    when = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + when.encode() + b":" + body, hashlib.sha256)
    return body, {"content-type": "application/x-www-form-urlencoded",
                  "x-slack-request-timestamp": when, "x-slack-signature": f"v0={digest.hexdigest()}"}


def check_message(args: dict) -> str | None:
    """The Slack error code a real workspace would give this message's size, or None."""
    if len(args.get("text") or "") > MAX_TEXT:
        return "msg_too_long"
    blocks = _as_json(args.get("blocks"))
    if blocks is not None and not _blocks_ok(blocks):
        return "invalid_blocks"
    return None


def _blocks_ok(blocks: list) -> bool:
    if not isinstance(blocks, list) or len(blocks) > BLOCK_LIMITS["blocks"]:
        return False
    return all(_block_ok(block) for block in blocks)


def _block_ok(block: dict) -> bool:
    kind = block.get("type")
    if kind == "header":
        text = block.get("text", {})
        return text.get("type") == "plain_text" and 0 < len(text.get("text", "")) <= 150
    if kind == "section":
        text = block.get("text", {}).get("text", "")
        fields = block.get("fields", [])
        return (0 < len(text) <= 3000 or fields) and len(fields) <= 10 and all(
            0 < len(f.get("text", "")) <= 2000 for f in fields)
    if kind == "context":
        elements = block.get("elements", [])
        return 0 < len(elements) <= 10 and all(0 < len(e.get("text", "")) <= 3000 for e in elements)
    return kind in ("divider", "actions")


def _alert_key(metadata: dict | None) -> str | None:
    return ((metadata or {}).get("event_payload") or {}).get("alert_key")


def _as_json(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _message_json(message: Message, *, with_metadata: bool) -> dict:
    data = {"type": "message", "user": "U0BOT", "bot_id": "B0BOT", "ts": message.ts,
            "text": message.text, "blocks": message.blocks}
    if message.thread_ts:
        data["thread_ts"] = message.thread_ts
    if with_metadata and message.metadata:
        data["metadata"] = message.metadata
    return data


def _page(messages: list[Message], args: dict) -> dict:
    start = int(args.get("cursor") or 0)
    limit = min(int(args.get("limit") or 100), 999)
    chunk = messages[start:start + limit]
    more = start + limit < len(messages)
    with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
    return {"ok": True, "messages": [_message_json(m, with_metadata=with_metadata) for m in chunk],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""}}


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        slack = fake

    return Handler


class _Handler(BaseHTTPRequestHandler):
    slack: FakeSlack
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        path = urlsplit(self.path)
        method = path.path.rsplit("/", 1)[-1]
        args = dict(parse_qsl(path.query)) | self._body()
        authorized = self.headers.get("Authorization") == f"Bearer {self.slack.token}"
        fault = self.slack._take_fault(method)
        call = Call(method, args, authorized, fault.kind if fault else None)
        self.slack.calls.append(call)
        if fault and fault.kind in ("status", "error"):
            return self._fault_reply(fault)
        if fault and fault.kind == "slow":
            time.sleep(fault.delay)
        status, headers, body = self.slack.handle(method, args, authorized)
        if fault and fault.kind == "drop":
            self.close_connection = True
            return
        if fault and fault.kind == "accept_fail":
            return self._fault_reply(fault)
        self._reply(status, headers, body)

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        if "json" in (self.headers.get("Content-Type") or ""):
            return json.loads(raw)
        return dict(parse_qsl(raw.decode("utf-8")))

    def _fault_reply(self, fault: Fault) -> None:
        if fault.kind == "error":
            return self._reply(200, {}, {"ok": False, "error": fault.error})
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        body = {"ok": False, "error": "ratelimited"} if fault.status == 429 else None
        self._reply(fault.status, headers, body)

    def _reply(self, status: int, headers: dict, body: dict | None) -> None:
        data = json.dumps(body).encode() if body is not None else b"<html>Internal Error</html>"
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8" if body is not None
                         else "text/html")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def fake_slack():
    """A fresh fake Slack Web API on 127.0.0.1 for one test (`.url`, `.token`, `.channels`)."""
    server = FakeSlack().start()
    yield server
    server.stop()
