"""scheduler.Daemon built directly (not through `beatwire run`): without `create` it refuses
a missing archive, with the CLI's line, and creates nothing."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from config import load_config
from db.engine import INIT_HINT, ArchiveUnavailable, redact, sqlite_path


def tables(url: str) -> list[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


@pytest.mark.parametrize("url_fixture, message", [
    pytest.param("sqlite_url", "no archive at {path}; " + INIT_HINT,
                 id="a-missing-sqlite-file-is-refused-and-not-created"),
    pytest.param("pg_url", "database.url {url} holds no archive yet; " + INIT_HINT,
                 id="an-empty-postgres-database-is-refused-and-left-empty"),
])
def test_daemon_without_create_refuses_a_missing_archive(request, make_config, url_fixture,
                                                         message):
    from scheduler import Daemon

    url = request.getfixturevalue(url_fixture)
    daemon = Daemon(None, load_config(make_config(url, [])))
    try:
        with pytest.raises(ArchiveUnavailable) as refused:
            asyncio.run(daemon.start())
    finally:
        asyncio.run(daemon.close())
    assert str(refused.value) == message.format(path=sqlite_path(url), url=redact(url))
    path = sqlite_path(url)
    if path is not None:
        assert not path.exists(), "no SQLite file was created"
    else:
        assert tables(url) == [], "no table was created"
