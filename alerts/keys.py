"""Message keys: which archive, alert and statement a posted message belongs to.

An outbox row's key (`statement:12`, `also:13`, `digest:2025-03-01`) is unique only inside its
archive. A sink is given that key qualified by the archive's installation id and, for alerts
about a statement, a fingerprint of that statement (its article and quote), written
`statement:12@<installation id>#<fingerprint>`. Slack metadata carries the three parts as
separate fields, and crash recovery accepts a message only when all three match: another
archive's message, or one about a different statement under a reused row id (a restored
backup), is never taken for ours. A key without `@` is one posted before installation ids
existed; it matches only a bare key, so recovery never takes such a message either.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

FINGERPRINT_HEX = 16


@dataclass(frozen=True)
class MessageKey:
    """An alert key with the installation and statement it belongs to."""

    alert_key: str
    installation_id: str | None = None
    fingerprint: str | None = None

    def __str__(self) -> str:
        text = self.alert_key
        if self.installation_id:
            text += f"@{self.installation_id}"
        if self.fingerprint:
            text += f"#{self.fingerprint}"
        return text

    @classmethod
    def parse(cls, text: str) -> MessageKey:
        """The parts of a key written by `str()` (alert keys hold neither '@' nor '#')."""
        key, _, rest = text.partition("@")
        installation, _, fingerprint = rest.partition("#")
        return cls(key, installation or None, fingerprint or None)

    def payload(self) -> dict:
        """The Slack metadata event_payload: only the parts this key has."""
        fields = {"alert_key": self.alert_key, "installation_id": self.installation_id,
                  "statement_fingerprint": self.fingerprint}
        return {name: value for name, value in fields.items() if value}

    @classmethod
    def from_payload(cls, payload: object) -> MessageKey | None:
        """The key a message's event_payload carries, or None if it carries none."""
        key = payload.get("alert_key") if isinstance(payload, dict) else None
        if not isinstance(key, str):
            return None
        return cls(key, payload.get("installation_id") or None,
                   payload.get("statement_fingerprint") or None)


def message_key(alert, installation_id: str) -> MessageKey:
    """The key the sink is given for an outbox row of this installation."""
    return MessageKey(alert.key, installation_id, statement_fingerprint(alert.statement))


def statement_fingerprint(statement) -> str | None:
    """A short hash of a statement's article and normalised quote; None without a statement."""
    if statement is None:
        return None
    article = statement.article
    source = f"{article.url_hash if article is not None else ''}\n{statement.quote_key}"
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:FINGERPRINT_HEX]
