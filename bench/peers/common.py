"""What both peers share: the feed list, the 2-process pool's tasks, the rule and the archive.

Each peer fetches every feed with a conditional GET, parses it with feedparser
and extracts each new article with trafilatura in a 2-process pool, judges it
with a plain keyword rule (an immigration word AND a police word) and stores it
in SQLite, one transaction per article, as Beatwire does.
"""

from __future__ import annotations

import multiprocessing
import re
import sqlite3
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

IMMIGRATION = re.compile(r"\b(?:ICE|immigra\w*|deport\w*|detainers?|undocumented|sanctuary|"
                         r"287\(g\)|border patrol)\b", re.IGNORECASE)
POLICE = re.compile(r"\b(?:police|sheriffs?|deput(?:y|ies)|officers?|troopers?|marshals?)\b",
                    re.IGNORECASE)
POOL_WORKERS = 2


def feed_urls(config_path: Path) -> list[str]:
    """The enabled feeds of the benchmark's config.toml (the one Beatwire reads)."""
    data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    return [feed["url"] for feed in data.get("feeds", []) if feed.get("enabled", True)]


def new_pool() -> ProcessPoolExecutor:
    """Two worker processes, started as Beatwire starts its own (spawn, at the first task)."""
    return ProcessPoolExecutor(POOL_WORKERS, mp_context=multiprocessing.get_context("spawn"))


def parse_feed(body: bytes) -> list[tuple[str, str]]:
    """(link, title) of each entry of a feed document (pool task)."""
    import feedparser

    parsed = feedparser.parse(body)
    return [(entry.link, entry.get("title", "")) for entry in parsed.entries if entry.get("link")]


def extract_and_judge(html: bytes, url: str) -> tuple[str, bool]:
    """The article's main text and whether it is on the topic (pool task)."""
    import trafilatura

    text = trafilatura.extract(html, url=url) or ""
    return text, bool(IMMIGRATION.search(text) and POLICE.search(text))


class Archive:
    """The peer's SQLite file: feed validators for conditional GET, and the articles."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path)
        self.db.executescript(
            "PRAGMA journal_mode=WAL;"
            "CREATE TABLE IF NOT EXISTS feeds (url TEXT PRIMARY KEY, etag TEXT,"
            " last_modified TEXT);"
            "CREATE TABLE IF NOT EXISTS articles (url TEXT PRIMARY KEY, feed TEXT, title TEXT,"
            " body TEXT, on_topic INTEGER);")
        self.known = {row[0] for row in self.db.execute("SELECT url FROM articles")}

    def conditional_headers(self, url: str) -> dict[str, str]:
        row = self.db.execute("SELECT etag, last_modified FROM feeds WHERE url = ?",
                              (url,)).fetchone()
        headers = {}
        if row and row[0]:
            headers["If-None-Match"] = row[0]
        if row and row[1]:
            headers["If-Modified-Since"] = row[1]
        return headers

    def save_feed(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO feeds VALUES (?, ?, ?)",
                            (url, etag, last_modified))

    def claim(self, url: str) -> bool:
        """True the first time an article URL is seen (it is then fetched once)."""
        if url in self.known:
            return False
        self.known.add(url)
        return True

    def save_article(self, url: str, feed: str, title: str, text: str, on_topic: bool) -> None:
        with self.db:  # one transaction per article
            self.db.execute("INSERT OR IGNORE INTO articles VALUES (?, ?, ?, ?, ?)",
                            (url, feed, title, text, int(on_topic)))


def counts(path: Path) -> tuple[int, int]:
    """(articles, on-topic articles) stored in a peer's archive."""
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*), coalesce(sum(on_topic), 0) FROM articles").fetchone()
