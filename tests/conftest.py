"""Shared fixtures: databases (SQLite file and the machine's PostgreSQL), builders."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta

import pytest

PG_ADMIN_URL = os.environ.get(
    "BEATWIRE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_TEST_DB = "beatwire_test"


def _pg_available() -> bool:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_TEST_DB})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{PG_TEST_DB}"'))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_base_url() -> str:
    """URL of the PostgreSQL test database; skips only outside CI when there is none."""
    if not _pg_available():
        if os.environ.get("BEATWIRE_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL at 127.0.0.1:5432 is required (BEATWIRE_REQUIRE_POSTGRES=1)")
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_TEST_DB}"


@pytest.fixture
def pg_url(pg_base_url):
    """A fresh, empty PostgreSQL schema for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    from sqlalchemy.pool import NullPool

    # NullPool: a test may restart PostgreSQL, which kills pooled connections.
    admin = create_engine(pg_base_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{pg_base_url}?options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A fresh SQLite file in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'beatwire.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """The same test on both engines: an empty database URL, not yet migrated."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def engine(db_url):
    """A migrated engine on `db_url`."""
    from db.engine import make_engine
    from db.migrate import upgrade

    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine):
    """A sessionmaker bound to the migrated test database."""
    from db.engine import make_sessionmaker

    return make_sessionmaker(engine)


# The local servers (real HTTP on 127.0.0.1) are fixtures defined beside them.
# -- running the real `beatwire` command --------------------------------------------
import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

from servers.fake_slack import fake_slack  # noqa: E402,F401
from servers.feed_site import feed_site  # noqa: E402,F401
from support import REPO, T0, beatwire_command, config_text  # noqa: E402


@pytest.fixture
def make_config(tmp_path, fake_slack):
    """Builder: write a config.toml in the test folder (Slack = the fake) and return its path."""

    def make(db_url: str, feeds: list[dict], **sections) -> Path:
        path = tmp_path / "config.toml"
        sections["slack"] = {"api_url": fake_slack.url, **sections.get("slack", {})}
        path.write_text(config_text(db_url, feeds, **sections), encoding="utf-8")
        return path

    return make


@pytest.fixture
def beatwire(fake_slack):
    """Run `beatwire ARGS` to completion with the fake Slack token in its environment."""

    def run(config: Path, *args: str, timeout: float = 120, token: bool = True):
        env = {**os.environ, "BEATWIRE_TEST_SLACK_TOKEN": fake_slack.token if token else ""}
        env.pop("BEATWIRE_DATABASE_URL", None)
        return subprocess.run(beatwire_command(config, *args), env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=timeout)

    return run


@pytest.fixture
def clock():
    """An injected clock: `clock()` is now, `clock.advance(seconds)` moves it on."""

    class Clock:
        now = T0

        def __call__(self) -> datetime:
            return self.now

        def advance(self, seconds: float) -> datetime:
            self.now += timedelta(seconds=seconds)
            return self.now

    return Clock()
