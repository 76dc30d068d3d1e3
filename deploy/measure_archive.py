"""Measure the archive's bytes per article and per poll (deploy/README.md's sizing figures).

    .venv/bin/python -m deploy.measure_archive [--postgres URL] [--feeds N] [--entries N]

Runs `beatwire run --once` twice over bench/site.py's generated site into a fresh SQLite file
(and a fresh PostgreSQL database when --postgres names one to create and drop), replaces each
article's text by --chars distinct characters of real news text from --corpus, vacuums, and
prints bytes per article and per fetch_log row (grown to 100,000 copies of its real rows).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_crawl import write_config
from bench.site import SitePool, build_site

REPO = Path(__file__).resolve().parent.parent
COLUMNS = "feed_id, fetched_at, http_status, outcome, error, entries, new_articles, duration_ms"
FETCH_LOG_ROWS = 100_000


def beatwire(config: Path, url: str, *args: str) -> None:
    env = {**os.environ, "BEATWIRE_DATABASE_URL": url, "BEATWIRE_BENCH_NO_TOKEN": ""}
    subprocess.run([sys.executable, "-m", "cli", "--config", str(config), "--log-level", "ERROR",
                    *args], cwd=REPO, env=env, check=True)


def real_texts(corpus: Path, count: int, chars: int) -> list[str]:
    """`count` texts of `chars` characters, each a different mix of the corpus's passages."""
    passages = [json.loads(line)["text"] for line in corpus.open(encoding="utf-8")]
    texts, k = [], 0
    for _ in range(count):
        text = ""
        while len(text) < chars:
            text += passages[k % len(passages)] + "\n\n"
            k += 7
        texts.append(text[:chars])
    return texts


def sqlite_figures(path: Path, texts: list[str]) -> dict[str, float]:
    db = sqlite3.connect(path)
    ids = [row[0] for row in db.execute("SELECT id FROM articles ORDER BY id")]
    # strict: every generated article must have been stored, or the figures mean nothing.
    db.executemany("UPDATE articles SET text = ? WHERE id = ?", list(zip(texts, ids, strict=True)))
    db.commit()
    db.execute("VACUUM")

    def size(pattern: str) -> int:
        return db.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE ?",
                          (pattern,)).fetchone()[0]

    figures = {"article": size("%articles%") / len(ids),
               "feed entry": size("%feed_entries%") / len(ids)}
    before = size("%fetch_log%")
    rows = grow_fetch_log(db.execute, db.commit)
    figures["fetch_log row"] = (size("%fetch_log%") - before) / rows
    return figures


def postgres_figures(url: str, texts: list[str]) -> dict[str, float]:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as db:
        ids = [row[0] for row in db.execute("SELECT id FROM articles ORDER BY id")]
        with db.cursor() as cursor:
            cursor.executemany("UPDATE articles SET text = %s WHERE id = %s",
                               list(zip(texts, ids, strict=True)))
        db.execute("VACUUM FULL")

        def size(table: str) -> int:
            return db.execute("SELECT pg_total_relation_size(%s)", (table,)).fetchone()[0]

        figures = {"article": size("articles") / len(ids),
                   "feed entry": size("feed_entries") / len(ids)}
        before = size("fetch_log")
        rows = grow_fetch_log(db.execute, lambda: None)
        figures["fetch_log row"] = (size("fetch_log") - before) / rows
    return figures


def grow_fetch_log(execute, commit) -> int:
    """Copy fetch_log's rows onto itself until it holds FETCH_LOG_ROWS; how many were added."""
    count = "SELECT count(*) FROM fetch_log"
    start = execute(count).fetchone()[0]
    while execute(count).fetchone()[0] < FETCH_LOG_ROWS:
        execute(f"INSERT INTO fetch_log ({COLUMNS}) SELECT {COLUMNS} FROM fetch_log")
    commit()
    return execute(count).fetchone()[0] - start


def scratch_database(url: str, create: bool) -> None:
    """Create (or drop) the PostgreSQL database `url` names, from its server's postgres db."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    server = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(server.render_as_string(hide_password=False), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{parsed.database}"')
        if create:
            db.execute(f'CREATE DATABASE "{parsed.database}"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=4)
    parser.add_argument("--chars", type=int, default=4000, help="article text length")
    parser.add_argument("--corpus", type=Path,
                        default=REPO.parent / "shared" / "corpus" / "real" / "train.jsonl")
    parser.add_argument("--postgres", metavar="URL",
                        help="a scratch database to create, measure and drop")
    args = parser.parse_args()
    texts = real_texts(args.corpus, args.feeds * args.entries, args.chars)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        build_site(tmp / "site", args.feeds, args.entries)
        site = SitePool(tmp / "site", hosts=10, processes=2)
        archive, config = tmp / "archive.db", tmp / "config.toml"
        urls = [f"sqlite:///{archive}"] + ([args.postgres] if args.postgres else [])
        try:
            write_config(config, site.bases, archive, args.feeds, "none")
            if args.postgres:
                scratch_database(args.postgres, create=True)
            for url in urls:
                beatwire(config, url, "db", "upgrade")
                for _ in range(2):  # new articles, then every feed unchanged (304)
                    beatwire(config, url, "run", "--once")
        finally:
            site.close()
        results = {"sqlite": sqlite_figures(archive, texts)}
        if args.postgres:
            results["postgresql"] = postgres_figures(args.postgres, texts)
            scratch_database(args.postgres, create=False)
    print(f"{args.feeds * args.entries} articles of {args.chars} characters")
    for engine, figures in results.items():
        print(f"{engine:10} " + "  ".join(f"{name} {value:,.0f} B"
                                         for name, value in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
