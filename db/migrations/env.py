"""Alembic environment for Beatwire: SQLite and PostgreSQL, run by hand or by `db.migrate`.

The database URL comes, in order, from `db.migrate` (config attribute "url"), the command line
(`alembic -x url=...`), the environment (BEATWIRE_DATABASE_URL), then alembic.ini. Migrations run
in one transaction that first takes a lock (PostgreSQL advisory lock, SQLite BEGIN IMMEDIATE), so
several workers starting at once upgrade the schema exactly once and the rest wait, then no-op.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, create_engine, pool

DATABASE_URL_ENV = "BEATWIRE_DATABASE_URL"
# Arbitrary but fixed: the advisory lock key every Beatwire worker uses for migrations.
MIGRATION_LOCK_KEY = 0x6265617477697265 >> 1

config = context.config


def _url() -> str:
    url = (config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
           or os.environ.get(DATABASE_URL_ENV) or config.get_main_option("sqlalchemy.url"))
    if not url:
        raise SystemExit(f"no database URL: pass -x url=... or set {DATABASE_URL_ENV}")
    return url


def _lock(connection: Connection) -> None:
    """Serialise concurrent upgrades; held until the migration transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
    elif connection.dialect.name == "sqlite":
        # pysqlite never begins a transaction for DDL by itself: do it, and take the write lock.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def run_offline() -> None:
    """Emit SQL for `alembic upgrade head --sql`."""
    context.configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate a live database inside one locked transaction."""
    engine = create_engine(_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _lock(connection)
            # The lock opened the transaction, so Alembic treats it as external: we commit.
            context.configure(connection=connection, target_metadata=None)
            context.run_migrations()
            connection.commit()
    finally:
        engine.dispose()


# Only the `alembic` command configures logging; the daemon keeps its own.
if config.config_file_name and not config.attributes.get("url"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_offline()
else:
    run_online()
