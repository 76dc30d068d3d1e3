"""The console sink: readable, inert output; synthetic ts so threads still work."""

from __future__ import annotations

import io

import pytest
from alert_builders import alert_row, statement_row

from alerts.base import OutgoingMessage
from alerts.blocks import render
from alerts.console import ConsoleSink, plain
from alerts.outbox import DeliveryReport, deliver_pending


def post(sink: ConsoleSink, alert) -> str:
    rendered = render(alert)
    return sink.post(OutgoingMessage(alert.key, alert.channel, rendered.text,
                                     rendered.blocks)).ts


def test_statement_prints_readably():
    out = io.StringIO()
    sink = ConsoleSink(out)
    alert = alert_row(statement_row(url="https://www.latimes.com/a?b=1&c=2",
                                    speaker="Charlie <Beck> & co"), key="statement:1")
    post(sink, alert)
    text = out.getvalue()
    for part in ["[statement:1] → #beatwire-alerts", "Los Angeles Police Department — refuses",
                 ">“We are not going to work", "Speaker: Charlie <Beck> & co, Chief of Police",
                 "latimes.com (https://www.latimes.com/a?b=1&c=2) · 2016-11-14"]:
        assert part in text, part


@pytest.mark.parametrize("hostile", ["\x1b[2J\x1b[31mred", "\x07bell", "\u202eevil"],
                         ids=["ansi-escape", "bell", "bidi-override"])
def test_terminal_control_characters_never_reach_the_console(hostile):
    out = io.StringIO()
    post(ConsoleSink(out), alert_row(statement_row(quote=hostile)))
    assert not {"\x1b", "\x07", "\u202e"} & set(out.getvalue())


def test_synthetic_ts_increase_and_nothing_is_found():
    sink = ConsoleSink(io.StringIO())
    stamps = [post(sink, alert_row(statement_row())) for _ in range(3)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    assert sink.find_posted("statement:1", "#beatwire-alerts") is None


@pytest.mark.parametrize("mrkdwn, expected", [
    ("<https://a.example/?x=1&amp;y=2|a.example>", "a.example (https://a.example/?x=1&y=2)"),
    ("*Speaker:* &lt;!channel&gt;", "Speaker: <!channel>"),
    ("&amp;lt;", "&lt;"),
], ids=["link", "entities", "one-level-only"])
def test_plain(mrkdwn, expected):
    assert plain(mrkdwn) == expected


def test_outbox_through_the_console_threads_replies(sessions, add_alert, clock, pause, capsys):
    parent = add_alert(key="statement:1")
    add_alert(key="also:2", kind="also_reported", parent_alert_id=parent,
              statement=statement_row(url="https://www.denverpost.com/x"))
    report = deliver_pending(sessions, ConsoleSink(), now_fn=clock, pause=pause)
    assert report == DeliveryReport(sent=2)
    out = capsys.readouterr().out
    parent_ts = out.split("[statement:1] → #beatwire-alerts  ts=")[1].split()[0]
    assert f"[also:2] → #beatwire-alerts (thread {parent_ts})" in out
    assert "Also reported by denverpost.com (https://www.denverpost.com/x)" in out


def test_terminal_text_gets_the_marks_back():
    from alerts.blocks import escape
    from alerts.console import plain

    scraped = "query: immigra* AND sheriff* · voice: agency_voice <!here>"
    assert plain(escape(scraped)) == scraped
