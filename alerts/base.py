"""The sink contract: where alert messages go, and the errors a sink may raise.

A sink posts one `OutgoingMessage` and answers with a `Posted` (channel id, ts). It raises
`TransientError` (try again later; the outbox backs off), `PermanentError` (this alert
fails, the others go on) or `AuthError` (the credentials are bad: delivery pauses).
Implementations live one per module (`slack.py`, `console.py`, `webhook.py`) and are named
in `SINKS`. `Sinks` picks each outbox row's sink: its route's, or `[slack]`'s.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from config import Config, RouteConfig, SlackConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to post: a plain fallback `text`, Block Kit `blocks`, maybe in a thread."""

    alert_key: str
    channel: str
    text: str
    blocks: list | None = None
    thread_ts: str | None = None
    # The row's fields as data, for sinks that send them (webhooks); Slack sends the blocks.
    data: dict | None = None


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


# Sink name -> "module:Class"; each class builds itself with `from_config(slack_config)`,
# the webhook with `from_route(route)` (its url and secret are the route's).
SINKS: dict[str, str] = {
    "slack": "alerts.slack:SlackSink",
    "console": "alerts.console:ConsoleSink",
    "webhook": "alerts.webhook:WebhookSink",
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
    return slack_sink(slack_config)


def slack_sink(slack_config: SlackConfig) -> Sink:
    """The Slack sink, or missing_token (saying why once) when its token is not set."""
    if not slack_config.token():
        log.error("slack token missing: environment variable %s is not set; alerts wait in "
                  "the outbox until the daemon runs with it", slack_config.token_env)
        return missing_token(slack_config.token_env)
    return load_sink_class("slack").from_config(slack_config)


class Unconfigured:
    """A sink whose credential is not in the environment: every call is refused like bad
    credentials, so delivery through it pauses and its alerts stay pending (the other sinks
    go on); nothing is marked sent that no one received."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    def post(self, message: OutgoingMessage) -> Posted:
        raise self.refusal()

    def find_posted(self, alert_key: str, channel: str,
                    thread_ts: str | None = None) -> Posted | None:
        raise self.refusal()

    def refusal(self) -> AuthError:
        # Whoever built it has logged the one line; the pause does not repeat it.
        return AuthError(self.reason, announced=True)


def missing_token(token_env: str) -> Unconfigured:
    """Slack with no token."""
    return Unconfigured("slack", f"token_missing ({token_env} is not set)")


class Sinks:
    """Every sink the config routes alerts through; `for_alert` picks a row's.

    A row with no sink is the single `[slack]` destination's (no routes); a slack or
    console row shares one sink per kind, made when first needed (a Slack without its
    token says so only if a route uses it); a webhook row has its route's sink, or None
    when that route has left the config (the outbox keeps the row until it is back).
    """

    def __init__(self, config: Config):
        self.slack_config = config.slack
        self.webhooks = {route.name: make_webhook(route) for route in config.alerts.routes
                         if route.sink == "webhook"}
        self._shared: dict[str, Sink] = {}
        # With no routes every row is `[slack]`'s: made now, so a missing token is said at start.
        self._default = None if config.alerts.routes else make_sink(config.slack)

    def for_alert(self, alert) -> Sink | None:
        """The sink that posts outbox row `alert`."""
        if alert.sink is None:  # written with no routes configured
            if self._default is None:
                self._default = make_sink(self.slack_config)
            return self._default
        if alert.sink == "webhook":
            return self.webhooks.get(alert.route)
        if alert.sink not in self._shared:
            self._shared[alert.sink] = (slack_sink(self.slack_config) if alert.sink == "slack"
                                        else load_sink_class("console").from_config(None))
        return self._shared[alert.sink]


def make_sinks(config: Config) -> Sinks:
    """The sinks for `config`'s `[slack]` section and its routes."""
    return Sinks(config)


def make_webhook(route: RouteConfig) -> Sink:
    return load_sink_class("webhook").from_route(route)
