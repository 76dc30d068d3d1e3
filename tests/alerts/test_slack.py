"""SlackSink: real slack_sdk over HTTP against the fake Slack; errors mapped to the contract."""

from __future__ import annotations

import logging
import traceback

import pytest

from alerts.base import (
    AuthError,
    OutgoingMessage,
    PermanentError,
    Posted,
    TransientError,
    make_sink,
)
from alerts.console import ConsoleSink
from alerts.slack import SlackSink
from config import SlackConfig

CHANNEL = "#beatwire-alerts"


def message(key: str = "statement:1", channel: str = CHANNEL, **fields) -> OutgoingMessage:
    values = dict(text="fallback", blocks=[{"type": "section",
                                             "text": {"type": "mrkdwn", "text": "hello"}}])
    values.update(fields)
    return OutgoingMessage(key, channel, **values)


def test_post_sends_metadata_no_unfurl_and_returns_channel_id_and_ts(slack_sink, fake_slack):
    posted = slack_sink.post(message("statement:7"))
    assert posted == Posted("C0ALERTS", fake_slack.posted[0].ts)
    (call,) = fake_slack.calls_to("chat.postMessage")
    assert call.args["unfurl_links"] is False and call.args["unfurl_media"] is False
    assert call.args["metadata"] == {"event_type": "beatwire_alert",
                                     "event_payload": {"alert_key": "statement:7"}}
    assert call.args["blocks"][0]["text"]["text"] == "hello" and call.args["text"] == "fallback"
    assert "thread_ts" not in call.args


def test_thread_reply_carries_thread_ts(slack_sink, fake_slack):
    parent = slack_sink.post(message("statement:1"))
    slack_sink.post(message("also:2", thread_ts=parent.ts))
    assert fake_slack.posted[1].thread_ts == parent.ts


def test_ts_increases(slack_sink):
    stamps = [slack_sink.post(message(f"statement:{i}")).ts for i in range(5)]
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 5


FAULTS = {
    "http-500": (lambda f: f.fail_http(500), TransientError, {"maybe_delivered": True}),
    "http-503": (lambda f: f.fail_http(503), TransientError, {"maybe_delivered": True}),
    "429-retry-after": (lambda f: f.rate_limit(30), TransientError,
                        {"retry_after": 30.0, "maybe_delivered": False}),
    "ratelimited-code": (lambda f: f.fail_with("ratelimited"), TransientError,
                         {"maybe_delivered": False}),
    "internal-error": (lambda f: f.fail_with("internal_error"), TransientError,
                       {"maybe_delivered": True}),
    "channel-not-found": (lambda f: f.fail_with("channel_not_found"), PermanentError,
                          {"code": "channel_not_found"}),
    "invalid-blocks": (lambda f: f.fail_with("invalid_blocks"), PermanentError,
                       {"code": "invalid_blocks"}),
    "invalid-auth": (lambda f: f.fail_with("invalid_auth"), AuthError, {"code": "invalid_auth"}),
    "not-authed": (lambda f: f.fail_with("not_authed"), AuthError, {"code": "not_authed"}),
    "token-revoked": (lambda f: f.fail_with("token_revoked"), AuthError, {"code": "token_revoked"}),
    "account-inactive": (lambda f: f.fail_with("account_inactive"), AuthError,
                         {"code": "account_inactive"}),
    "timeout": (lambda f: f.slow(1.6), TransientError,
                {"reason": "timeout", "maybe_delivered": True}),
    "accept-then-drop": (lambda f: f.accept_then_drop(), TransientError, {"maybe_delivered": True}),
    "connection-refused": (lambda f: f.stop(), TransientError,
                           {"reason": "connection refused", "maybe_delivered": False}),
}


