"""The console sink: alerts printed readably to stdout (no token, `make demo`, offline runs).

Blocks are flattened back to plain text: entities decoded, `<url|label>` shown as
"label (url)". Terminal control characters were already dropped by `blocks.clean`.
"""

from __future__ import annotations

import html
import itertools
import re
import sys
import time
from typing import TextIO

from alerts.base import OutgoingMessage, Posted
from alerts.blocks import LOOKALIKES
from alerts.keys import MessageKey

_LINK = re.compile(r"<([^|>]+)\|([^>]*)>")
_RULE = "─" * 72
_FROM_LOOKALIKES = str.maketrans({look: mark for mark, look in LOOKALIKES.items()})


class ConsoleSink:
    """Prints each message; returns a synthetic ts so thread replies still find a parent."""

    name = "console"

    def __init__(self, stream: TextIO | None = None):
        self._stream = stream
        self._seq = itertools.count(1)

    @classmethod
    def from_config(cls, config=None) -> ConsoleSink:
        return cls()

    def post(self, message: OutgoingMessage) -> Posted:
        """Print `message` and return where it "landed"."""
        ts = f"{int(time.time())}.{next(self._seq):06d}"
        out = self._stream or sys.stdout
        out.write(format_message(message, ts) + "\n")
        out.flush()
        return Posted(message.channel, ts)

    def find_posted(self, alert_key: str, channel: str,
                    thread_ts: str | None = None) -> Posted | None:
        """The console keeps no history: a re-sent alert is printed again."""
        return None


def format_message(message: OutgoingMessage, ts: str) -> str:
    """A readable rendering of one message."""
    where = message.channel
    if message.thread_ts:
        where += f" (thread {message.thread_ts})"
    # The archive's own key: the installation and fingerprint mean nothing on a terminal.
    lines = [_RULE, f"[{MessageKey.parse(message.alert_key).alert_key}] → {where}  ts={ts}"]
    lines += block_lines(message.blocks) if message.blocks else [plain(message.text)]
    return "\n".join(lines)


def block_lines(blocks: list) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if block.get("type") == "header":
            title = plain(block["text"]["text"])
            lines += [title, "=" * min(len(title), 72)]
        elif block.get("type") == "section":
            lines += plain(block["text"]["text"]).splitlines()
        elif block.get("type") == "context":
            lines.append("   " + " · ".join(plain(e.get("text", "")) for e in block["elements"]))
    return lines


def plain(mrkdwn: str) -> str:
    """Slack mrkdwn as terminal text: links spelled out, entities and marks restored."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", mrkdwn)
    # A terminal renders no mrkdwn: the look-alikes that kept Slack inert go back to ASCII.
    return html.unescape(text.replace("*", "")).translate(_FROM_LOOKALIKES)
