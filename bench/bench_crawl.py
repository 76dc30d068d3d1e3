"""Beatwire's crawl against its two peers of issue 8, on the same generated site in one run.

    python -m bench.bench_crawl [--feeds 300] [--entries 8] [--runs 3] [--politeness none]

Serves N generated RSS feeds and their article pages (bench/site.py: HOSTS
loopback sites, ETag/Last-Modified, 304 to a matching conditional GET) from a
pool of server processes, then runs each system twice, each cycle its own child
process into its own fresh SQLite file: a first cycle (every article new: fetch,
parse, extract, judge, store) and a second one (every feed answers 304: the
daemon's steady state). The systems: Beatwire `run --once` (console alerts),
the Scrapy peer and the aiohttp peer (bench/peers/). Prints new articles/s for
the first cycle and feeds/s for the 304 cycle, both timed from the site's first
request to the process's exit (start-up, printed apart, is mostly Beatwire's model
load and would otherwise swamp a 304 cycle), peak RSS, CPU seconds, the server's
CPU seconds per cycle (its share: it must not be the bottleneck) and Beatwire's
ratio to each peer; with --runs N, medians. The machine is shared: read the ratios.
`--politeness none` sets AutoThrottle off and no delay (Beatwire and the Scrapy
peer read the same config.toml; the aiohttp peer never waits).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.peers.common import counts
from bench.site import SitePool, build_site, on_topic_count, probe

HOSTS = 25
SYSTEMS = ("beatwire", "scrapy", "aiohttp")
POLITENESS = {"default": "", "none": "autothrottle = false\ndownload_delay = 0\n"}


@dataclass
class Cycle:
    seconds: float  # the child process, start to exit
    startup: float  # start to the site's first request: interpreter, imports, model, database
    work: float  # the first request to exit: the cycle's work and its shutdown
    fetching: float  # the first request to the last
    answers: tuple[int, int]  # the site's 200s and 304s
    peak_mib: float
    cpu_seconds: float
    server_cpu_seconds: float


def write_config(path: Path, bases: list[str], db: Path, feeds: int, politeness: str) -> None:
    lines = [f'[database]\nurl = "sqlite:///{db}"\n',
             '[slack]\ntoken_env = "BEATWIRE_BENCH_NO_TOKEN"\ndigest_cron = ""\n',
             "[crawler]\nallow_private_addresses = true\nobey_robots_txt = false\n"
             # The figures: 64 requests in flight, 2 per site, for every system.
             "concurrent_requests = 64\nconcurrent_per_domain = 2\n" + POLITENESS[politeness]]
    lines += [f'[[feeds]]\nname = "feed {i}"\nurl = "{bases[i % len(bases)]}/feed-{i}.xml"\n'
              for i in range(feeds)]
    path.write_text("\n".join(lines), encoding="utf-8")


def command(system: str, config: Path, archive: Path) -> list[str]:
    if system == "beatwire":
        # --init: each run starts on a fresh archive, created in the first cycle as before.
        return [sys.executable, "-m", "cli", "--config", str(config),
                "--log-level", os.environ.get("BENCH_LOG_LEVEL", "WARNING"), "run", "--init",
                "--once"]
    return [sys.executable, "-m", f"bench.peers.{system}_peer", str(config), str(archive)]


def child_run(cmd: list[str], site: SitePool, cwd: Path | None = None) -> Cycle:
    """One cycle in a child process (in `cwd`: which checkout `-m cli` runs): wall time, its
    own peak RSS and CPU (pool included)."""
    server_before = site.cpu_seconds()
    site.reset()
    started = time.monotonic()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=cwd,
                                env={**os.environ, "BEATWIRE_BENCH_NO_TOKEN": ""})
        # wait4, not RUSAGE_CHILDREN: this child's figures alone, not the max over all so far.
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        ended = time.monotonic()
        err.seek(0)
        log = err.read().decode("utf-8", "replace")
    if os.environ.get("BENCH_LOG"):
        Path(os.environ["BENCH_LOG"]).write_text(log)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{log[-3000:]}")
    # ru_maxrss of a waited child is the largest process of its tree (its pool included).
    first, last = site.span()
    if not first:
        sys.exit(f"no request reached the site: {' '.join(cmd)}")
    return Cycle(ended - started, first - started, ended - first, last - first, site.answers(),
                 usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime,
                 site.cpu_seconds() - server_before)


def stored(system: str, archive: Path) -> tuple[int, int]:
    """(articles, on-topic) the system stored: Beatwire's alerts are its on-topic verdicts."""
    if system != "beatwire":
        return counts(archive)
    with sqlite3.connect(archive) as db:
        return (db.execute("SELECT count(*) FROM articles").fetchone()[0],
                db.execute("SELECT count(*) FROM alerts").fetchone()[0])