@pytest.mark.parametrize("program, error, attributes", FAULTS.values(), ids=FAULTS.keys())
def test_failures_map_onto_the_sink_errors_without_the_token(
        program, error, attributes, slack_sink, fake_slack, no_token_in_logs):
    program(fake_slack)
    with pytest.raises(error) as caught:
        slack_sink.post(message())
    for name, value in attributes.items():
        assert getattr(caught.value, name) == value
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    shown = "".join(traceback.format_exception(caught.value)) + repr(caught.value)
    assert fake_slack.token not in shown
    assert len(fake_slack.calls) <= 1  # slack_sdk's own retries are off: the outbox retries


@pytest.mark.parametrize("channel, code", [("#nowhere", "channel_not_found"),
                                           ("#old-news", "is_archived")],
                         ids=["unknown-channel", "archived-channel"])
def test_real_channel_errors_are_permanent(slack_sink, channel, code):
    with pytest.raises(PermanentError) as caught:
        slack_sink.post(message(channel=channel))
    assert caught.value.code == code


def test_message_too_long_is_permanent(slack_sink):
    with pytest.raises(PermanentError, match="msg_too_long"):
        slack_sink.post(message(text="x" * 40_001, blocks=None))


def test_wrong_token_is_an_auth_error(fake_slack, no_token_in_logs):
    sink = SlackSink("xoxb-wrong-token", api_url=fake_slack.url, timeout=1)
    with pytest.raises(AuthError, match="invalid_auth"):
        sink.post(message())
    assert "xoxb-wrong-token" not in no_token_in_logs.text
    assert not fake_slack.calls[0].authorized


def test_the_server_comes_back_after_connection_refused(slack_sink, fake_slack):
    fake_slack.stop()
    with pytest.raises(TransientError):
        slack_sink.post(message("statement:1"))
    fake_slack.start()
    assert slack_sink.post(message("statement:1")).channel_id == "C0ALERTS"


@pytest.mark.parametrize("channel", [CHANNEL, "beatwire-alerts", "C0ALERTS"],
                         ids=["hash-name", "bare-name", "channel-id"])
def test_find_posted_reads_metadata_back_from_history(slack_sink, fake_slack, channel):
    posted = [slack_sink.post(message(f"statement:{i}", channel=CHANNEL)) for i in range(3)]
    fresh = SlackSink(fake_slack.token, api_url=fake_slack.url, timeout=1)  # no cached channel ids
    assert fresh.find_posted("statement:1", channel) == posted[1]
    assert fresh.find_posted("statement:99", channel) is None
    (call, *_) = fake_slack.calls_to("conversations.history")
    assert call.args["include_all_metadata"] in ("1", True) and call.args["channel"] == "C0ALERTS"
    assert float(call.args["oldest"]) > 0


def test_find_posted_in_a_thread_uses_replies(slack_sink, fake_slack):
    parent = slack_sink.post(message("statement:1"))
    reply = slack_sink.post(message("also:2", thread_ts=parent.ts))
    assert slack_sink.find_posted("also:2", CHANNEL) is None  # replies are not in history
    assert slack_sink.find_posted("also:2", CHANNEL, thread_ts=parent.ts) == reply


def test_find_posted_pages_are_bounded(fake_slack):
    sink = SlackSink(fake_slack.token, api_url=fake_slack.url, timeout=1, history_pages=2)
    for i in range(450):  # > 2 pages of 200
        fake_slack.post_message({"channel": "C0ALERTS", "text": "x",
                                 "metadata": {"event_type": "beatwire_alert",
                                              "event_payload": {"alert_key": f"k:{i}"}}})
    assert sink.find_posted("k:449", "C0ALERTS") is not None
    assert sink.find_posted("k:0", "C0ALERTS") is None  # 450 messages back: beyond the bound
    assert len(fake_slack.calls_to("conversations.history")) == 1 + 2


def test_find_posted_errors_are_mapped_too(slack_sink, fake_slack):
    fake_slack.rate_limit(7, method="conversations.history")
    with pytest.raises(TransientError) as caught:
        slack_sink.find_posted("statement:1", "C0ALERTS")
    assert caught.value.retry_after == 7.0


def test_check_is_auth_test(slack_sink):
    assert slack_sink.check()["user_id"] == "U0BOT"


