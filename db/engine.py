"""Engine and session handling for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, pool, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from items import redact_url

# A reader holding the SQLite file must delay writers, not crash them.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# A server that drops packets must not hang a command for the TCP timeout (minutes).
PG_CONNECT_TIMEOUT_S = 10
UPGRADE_HINT = "run `beatwire db upgrade`"
# The daemon may also create the archive itself, when asked to (issue 10: never by accident).
INIT_HINT = "run `beatwire db upgrade` first, or start with `run --init`"


# A PostgreSQL that answers a connection with FATAL is up and refusing us, which a retry does
# not change (no such database or role, a wrong password, no pg_hba.conf line), except with
# these answers: starting up, shutting down, in recovery, out of connection slots (SQLSTATE
# 57P03, 57P01, 53300, 53200). libpq gives no SQLSTATE for a refused connection, only this text.
PG_NOT_NOW = ("the database system is ", "sorry, too many clients already",
              "remaining connection slots are reserved", "too many connections for ",
              "terminating connection due to administrator command", "out of memory")
# SQLite codes db.health counts as "not now" that are for good at start: the file cannot be
# opened (missing folder, no permission) or is not a SQLite database.
SQLITE_FOR_GOOD = {14, 26}


class ArchiveUnavailable(Exception):
    """The configured database cannot be used; the message is one line naming database.url."""


class DatabaseUnreachable(ArchiveUnavailable):
    """The database is there but not answering now (down, starting, busy): try again later."""


def redact(url: str | URL) -> str:
    """`url` with its password masked by `items.redact_url`, safe for logs and messages."""
    try:
        # Rendered as the engine reads it: a password with a raw / ? or # in it comes out
        # percent-encoded, inside the userinfo where redact_url looks for it.
        text = make_url(url).render_as_string(hide_password=False)
    except ArgumentError:
        text = str(url)
    return redact_url(text)


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names, or None (PostgreSQL, in-memory, URI form)."""
    parsed = make_url(url)
    database = parsed.database
    if (parsed.get_backend_name() != "sqlite" or not database or database == ":memory:"
            or parsed.query.get("uri")):
        return None
    return Path(database)


def make_engine(url: str, *, read_only: bool = False, must_exist: bool = False,
                **kwargs) -> Engine:
    """An engine for `url`: SQLite gets WAL, a busy timeout and foreign keys.

    Both hide SQL parameters from error messages: they hold scraped text (and could hold
    secrets), and an error message ends up in logs and in `feeds.last_error`.

    `read_only` opens SQLite files with mode=ro and PostgreSQL sessions READ ONLY, so a
    reading command can never create or change an archive. `must_exist` opens SQLite files
    with mode=rw: a file deleted under a running daemon is an error, not a new empty archive.
    """
    if url.startswith("sqlite"):
        path = sqlite_path(url) if read_only or must_exist else None
        target = url
        if path is not None:
            target = URL.create("sqlite", database="file:" + quote(str(path.absolute())),
                                query={"mode": "ro" if read_only else "rw", "uri": "true"})
        timeout = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(target, connect_args=timeout, hide_parameters=True, **kwargs)
        event.listen(engine, "connect", _sqlite_reader_pragmas if read_only else _sqlite_pragmas)
        return engine
    if "connect_timeout" not in make_url(url).query:
        connect_args = kwargs.pop("connect_args", {})
        kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT_S, **connect_args}
    # pool_pre_ping: a restarted PostgreSQL leaves dead pooled connections behind.
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)
    if read_only:
        event.listen(engine, "connect", _postgres_read_only)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
    _sqlite_reader_pragmas(dbapi_connection, _record)
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _sqlite_reader_pragmas(dbapi_connection, _record) -> None:
    # No journal_mode here: switching it is a write, refused on a read-only file.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _postgres_read_only(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    cursor.close()
    dbapi_connection.commit()


def check_reachable(url: str) -> None:
    """Connect to `url` once; raise ArchiveUnavailable with one line saying why not."""
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        connect_or_explain(engine, url)
    finally:
        engine.dispose()


def connect_or_explain(engine: Engine, url: str) -> None:
    """Run one query on `engine`; a refused server, missing database or unopenable file
    becomes ArchiveUnavailable naming database.url (password redacted), not a traceback."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as exc:
        error = DatabaseUnreachable if is_temporary(exc) else ArchiveUnavailable
        raise error(f"database.url {redact(url)}: {explain(exc, url)}") from None


def is_temporary(exc: DBAPIError) -> bool:
    """True when the connection error says "not now" (server down or starting, stopping or
    full, a busy file), so a later start may work; False for what stays until fixed."""
    from db.health import is_unavailable  # db.health imports this module

    if not is_unavailable(exc):
        return False
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF not in SQLITE_FOR_GOOD
    if getattr(exc.orig, "sqlstate", None) is not None:
        return True  # is_unavailable read the server's own SQLSTATE
    refusal = _server_refusal(exc)
    return refusal is None or refusal.startswith(PG_NOT_NOW)


def _server_refusal(exc: DBAPIError) -> str | None:
    """What PostgreSQL answered a connection with (its FATAL line), or None if it never
    answered (refused, timed out, host not found, connection closed)."""
    _, fatal, why = str(exc.orig).partition("FATAL:")
    return why.strip().splitlines()[0] if fatal and why.strip() else None


def explain(exc: DBAPIError, url: str) -> str:
    """The one line that matters of a driver's connection error."""
    first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc).__name__
    path = sqlite_path(url)
    if path is not None and "unable to open" in first:
        if not path.absolute().parent.is_dir():
            return f"cannot open {path}: folder {path.absolute().parent} does not exist"
        return f"cannot open {path}"
    if path is not None and "not a database" in first:
        return f"{path} is not a SQLite database"
    # psycopg: 'connection failed: connection to server at "h", port p failed: FATAL:  why'
    where, _, why = first.rpartition(" failed: ")
    why = why.removeprefix("FATAL:").strip()
    if "Connection refused" in why:
        why = "connection refused (is PostgreSQL running there, on that port?)"
    elif why.startswith("database ") and why.endswith("does not exist"):
        why += f" (create it, then {UPGRADE_HINT})"
    server = where.partition("connection to server at ")[2]
    return f"cannot connect to {server}: {why}" if server else why


def require_archive(url: str, *, hint: str = UPGRADE_HINT, behind_ok: bool = False) -> None:
    """Raise ArchiveUnavailable (one line ending in `hint`) unless `url` holds an archive at
    the latest schema (or, with `behind_ok`, at any older one). Creates and changes nothing."""
    from db.migrate import require_current

    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise ArchiveUnavailable(f"no archive at {path}; {hint}")
    # Checked read-only even for a writer: opening for writes would already switch on WAL.
    checker = make_engine(url, read_only=True, poolclass=pool.NullPool)
    try:
        connect_or_explain(checker, url)
        require_current(checker, url, hint=hint, behind_ok=behind_ok)
    finally:
        checker.dispose()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded rows usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def chunks(values: list, size: int = 500) -> Iterator[list]:
    """`values` in slices short enough for any engine's limit on bound parameters."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def scalars_in(session: Session, query_for, values) -> set:
    """The scalars of `query_for(chunk)` for each `chunks` slice of `values`, as one set."""
    found: set = set()
    for chunk in chunks(list(values)):
        found.update(session.connection().scalars(query_for(chunk)))
    return found


def is_postgres(session_or_engine) -> bool:
    """True when the bound database is PostgreSQL."""
    bind = session_or_engine
    if isinstance(session_or_engine, Session):
        bind = session_or_engine.get_bind()
    return bind.dialect.name == "postgresql"
