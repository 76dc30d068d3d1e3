"""Helpers for tests that run the real `beatwire` command (fixtures live in conftest)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO_ARTICLES = REPO / "demo" / "site" / "articles"
# The injected clock's start (tests control time instead of sleeping).
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def config_text(db_url: str, feeds: list[dict], *, slack: dict | None = None,
                scheduler: dict | None = None, crawler: dict | None = None,
                alerts: dict | None = None) -> str:
    """A config.toml for a local test site: private addresses allowed, old articles kept."""
    import tomlkit

    doc = {
        "database": {"url": db_url},
        "slack": {"channel": "#beatwire-alerts", "token_env": "BEATWIRE_TEST_SLACK_TOKEN",
                  "digest_cron": "", **(slack or {})},
        "crawler": {"allow_private_addresses": True, "max_article_age_days": 20000,
                    "download_timeout": 5, **(crawler or {})},
        # No backfill window: the sample articles date from 2016, and tests alert them.
        "scheduler": {"tick": 1, "backfill": 0, **(scheduler or {})},
        "feeds": feeds,
    }
    if alerts:
        doc["alerts"] = alerts
    return tomlkit.dumps(doc)


def beatwire_command(config: Path, *args: str) -> list[str]:
    """The `beatwire` command line, run with this interpreter."""
    return [sys.executable, "-m", "cli", "--config", str(config), *args]


def archive_rows(db_url: str, statement) -> list:
    """The rows of one statement, run on an engine of its own (no pool: nothing is kept open)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(statement).all()
    finally:
        engine.dispose()


def restart_postgres() -> None:
    """Restart the machine's PostgreSQL cluster (what a daemon sees on a server restart)."""
    import pytest

    clusters = sorted(Path("/etc/postgresql").iterdir()) if Path("/etc/postgresql").is_dir() else []
    if not clusters or not shutil.which("pg_ctlcluster"):
        pytest.skip("no pg_ctlcluster here to restart PostgreSQL with")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1].name, "main",
                    "restart"], check=True, capture_output=True, timeout=60)


def netns_available() -> bool:
    """True when this process may enter a network namespace of its own (`unshare -n`)."""
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True,
                              timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
