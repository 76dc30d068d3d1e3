"""Migrations: upgrade, downgrade and upgrade again on both engines; the schema matches models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, pool, text

from db import migrate
from db.models import Base

REPO = Path(__file__).resolve().parents[2]
SEARCH_TABLES = ("articles", "statements", "agencies")


def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(db_url):
    migrate.upgrade(db_url)
    assert migrate.current(db_url) == migrate.head()
    migrate.downgrade(db_url, "base")
    assert migrate.current(db_url) is None
    assert _tables(db_url) <= {"alembic_version"}
    migrate.upgrade(db_url)
    assert migrate.current(db_url) == migrate.head()


def test_upgrade_is_idempotent(db_url):
    migrate.upgrade(db_url)
    migrate.upgrade(db_url)
    assert migrate.current(db_url) == migrate.head()


def test_never_migrated_database_has_no_revision(db_url):
    assert migrate.current(db_url) is None


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection")
def test_schema_matches_models(engine):
    """Every table, column and index in models.py exists in the migrated database."""
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert {c.name for c in table.columns} <= columns, table.name
        reflected = {i["name"] for i in inspector.get_indexes(table.name)}
        # SQLite cannot reflect expression indexes; PostgreSQL can.
        if engine.dialect.name == "sqlite":
            reflected |= {"ux_agencies_name_state"}
        declared = {i.name or f"ix_{table.name}_{i.columns.keys()[0]}" for i in table.indexes}
        assert declared <= reflected, table.name


def test_search_structures_exist(engine):
    inspector = inspect(engine)
    if engine.dialect.name == "sqlite":
        assert {f"{t}_fts" for t in SEARCH_TABLES} <= set(inspector.get_table_names())
    else:
        for table in SEARCH_TABLES:
            assert "search_vector" in {c["name"] for c in inspector.get_columns(table)}


def test_alembic_command_line_uses_x_url(db_url):
    """`alembic upgrade head` by hand, from the repository's alembic.ini."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("BEATWIRE_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "alembic", "-c", str(REPO / "alembic.ini"),
                    "-x", f"url={db_url}", "upgrade", "head"],
                   check=True, env=env, capture_output=True, cwd=REPO)
    assert migrate.current(db_url) == migrate.head()


@pytest.mark.parametrize("workers", [3], ids=["three-workers"])
def test_concurrent_upgrades_migrate_once(db_url, workers):
    """Workers starting together: one migrates, the others wait and find the schema current."""
    code = "import sys; from db.migrate import upgrade; upgrade(sys.argv[1])"
    procs = [subprocess.Popen([sys.executable, "-c", code, db_url], cwd=REPO,
                              stderr=subprocess.PIPE) for _ in range(workers)]
    errors = [p.communicate()[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * workers, errors
    assert migrate.current(db_url) == migrate.head()


def _first_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrate.alembic_config("")).get_base()


def _stamp_unknown(url: str) -> None:
    migrate.upgrade(url)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()


@pytest.mark.parametrize(
    "prepare, says",
    [
        (lambda url: None, "holds no archive yet; run `beatwire db upgrade`"),
        (lambda url: migrate.upgrade(url, _first_revision()), "is behind"),
        (_stamp_unknown, "schema 9999_future is newer than this beatwire"),
    ],
    ids=["never-migrated", "behind", "newer-than-the-code"],
)
def test_require_current_says_what_to_do_and_changes_nothing(db_url, prepare, says):
    """Commands that must not migrate get one line with the fix; the schema stays as it was."""
    from db.engine import ArchiveUnavailable, make_engine

    prepare(db_url)
    if says == "is behind" and _first_revision() == migrate.head():
        pytest.skip("one revision only: no schema can be behind")
    before = migrate.current(db_url)
    engine = make_engine(db_url, read_only=True)
    with pytest.raises(ArchiveUnavailable) as err:
        migrate.require_current(engine, db_url)
    engine.dispose()
    assert says in str(err.value) and "\n" not in str(err.value)
    assert migrate.current(db_url) == before


def test_require_current_passes_a_migrated_archive(db_url):
    from db.engine import make_engine

    migrate.upgrade(db_url)
    engine = make_engine(db_url, read_only=True)
    migrate.require_current(engine, db_url)  # raises if not
    engine.dispose()


def _indexed_columns(url: str, table: str) -> set[tuple[str, ...]]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        return {tuple(i["column_names"]) for i in inspect(engine).get_indexes(table)}
    finally:
        engine.dispose()


@pytest.mark.parametrize("revision, indexed", [
    pytest.param("head", True, id="upgrade-adds-it"),
    pytest.param("0006", False, id="downgrade-to-0006-drops-it"),
])
def test_fetch_log_fetched_at_index(db_url, revision, indexed):
    """Retention deletes fetch_log rows before a cutoff: an index on fetched_at spares it a
    scan of the whole table per batch."""
    migrate.upgrade(db_url)
    if revision != "head":
        migrate.downgrade(db_url, revision)
    assert (("fetched_at",) in _indexed_columns(db_url, "fetch_log")) == indexed
