"""One `run --once` cycle over N local feeds, against a plain feedparser loop.

    python -m bench.bench_crawl [--feeds 500] [--entries 10]

Serves N generated RSS feeds (and their article pages, about one in ten on the
topic) from HOSTS loopback addresses (127.0.0.1, 127.0.0.2, ...: separate sites,
as real feeds are, so per-site politeness applies as it would in production),
runs a full Beatwire cycle into a fresh SQLite file, then a second one (every
feed answers 304 to the conditional GET: the daemon's steady state)
(fetch, parse, extract, detect, store, console alerts), and in the same run a
baseline: `feedparser.parse` over the same feed bodies in a loop. Both run in
child processes so their peak memory (ru_maxrss) is comparable. Prints feeds/s,
peak memory and the ratios; the machine is shared, so ratios matter, not seconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from demo.site_server import serve

ON_TOPIC = ("“Our deputies will not hold anyone on an ICE detainer without a warrant signed "
            "by a judge,” {place} County Sheriff Dana Reyes said Monday.")
OFF_TOPIC = ("The {place} city council approved a new budget for road repairs on Tuesday, "
             "and the police department announced a bicycle safety class for children.")
HOSTS = 25
PLACES = ["Alder", "Birch", "Cedar", "Dunmore", "Elk", "Fenwick", "Glen", "Harlan", "Iron"]

BASELINE = """
import feedparser, io, sys, time
from pathlib import Path
bodies = [p.read_bytes() for p in sorted(Path(sys.argv[1]).glob("feed-*.xml"))]
started = time.perf_counter()
for body in bodies:
    feedparser.parse(io.BytesIO(body))
print(time.perf_counter() - started)
"""


def article(i: int, j: int) -> str:
    place = PLACES[(i + j) % len(PLACES)]
    lead = (ON_TOPIC if (i * 7 + j) % 10 == 0 else OFF_TOPIC).format(place=place)
    filler = " ".join(OFF_TOPIC.format(place=p) for p in PLACES[:6])
    return (f"<!doctype html><html><head><title>Story {i}-{j}</title></head><body>"
            f"<nav><a href='/'>Home</a></nav><article><h1>Story {i}-{j}</h1>"
            f"<p>{lead}</p><p>{filler}</p><p>{filler}</p></article></body></html>")


def feed(i: int, entries: int) -> str:
    items = "".join(
        f"<item><title>Story {i}-{j}</title><link>{{{{BASE}}}}/a/{i}-{j}.html</link>"
        f"<guid>s-{i}-{j}</guid><pubDate>Tue, 24 Nov 2026 10:{j:02d}:00 GMT</pubDate>"
        f"<description>Summary of story {i}-{j}.</description></item>"
        for j in range(entries))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {i}</title><link>{{{{BASE}}}}/</link>{items}</channel></rss>")


def build_site(root: Path, feeds: int, entries: int) -> None:
    (root / "a").mkdir(parents=True)
    for i in range(feeds):
        (root / f"feed-{i}.xml").write_text(feed(i, entries), encoding="utf-8")
        for j in range(entries):
            (root / "a" / f"{i}-{j}.html").write_text(article(i, j), encoding="utf-8")


def write_config(path: Path, bases: list[str], db: Path, feeds: int) -> None:
    lines = [f'[database]\nurl = "sqlite:///{db}"\n',
             '[slack]\ntoken_env = "BEATWIRE_BENCH_NO_TOKEN"\ndigest_cron = ""\n',
             "[crawler]\nallow_private_addresses = true\nobey_robots_txt = false\n"
             ""]
    lines += [f'[[feeds]]\nname = "feed {i}"\nurl = "{bases[i % len(bases)]}/feed-{i}.xml"\n'
              for i in range(feeds)]
    path.write_text("\n".join(lines), encoding="utf-8")


def child_run(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MiB of the child, its stdout."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env={**os.environ, "BEATWIRE_BENCH_NO_TOKEN": ""})
    if os.environ.get("BENCH_LOG"):
        Path(os.environ["BENCH_LOG"]).write_text(proc.stderr)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    # The max over the children so far: the baseline runs first and is the smaller.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, peak // 1024, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--entries", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        build_site(root, args.feeds, args.entries)
        servers = [serve(root, host=f"127.0.0.{h}") for h in range(1, HOSTS + 1)]
        config = Path(tmp) / "config.toml"
        write_config(config, [s.base_url for s in servers], Path(tmp) / "bench.db", args.feeds)

        base_s, base_mb, out = child_run([sys.executable, "-c", BASELINE, str(root)])
        parse_s = float(out.strip())
        cycle = [sys.executable, "-m", "cli", "--config", str(config),
                 "--log-level", os.environ.get("BENCH_LOG_LEVEL", "WARNING"), "run", "--once"]
        cycle_s, cycle_mb, _ = child_run(cycle)
        # The steady state: every feed answers 304 to the conditional GET.
        again_s, _, _ = child_run(cycle)
        alerts = sqlite_count(Path(tmp) / "bench.db")
        for server in servers:
            server.shutdown()
    n = args.feeds
    print(f"feeds={n} entries/feed={args.entries} articles={n * args.entries} alerts={alerts}")
    print(f"baseline feedparser loop: {parse_s:.2f}s parse ({n / parse_s:.0f} feeds/s), "
          f"process {base_s:.2f}s, peak {base_mb} MiB")
    print(f"beatwire run --once:      {cycle_s:.2f}s ({n / cycle_s:.1f} feeds/s), "
          f"peak {cycle_mb} MiB")
    print(f"second cycle (all 304):   {again_s:.2f}s ({n / again_s:.1f} feeds/s)")
    print(f"ratio first cycle/parse-loop time: {cycle_s / parse_s:.1f}x; "
          f"peak memory ratio: {cycle_mb / max(base_mb, 1):.1f}x")
    return 0


def sqlite_count(db: Path) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM alerts").fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
