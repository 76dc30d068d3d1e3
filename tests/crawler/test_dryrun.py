"""`beatwire feeds test URL`: the real crawl into a throwaway archive; nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from servers.feed_site import article_page, rss_feed

pytestmark = pytest.mark.timeout(120)
REPO = Path(__file__).resolve().parents[2]


def _feeds_test(tmp_path, url: str, *extra: str, allow_private: bool = True):
    config = tmp_path / "config.toml"
    db = tmp_path / "archive.db"
    config.write_text(f'[database]\nurl = "sqlite:///{db}"\n[crawler]\n'
                      f"allow_private_addresses = {str(allow_private).lower()}\n"
                      "obey_robots_txt = false\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "cli", "--config", str(config), "feeds", "test",
                           url, *extra], cwd=REPO, capture_output=True, text=True, timeout=100)
    return done, db


def test_shows_what_would_be_stored_and_writes_nothing(feed_site, tmp_path):
    text = ("Police Chief Jane Roe said: \"We are not going to work with ICE on deportation "
            "efforts. That is not our job.\" The department will not honor detainers.")
    feed_site.route("/a.html", article_page("Chief on ICE", [text, text]))
    feed_site.route("/feed.xml", rss_feed([{"title": "Chief on ICE", "guid": "1",
                                            "link": feed_site.url("/a.html")}]))

    done, db = _feeds_test(tmp_path, feed_site.url("/feed.xml"))

    assert done.returncode == 0, done.stderr
    assert "ok (HTTP 200), 1 entries" in done.stdout
    assert "Chief on ICE" in done.stdout and "text from the page" in done.stdout
    assert "nothing was written" in done.stdout
    assert not db.exists()


def test_a_failing_feed_exits_1_with_its_error(feed_site, tmp_path):
    feed_site.status("/gone.xml", 410)

    done, _ = _feeds_test(tmp_path, feed_site.url("/gone.xml"))

    assert done.returncode == 1
    assert "error: HTTP 410 Gone" in done.stdout


def test_html_kind_needs_a_selector(tmp_path):
    done, _ = _feeds_test(tmp_path, "http://127.0.0.1:9/news/", "--kind", "html")
    assert done.returncode == 2 and "item_selector" in done.stdout
