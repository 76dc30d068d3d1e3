"""The Slack sink: chat.postMessage through slack_sdk, errors mapped onto the sink contract.

slack_sdk's own retry handlers are off: the outbox owns retries (and their back-off), so a
retry survives a restart and is never hidden inside one call. Every message carries
metadata with its alert key, installation id and statement fingerprint (alerts/keys.py);
`find_posted` reads them back from conversations.history (or .replies for a thread) to
recover a message Slack accepted whose response was lost, and takes only a message whose
three parts all match: never another archive's message with the same alert key.
The token lives only inside the WebClient: it is never logged or put in an error.
"""

from __future__ import annotations

import http.client
import logging
import re
import socket
import time
from datetime import timedelta
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alerts.base import AuthError, OutgoingMessage, PermanentError, Posted, TransientError
from alerts.keys import MessageKey

log = logging.getLogger(__name__)

EVENT_TYPE = "beatwire_alert"
AUTH_CODES = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired",
                        "account_inactive", "no_permission", "org_login_required",
                        "ekm_access_denied", "team_access_not_granted"})
# Codes that say "not now" rather than "never"; the first group may have posted anyway.
MAYBE_DONE_CODES = frozenset({"internal_error", "fatal_error", "request_timeout"})
RETRY_CODES = MAYBE_DONE_CODES | {"ratelimited", "rate_limited", "service_unavailable"}
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


class SlackSink:
    """Posts to Slack's Web API (or any API at `api_url`, like the test fake)."""

    name = "slack"

    def __init__(self, token: str, *, api_url: str, timeout: float = 15, history_pages: int = 5,
                 history_window: timedelta = timedelta(days=3)):
        self._client = WebClient(token=token, base_url=api_url, timeout=timeout, retry_handlers=[])
        self._history_pages = history_pages
        self._history_window = history_window
        self._channel_ids: dict[str, str] = {}

    @classmethod
    def from_config(cls, config) -> SlackSink:
        """A sink for `[slack]`; the token comes from the environment variable it names."""
        token = config.token()
        if not token:
            raise AuthError("not_authed")
        return cls(token, api_url=config.api_url, timeout=config.timeout)

    def post(self, message: OutgoingMessage) -> Posted:
        """chat.postMessage with the message key in its metadata; links are not unfurled."""
        payload = MessageKey.parse(message.alert_key).payload()
        response = self._call(
            "chat_postMessage", channel=message.channel, text=message.text, blocks=message.blocks,
            thread_ts=message.thread_ts, unfurl_links=False, unfurl_media=False,
            metadata={"event_type": EVENT_TYPE, "event_payload": payload},
        )
        self._channel_ids[message.channel] = response["channel"]
        return Posted(response["channel"], response["ts"])

    def find_posted(self, alert_key: str, channel: str,
                    thread_ts: str | None = None) -> Posted | None:
        """The message carrying `alert_key` (all of its parts: alert, installation, statement),
        looked for in recent history (bounded pages)."""
        wanted = MessageKey.parse(alert_key)
        channel_id = self._resolve(channel)
        for message in self._recent(channel_id, thread_ts):
            if _message_key(message) == wanted:
                return Posted(channel_id, message["ts"])
        return None

    def check(self) -> dict:
        """auth.test: who the token is (raises AuthError when it is refused)."""
        return dict(self._call("auth_test").data)

    def _recent(self, channel_id: str, thread_ts: str | None):
        oldest = f"{time.time() - self._history_window.total_seconds():.6f}"
        method, args = ("conversations_history", {}) if thread_ts is None else (
            "conversations_replies", {"ts": thread_ts})
        cursor = None
        for _ in range(self._history_pages):
            page = self._call(method, channel=channel_id, oldest=oldest, limit=200, cursor=cursor,
                              include_all_metadata=True, **args)
            yield from page.get("messages") or []
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def _resolve(self, channel: str) -> str:
        """A channel id for `channel` (history needs ids; config may hold '#name')."""
        if CHANNEL_ID.match(channel):
            return channel
        if channel not in self._channel_ids:
            self._channel_ids.update(self._list_channels())
        if channel not in self._channel_ids:
            raise PermanentError("channel_not_found")
        return self._channel_ids[channel]

    def _list_channels(self) -> dict[str, str]:
        found, cursor = {}, None
        for _ in range(self._history_pages):
            page = self._call("conversations_list", types="public_channel,private_channel",
                              exclude_archived=True, limit=200, cursor=cursor)
            for item in page.get("channels") or []:
                found[item["name"]] = found["#" + item["name"]] = item["id"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return found

    def _call(self, method: str, **kwargs):
        """One Web API call; every failure becomes a sink error without the original's
        context (it holds request headers, i.e. the token)."""
        try:
            return getattr(self._client, method)(**kwargs)
        except SlackApiError as exc:
            error = _from_api_error(exc)
        except (TimeoutError, socket.timeout):
            error = TransientError("timeout", maybe_delivered=True)
        except URLError as exc:
            error = _from_url_error(exc)
        except (http.client.HTTPException, ConnectionError, OSError) as exc:
            error = TransientError(f"connection lost: {type(exc).__name__}", maybe_delivered=True)
        raise error


def _from_api_error(exc: SlackApiError) -> Exception:
    response = exc.response
    status = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or f"http_{status}")
    if status == 429 or code in ("ratelimited", "rate_limited"):
        return TransientError("rate_limited", _retry_after(response.headers))
    if status >= 500:
        return TransientError(f"http_{status}", maybe_delivered=True)
    if code in AUTH_CODES:
        return AuthError(code)
    if code in RETRY_CODES:
        return TransientError(code, maybe_delivered=code in MAYBE_DONE_CODES)
    return PermanentError(code)


def _from_url_error(exc: URLError) -> TransientError:
    reason = exc.reason
    if isinstance(reason, ConnectionRefusedError):
        return TransientError("connection refused")
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return TransientError("connect timeout")
    if isinstance(reason, socket.gaierror):
        return TransientError("name resolution failed")
    return TransientError(f"connection error: {type(reason).__name__}", maybe_delivered=True)


def _retry_after(headers) -> float | None:
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


def _message_key(message: dict) -> MessageKey | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != EVENT_TYPE:
        return None
    return MessageKey.from_payload(metadata.get("event_payload"))
