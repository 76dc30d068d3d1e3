"""This archive's installation id: made once by migration 0003, read once per engine.

The id never changes for the life of an archive (a backup restores it with the data), so it is
cached per engine: delivery reads it every round without a query.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Installation

_IDS: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()


class NoInstallation(RuntimeError):
    """The archive has no installation row: it was not made by our migrations."""


def installation_id(session: Session) -> str:
    """The installation id of the archive `session` is bound to."""
    engine = session.get_bind().engine  # a Connection's engine, or the Engine itself
    found = _IDS.get(engine)
    if found is None:
        # Oldest first: deterministic should a second row ever be inserted by hand.
        found = session.scalar(select(Installation.id).order_by(Installation.created_at,
                                                                Installation.id).limit(1))
        if found is None:
            raise NoInstallation("the archive has no installation id; run `beatwire db upgrade`")
        _IDS[engine] = found
    return found