def run_system(system: str, tmp: Path, site: SitePool, args, run: int) -> list[Cycle]:
    """First and 304 cycle of one system; exits if it did not do the whole job."""
    archive = tmp / f"{system}-{run}.db"
    config = tmp / f"{system}-{run}.toml"
    write_config(config, site.bases, archive, args.feeds, args.politeness)
    first = child_run(command(system, config, archive), site)
    articles, on_topic = stored(system, archive)
    again = child_run(command(system, config, archive), site)
    expected = args.feeds * args.entries
    if articles != expected or stored(system, archive)[0] != expected:
        sys.exit(f"{system}: stored {articles} articles of {expected}")
    if again.answers != (0, args.feeds):  # the steady state: every feed unchanged, no refetch
        sys.exit(f"{system}: the second cycle got {again.answers[0]} 200s and "
                 f"{again.answers[1]} 304s for {args.feeds} feeds")
    print(f"  run {run} {system:8} first {first.startup:5.2f}s start-up + {first.work:6.2f}s"
          f"  304 cycle {again.startup:5.2f}s + {again.work:6.2f}s (fetching "
          f"{again.fetching:5.2f}s)  on-topic {on_topic}/"
          f"{on_topic_count(args.feeds, args.entries)}", flush=True)
    return [first, again]


def median(cycles: list[Cycle], field: str) -> float:
    return statistics.median(getattr(c, field) for c in cycles)


def report(results: dict[str, list[list[Cycle]]], args) -> None:
    articles, feeds = args.feeds * args.entries, args.feeds
    print(f"\nfeeds={feeds} entries/feed={args.entries} articles={articles} hosts={args.hosts} "
          f"server processes={args.server_processes} politeness={args.politeness} "
          f"runs={args.runs} (medians)")
    print("rates count from the site's first request to the process's exit (start-up apart);\n"
          "the 304 cycle also over its fetching alone (first request to last)")
    print(f"{'system':9} {'start-up s':>10} {'new articles/s':>15} {'304 feeds/s':>12} "
          f"{'(fetching)':>10} {'peak RSS MiB':>13} {'CPU s c1/c2':>12} "
          f"{'server CPU s c1/c2':>19}")
    rate = {}
    for system, (firsts, agains) in results.items():
        rate[system] = (articles / median(firsts, "work"), feeds / median(agains, "work"))
        fetching = feeds / max(median(agains, "fetching"), 1e-3)
        peak = max(median(firsts, "peak_mib"), median(agains, "peak_mib"))
        print(f"{system:9} {median(firsts, 'startup'):10.2f} {rate[system][0]:15.1f} "
              f"{rate[system][1]:12.1f} {fetching:10.0f} {peak:13.0f} "
              f"{median(firsts, 'cpu_seconds'):6.1f}/{median(agains, 'cpu_seconds'):<5.1f} "
              f"{median(firsts, 'server_cpu_seconds'):12.2f}/"
              f"{median(agains, 'server_cpu_seconds'):.2f}")
    if "beatwire" in rate:
        for peer in (s for s in rate if s != "beatwire"):
            print(f"beatwire / {peer}: new articles/s {rate['beatwire'][0] / rate[peer][0]:.2f}x, "
                  f"304 feeds/s {rate['beatwire'][1] / rate[peer][1]:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--entries", type=int, default=8)
    parser.add_argument("--hosts", type=int, default=HOSTS)
    parser.add_argument("--server-processes", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--politeness", choices=sorted(POLITENESS), default="default")
    parser.add_argument("--systems", default=",".join(SYSTEMS),
                        help="comma-separated subset of " + ",".join(SYSTEMS))
    args = parser.parse_args()
    systems = args.systems.split(",")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        build_site(tmp / "site", args.feeds, args.entries)
        site = SitePool(tmp / "site", args.hosts, args.server_processes)
        try:
            feed_urls = [f"{site.bases[i % args.hosts]}/feed-{i}.xml" for i in range(args.feeds)]
            before = site.cpu_seconds()
            ceiling = probe(feed_urls, conditional=True)
            print(f"site: a client that only reads gets {ceiling:.0f} 304s/s "
                  f"(server CPU {site.cpu_seconds() - before:.2f}s over the 3s probe)")
            results = {s: [[], []] for s in systems}
            for run in range(1, args.runs + 1):
                for system in systems:  # interleaved: the machine's noise hits every system
                    cycles = run_system(system, tmp, site, args, run)
                    for kept, cycle in zip(results[system], cycles, strict=True):
                        kept.append(cycle)
        finally:
            site.close()
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
