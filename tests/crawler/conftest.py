"""Crawler test fixtures, and how crawl tests run the reactor.

A Twisted reactor runs once per process and cannot restart. So each crawl
test runs the real CrawlService in a fresh Python process (crawl_child.py,
via `run_crawl`): the test sets up the feed site (a thread in the pytest
process, on 127.0.0.1) and a migrated database (SQLite file or PostgreSQL
schema), the child crawls and exits, and the test then checks the database
and the site's request log. Nothing Twisted runs inside pytest's process, so
these tests never disturb other suites (and a hung crawl is killed by the
child's timeout and pytest-timeout instead of hanging the session). Unit
tests of pure pieces (URLs, addresses, parsing) run in-process as usual.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("crawl_child.py")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_config(feed_site, db_url):
    """Builder: a config dict for `feeds` on the local site and the test database."""

    def build(feeds: list[dict], **crawler) -> dict:
        settings = {"allow_private_addresses": True, "download_timeout": 5,
                    "obey_robots_txt": False, "extract_timeout": 10, **crawler}
        return {"database": {"url": db_url}, "slack": {"channel": "#test"},
                "crawler": settings, "feeds": feeds}

    return build


@pytest.fixture
def run_crawl():
    """Run CrawlService in a child process with `actions`; the child's result dict."""

    def run(config: dict, actions: list[dict], *, detector: str = "none",
            parser: str = "real", ssrf_exempt: list[str] | None = None,
            only_origins: list[str] | None = None, timeout: float = 120) -> dict:
        job = {"config": config, "actions": actions, "detector": detector, "parser": parser,
               "ssrf_exempt": ssrf_exempt or [], "only_origins": only_origins or []}
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        done = subprocess.run([sys.executable, str(CHILD)], input=json.dumps(job),
                              capture_output=True, text=True, timeout=timeout, cwd=REPO, env=env)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            pytest.fail(f"crawl child failed (exit {done.returncode}):\n{done.stderr[-6000:]}")
        result = json.loads(lines[-1][len("RESULT "):])
        result["log"] = done.stderr
        return result

    return run


@pytest.fixture
def make_feed():
    """Builder: feed XML from entry dicts (title, link, guid, summary, published)."""
    from servers.feed_site import atom_feed, rss_feed

    def build(entries: list[dict], kind: str = "rss", **kwargs) -> str:
        return (atom_feed if kind == "atom" else rss_feed)(entries, **kwargs)

    return build