def test_make_sink_uses_slack_when_the_token_is_set(fake_slack, monkeypatch):
    monkeypatch.setenv("BEATWIRE_TEST_TOKEN", fake_slack.token)
    sink = make_sink(SlackConfig(api_url=fake_slack.url, token_env="BEATWIRE_TEST_TOKEN"))
    assert isinstance(sink, SlackSink) and sink.name == "slack"
    assert sink.post(message()).channel_id == "C0ALERTS"


def test_make_sink_without_token_pauses_delivery_and_says_so_once(monkeypatch, caplog):
    monkeypatch.delenv("BEATWIRE_TEST_TOKEN", raising=False)
    caplog.set_level(logging.INFO)
    sink = make_sink(SlackConfig(token_env="BEATWIRE_TEST_TOKEN"))
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "BEATWIRE_TEST_TOKEN is not set" in lines[0]
    with pytest.raises(AuthError, match="token_missing"):
        sink.post(message())
    with pytest.raises(AuthError, match="token_missing"):
        sink.find_posted("statement:1", "#beatwire")


def test_console_sink_only_when_the_config_asks(monkeypatch):
    monkeypatch.setenv("BEATWIRE_TEST_TOKEN", "xoxb-anything")
    sink = make_sink(SlackConfig(token_env="BEATWIRE_TEST_TOKEN", sink="console"))
    assert isinstance(sink, ConsoleSink) and sink.name == "console"


def test_post_writes_each_part_of_the_message_key_into_metadata(slack_sink, fake_slack):
    slack_sink.post(message("statement:7@0123abcd#f00d"))
    (call,) = fake_slack.calls_to("chat.postMessage")
    assert call.args["metadata"]["event_payload"] == {
        "alert_key": "statement:7", "installation_id": "0123abcd",
        "statement_fingerprint": "f00d"}


def history_message(fake_slack, payload) -> str:
    """A message in the channel as some archive (or an older Beatwire) posted it; its ts."""
    fake_slack.post_message({"channel": "C0ALERTS", "text": "x", "metadata": {
        "event_type": "beatwire_alert", "event_payload": payload}})
    return fake_slack.posted[-1].ts


OURS = {"alert_key": "statement:1", "installation_id": "aaaa", "statement_fingerprint": "f1"}
RECOVERY = {
    # (the message in the channel, the key we look for, found?)
    "same-installation-and-statement": (OURS, "statement:1@aaaa#f1", True),
    "other-installation": ({**OURS, "installation_id": "bbbb"}, "statement:1@aaaa#f1", False),
    "same-row-id-other-statement": ({**OURS, "statement_fingerprint": "f2"},
                                    "statement:1@aaaa#f1", False),
    "other-alert-key": ({**OURS, "alert_key": "statement:2"}, "statement:1@aaaa#f1", False),
    "message-from-before-installation-ids": ({"alert_key": "statement:1"},
                                             "statement:1@aaaa#f1", False),
    "bare-key-refuses-an-installations-message": (OURS, "statement:1", False),
    "digest-of-the-same-installation": ({"alert_key": "digest:2025-03-01",
                                         "installation_id": "aaaa"}, "digest:2025-03-01@aaaa",
                                        True),
    "digest-of-another-installation": ({"alert_key": "digest:2025-03-01",
                                        "installation_id": "bbbb"}, "digest:2025-03-01@aaaa",
                                       False),
    "payload-not-an-object": (["statement:1"], "statement:1@aaaa#f1", False),
}


@pytest.mark.parametrize("in_channel, wanted, found", RECOVERY.values(), ids=RECOVERY.keys())
def test_recovery_takes_only_a_message_of_the_same_installation_and_statement(
        in_channel, wanted, found, slack_sink, fake_slack):
    ts = history_message(fake_slack, in_channel)
    expected = Posted("C0ALERTS", ts) if found else None
    assert slack_sink.find_posted(wanted, "C0ALERTS") == expected
