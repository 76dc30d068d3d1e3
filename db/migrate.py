"""Schema migrations, run programmatically: `upgrade(url)` by `db upgrade` and at every
daemon start (the daemon creates a missing archive only when started with `run --init`).

Alembic's scripts live in `db/migrations` inside the package, so this works from a checkout
and when installed. Upgrading is idempotent and safe to run from several workers at once
(see db/migrations/env.py for the lock).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, pool

SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config for `url` that needs no alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    # Passed as an attribute, not an option: ini interpolation would mangle '%' in URLs.
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (default: the latest schema)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the database at `url` back to `revision` ("base" empties it)."""
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    """The schema revision the database at `url` is at, or None if never migrated."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    """The latest revision shipped with this code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def require_current(engine: Engine, url: str, *, hint: str | None = None,
                    behind_ok: bool = False) -> None:
    """Raise ArchiveUnavailable (one line, ending in `hint`) unless the schema is the latest.

    Reads only: commands that must not migrate check with this instead of upgrading. With
    `behind_ok` (the daemon, which migrates at start) an older schema passes too.
    """
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from db.engine import UPGRADE_HINT, ArchiveUnavailable, redact

    hint = hint or UPGRADE_HINT
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    latest = head()
    if revision == latest:
        return
    where = f"database.url {redact(url)}"
    if revision is None:
        raise ArchiveUnavailable(f"{where} holds no archive yet; {hint}")
    try:
        ScriptDirectory.from_config(alembic_config("")).get_revision(revision)
    except CommandError:
        raise ArchiveUnavailable(f"{where}: schema {revision} is newer than this beatwire "
                                 f"(latest {latest}); upgrade beatwire") from None
    if not behind_ok:
        raise ArchiveUnavailable(f"{where}: schema {revision} is behind {latest}; {hint}")
