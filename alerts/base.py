"""The sink contract: where alert messages go, and the errors a sink may raise.

A sink posts one `OutgoingMessage` and answers with a `Posted` (channel id, ts). It raises
`TransientError` (try again later; the outbox backs off), `PermanentError` (this alert
fails, the others go on) or `AuthError` (the credentials are bad: delivery pauses).
Implementations live one per module (`slack.py`, `console.py`) and are named in `SINKS`.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from config import SlackConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to post: a plain fallback `text`, Block Kit `blocks`, maybe in a thread."""

    alert_key: str
    channel: str
    text: str
    blocks: list | None = None
    thread_ts: str | None = None


@dataclass(frozen=True)
class Posted:
    """Where a message landed: the channel's id and the message's ts."""

    channel_id: str
    ts: str


class SinkError(Exception):
    """Base of the errors a sink raises; messages never carry secrets."""


class TransientError(SinkError):
    """Try again later. `maybe_delivered` is set when the message may have been accepted
    (timeout, connection dropped, 5xx), so the next attempt must look for it first."""

    def __init__(self, reason: str, retry_after: float | None = None, *,
                 maybe_delivered: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.maybe_delivered = maybe_delivered


class PermanentError(SinkError):
    """This message can never be delivered as it is (channel_not_found, msg_too_long, ...)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class AuthError(SinkError):
    """The credentials are refused (invalid_auth, token_revoked, ...): pause all delivery.
    `announced`: the sink has already logged why, so the pause adds no second line."""

    def __init__(self, code: str, *, announced: bool = False):
        super().__init__(code)
        self.code = code
        self.announced = announced


class Sink(Protocol):
    """Where alerts are posted."""

    name: str

    def post(self, message: OutgoingMessage) -> Posted:
        """Post `message`; raise TransientError, PermanentError or AuthError on failure."""

    def find_posted(self, alert_key: str, channel: str,
                    thread_ts: str | None = None) -> Posted | None:
        """The message already posted for `alert_key` (in the thread `thread_ts`), if any."""


# Sink name -> "module:Class"; each class builds itself with `from_config(slack_config)`.
SINKS: dict[str, str] = {
    "slack": "alerts.slack:SlackSink",
    "console": "alerts.console:ConsoleSink",
}


def load_sink_class(name: str) -> type:
    """The sink class registered as `name`."""
    module_name, _, class_name = SINKS[name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def make_sink(slack_config: SlackConfig) -> Sink:
    """The sink the config names: Slack (the default), or the console only when
    ``slack.sink = "console"``. Slack without its token pauses delivery, saying why once:
    alerts wait in the outbox and are posted once the daemon runs with the token."""
    if slack_config.sink == "console":
        return load_sink_class("console").from_config(slack_config)
    if not slack_config.token():
        log.error("slack token missing: environment variable %s is not set; alerts wait in "
                  "the outbox until the daemon runs with it", slack_config.token_env)
        return MissingToken(slack_config.token_env)
    return load_sink_class("slack").from_config(slack_config)


class MissingToken:
    """Slack with no token: every call is refused like bad credentials, so delivery pauses
    and every alert stays pending; nothing is marked sent that no one received."""

    name = "slack"

    def __init__(self, token_env: str) -> None:
        self.token_env = token_env

    def post(self, message: OutgoingMessage) -> Posted:
        raise self.refusal()

    def find_posted(self, alert_key: str, channel: str,
                    thread_ts: str | None = None) -> Posted | None:
        raise self.refusal()

    def refusal(self) -> AuthError:
        # make_sink has logged the one line; the pause does not repeat it.
        return AuthError(f"token_missing ({self.token_env} is not set)", announced=True)
