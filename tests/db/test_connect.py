"""Why the database cannot be used at start, told apart: not answering now (a later start may
work: DatabaseUnreachable) or refusing for good until someone fixes it (ArchiveUnavailable).
Real servers only: the machine's PostgreSQL, a closed port, and a stub server that turns
connections away with PostgreSQL's own FATAL answers."""

from __future__ import annotations

import socket

import pytest
from servers.refusing_postgres import RefusingPostgres

from db.engine import ArchiveUnavailable, DatabaseUnreachable, check_reachable


def closed_port() -> int:
    """A local port nobody listens on: bound, then closed (a connection is refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _closed_port(request, tmp_path) -> str:
    return f"postgresql+psycopg://postgres:s3cret@127.0.0.1:{closed_port()}/beatwire"


def _refusing(sqlstate: str, message: str):
    def start(request, tmp_path) -> str:
        server = RefusingPostgres(sqlstate, message).__enter__()
        request.addfinalizer(server.__exit__)
        return server.url

    return start


def _on_real_server(database: str, user: str = "postgres"):
    def url(request, tmp_path) -> str:
        base = request.getfixturevalue("pg_base_url").rsplit("/", 1)[0]
        return base.replace("//postgres@", f"//{user}@") + f"/{database}"

    return url


def _sqlite_in_missing_folder(request, tmp_path) -> str:
    return f"sqlite:///{tmp_path}/no/such/beatwire.db"


def _not_a_sqlite_file(request, tmp_path) -> str:
    path = tmp_path / "beatwire.db"
    path.write_bytes(b"not a database, but long enough to have a header " * 40)
    return f"sqlite:///{path}"


@pytest.mark.parametrize("prepare, error, says", [
    pytest.param(_closed_port, DatabaseUnreachable, "connection refused",
                 id="server-down-is-try-later"),
    pytest.param(_refusing("57P01", "the database system is shutting down"),
                 DatabaseUnreachable, "the database system is shutting down",
                 id="server-shutting-down-is-try-later"),
    pytest.param(_refusing("57P03", "the database system is starting up"),
                 DatabaseUnreachable, "the database system is starting up",
                 id="server-starting-up-is-try-later"),
    pytest.param(_refusing("53300", "sorry, too many clients already"),
                 DatabaseUnreachable, "too many clients", id="server-full-is-try-later"),
    pytest.param(_refusing("28P01", 'password authentication failed for user "postgres"'),
                 ArchiveUnavailable, "password authentication failed",
                 id="wrong-password-is-for-good"),
    pytest.param(_on_real_server("beatwire_no_such_db"), ArchiveUnavailable,
                 'database "beatwire_no_such_db" does not exist',
                 id="missing-database-is-for-good"),
    pytest.param(_on_real_server("postgres", user="beatwire_no_such_role"), ArchiveUnavailable,
                 'role "beatwire_no_such_role" does not exist', id="missing-role-is-for-good"),
    pytest.param(_sqlite_in_missing_folder, ArchiveUnavailable, "folder",
                 id="sqlite-folder-missing-is-for-good"),
    pytest.param(_not_a_sqlite_file, ArchiveUnavailable, "is not a SQLite database",
                 id="not-a-sqlite-file-is-for-good"),
])
def test_a_database_that_cannot_be_used_says_whether_to_try_later(request, tmp_path, prepare,
                                                                   error, says):
    url = prepare(request, tmp_path)
    with pytest.raises(ArchiveUnavailable) as refused:
        check_reachable(url)
    assert type(refused.value) is error
    message = str(refused.value)
    assert message.startswith("database.url ") and "\n" not in message and says in message
    assert "s3cret" not in message
