"""The webhook sink: each alert one JSON POST, for Teams, Mattermost and any other receiver.

The body is `{"text", "kind", "key", "channel", "statement": {...} | null, "url", "digest"}`:
`text` is the Slack fallback line (Teams and Mattermost show it), the rest is for receivers
that read fields. Retries are the outbox's, as for Slack: 5xx and timeouts may have been
accepted (TransientError, maybe_delivered), 429 waits for Retry-After, 401/403 pause this
route (AuthError), any other 4xx fails the alert (PermanentError); redirects are not followed
(a POST turned GET, or a secret sent elsewhere, is worse than a clear failure).

A webhook receiver cannot be searched for a message whose response was lost, so `find_posted`
finds nothing and the outbox posts again: every POST carries the alert's full key (alert,
installation, statement fingerprint) in an `Idempotency-Key` header, the same on every retry,
and a receiver that keeps the keys it has seen drops the repeat. That is the only dedup there
is for webhooks. The url (which often holds a token) and the secret are never logged or put
in an error: logs name the route.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import socket
import time
import urllib.request
from urllib.error import HTTPError, URLError

from alerts.base import (
    AuthError,
    OutgoingMessage,
    PermanentError,
    Posted,
    TransientError,
    Unconfigured,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Beatwire-Signature"
USER_AGENT = "Beatwire webhook"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx surfaces as an HTTPError: a PermanentError


class WebhookSink:
    """POSTs each message as JSON to one route's url."""

    def __init__(self, route: str, url: str, *, secret: str | None = None, auth: str = "hmac",
                 timeout: float = 15):
        self.name = f"webhook:{route}"
        self._url, self._secret, self._auth, self._timeout = url, secret, auth, timeout
        self._opener = urllib.request.build_opener(_NoRedirects)

    @classmethod
    def from_route(cls, route):
        """The sink for a webhook route; missing_secret when its secret_env is not set."""
        if route.secret_env and not route.secret():
            log.error("webhook secret missing: route=%s environment variable %s is not set; "
                      "its alerts wait in the outbox until the daemon runs with it",
                      route.name, route.secret_env)
            return missing_secret(route.name, route.secret_env)
        return cls(route.name, route.url, secret=route.secret(), auth=route.auth,
                   timeout=route.timeout)

    def post(self, message: OutgoingMessage) -> Posted:
        """POST the message; its channel and the time stand in for Slack's ts."""
        body = json.dumps(body_of(message), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self._url, data=body, method="POST",
                                         headers=self._headers(message.alert_key, body))
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                response.read()
        except HTTPError as exc:
            raise _from_status(exc.code, exc.headers) from None
        except (TimeoutError, socket.timeout):
            raise TransientError("timeout", maybe_delivered=True) from None
        except URLError as exc:
            raise _from_url_error(exc) from None
        except (http.client.HTTPException, ConnectionError, OSError) as exc:
            raise TransientError(f"connection lost: {type(exc).__name__}",
                                 maybe_delivered=True) from None
        return Posted(message.channel, f"{time.time():.6f}")

    def find_posted(self, alert_key: str, channel: str,
                    thread_ts: str | None = None) -> Posted | None:
        """A receiver keeps no history we can read: the repeat is deduped by Idempotency-Key."""
        return None

    def _headers(self, key: str, body: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key,
                   "User-Agent": USER_AGENT}
        if self._secret and self._auth == "bearer":
            headers["Authorization"] = f"Bearer {self._secret}"
        elif self._secret:
            digest = hmac.new(self._secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={digest}"
        return headers


def missing_secret(route: str, secret_env: str) -> Unconfigured:
    """A webhook route whose secret is not in the environment."""
    return Unconfigured(f"webhook:{route}", f"secret_missing ({secret_env} is not set)")
def body_of(message: OutgoingMessage) -> dict:
    """The JSON document POSTed for `message`."""
    data = message.data or {}
    return {"text": message.text, "kind": data.get("kind"), "key": message.alert_key,
            "channel": message.channel, "statement": data.get("statement"),
            "url": data.get("url"), "digest": data.get("digest")}


def message_data(alert) -> dict:
    """The fields of an outbox row a webhook body carries (scraped text cleaned of control
    and bidi characters; receivers still escape it for their own markup)."""
    from alerts.blocks import clean

    statement = alert.statement
    article = statement.article if statement is not None else None
    fields = None
    if statement is not None:
        agency = statement.agency
        text = {"quote": statement.quote, "speaker": statement.speaker,
                "speaker_title": statement.speaker_title,
                "agency": (agency.name if agency else None) or statement.agency_as_written}
        fields = {name: clean(value) if value else None for name, value in text.items()}
        fields.update({
            "id": statement.id, "state": agency.state if agency else None,
            "agency_kind": agency.kind if agency else None, "stance": statement.stance,
            "previous_stance": statement.previous_stance,
            "published": article.published.isoformat() if article and article.published
            else None})
    return {"kind": alert.kind, "statement": fields, "url": article.url if article else None,
            "digest": alert.payload if alert.kind == "digest" else None}


def _from_status(status: int, headers) -> Exception:
    if status in (401, 403):
        return AuthError(f"http_{status}")
    if status == 429:
        return TransientError("rate_limited", _retry_after(headers))
    if status >= 500 or status == 408:
        return TransientError(f"http_{status}", maybe_delivered=True)
    return PermanentError(f"http_{status}")


def _from_url_error(exc: URLError) -> TransientError:
    reason = exc.reason
    if isinstance(reason, ConnectionRefusedError):
        return TransientError("connection refused")
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return TransientError("timeout", maybe_delivered=True)
    if isinstance(reason, socket.gaierror):
        return TransientError("name resolution failed")
    return TransientError(f"connection error: {type(reason).__name__}", maybe_delivered=True)


def _retry_after(headers) -> float | None:
    try:
        return max(0.0, float((headers or {}).get("Retry-After")))
    except (TypeError, ValueError):
        return None
