"""The daemon's memory over many poll cycles (issue 8: "Memory stays flat").

    python -m bench.bench_memory [--feeds 2000] [--cycles 20] [--changed 0.01]

Serves F generated feeds on loopback hosts (ETag, 304 to a matching conditional
GET; a few feeds gain a new article each cycle), runs one long-lived `beatwire
run --init` over them with a one-second poll interval, and samples the main
process's resident memory (VmRSS) and its worker processes' once per cycle (a
cycle ends when every feed has been polled once more). Prints the table, the
main process's peak and its growth from cycle 2 (after warm-up) to the last,
PASS/FAIL against the issue's bars (peak under 200 MB, growth within 10%), and
the main process's ratio to a peer measured in the same run: a bare interpreter
that has imported the same libraries and app modules (no work done).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

from bench.site import article, serve_hosts

HOSTS = 25
MB = 1_000_000  # the unit: 200 MB is 200 million bytes
PEAK_BAR_MB = 200
GROWTH_BAR = 0.10
# The old entries' date: past scheduler.backfill at the first poll, within max_article_age_days.
OLD_DATE = "Tue, 24 Nov 2026 10:{minute:02d}:00 GMT"
# What the peer imports: the libraries and app modules the daemon's main process holds
# (detection's model and trafilatura live in the worker processes, not here).
PEER_IMPORTS = ("scrapy", "twisted", "sqlalchemy", "feedparser", "apscheduler.schedulers.asyncio",
                "cli", "scheduler", "crawler.service", "crawler.spiders.feeds", "db.migrate",
                "web.metrics_port")


# -- the site: feeds that change a little each cycle ---------------------------------------

def feed_body(i: int, revision: int, entries: int, base: str, new_date: str) -> bytes:
    """Feed i at `revision`: its latest `entries` entries; those past the first are new."""
    items = []
    for j in range(revision, revision + entries):
        date = OLD_DATE.format(minute=j) if j < entries else new_date
        items.append(f"<item><title>Story {i}-{j}</title><link>{base}/a/{i}-{j}.html</link>"
                     f"<guid>s-{i}-{j}</guid><pubDate>{date}</pubDate>"
                     f"<description>Summary of story {i}-{j}.</description></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {i}</title><link>{base}/</link>{''.join(items)}</channel>"
            f"</rss>").encode("utf-8")


def _app(base: str, entries: int, revisions, polls, answers, slot: int, new_date: str):
    """One host's feeds and articles, made on request from the shared revisions."""
    from aiohttp import web

    async def handle(request):
        path = request.path
        if path.startswith("/feed-") and path.endswith(".xml"):
            i = int(path[6:-4])
            polls[i] += 1
            revision = revisions[i]
            etag = f'"f{i}-r{revision}"'
            make = lambda: feed_body(i, revision, entries, base, new_date)  # noqa: E731
            kind = "application/rss+xml"
        elif path.startswith("/a/") and path.endswith(".html"):
            i, j = (int(n) for n in path[3:-5].split("-"))
            etag = f'"a{i}-{j}"'
            make = lambda: article(i, j).encode("utf-8")  # noqa: E731
            kind = "text/html"
        else:
            return web.Response(status=404, text="not found")
        if etag in request.headers.get("If-None-Match", ""):
            answers[slot + 1] += 1
            return web.Response(status=304, headers={"ETag": etag})
        answers[slot] += 1
        return web.Response(body=make(), headers={"ETag": etag,
                                                  "Content-Type": f"{kind}; charset=utf-8"})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    return app


def _serve(hosts: list[str], entries: int, revisions, polls, answers, slot: int,
           new_date: str, ports) -> None:
    """One server process: each host of its share on a free port, until terminated."""
    serve_hosts(hosts, lambda base: _app(base, entries, revisions, polls, answers, slot,
                                         new_date), ports)


class ChangingSite:
    """F feeds on `hosts` loopback addresses; `bump` gives a feed one new article."""

    def __init__(self, feeds: int, entries: int, hosts: int, processes: int = 2):
        context = multiprocessing.get_context("spawn")
        names = [f"127.0.0.{h}" for h in range(1, hosts + 1)]
        count = min(processes, hosts)
        self.revisions = context.Array("i", feeds, lock=False)
        self.polls = context.Array("i", feeds, lock=False)  # feed requests, per feed
        self.answers = context.Array("q", 2 * count, lock=False)  # 200s, 304s per process
        ports = context.Queue()
        new_date = formatdate(time.time() - 3600, usegmt=True)
        self.processes = [
            context.Process(target=_serve, daemon=True,
                            args=(names[k::count], entries, self.revisions, self.polls,
                                  self.answers, 2 * k, new_date, ports))
            for k in range(count)]
        for proc in self.processes:
            proc.start()
        bound = {}
        for _ in self.processes:
            bound.update(ports.get(timeout=120))
        self.bases = [bound[name] for name in names]

    def cycles_done(self) -> int:
        """How many times every feed has been polled."""
        return min(self.polls)

    def bump(self, feeds: range | list[int]) -> None:
        for i in feeds:
            self.revisions[i] += 1

    def totals(self) -> tuple[int, int]:
        """(200s, 304s) answered so far."""
        return sum(self.answers[0::2]), sum(self.answers[1::2])

    def close(self) -> None:
        for proc in self.processes:
            proc.terminate()
        for proc in self.processes:
            proc.join(10)


# -- memory of a process and its workers ---------------------------------------------------

def status_mb(pid: int, field: str) -> float:
    """A /proc/PID/status figure (VmRSS, VmHWM) in MB; 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024 / MB
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def children(pid: int) -> list[int]:
    """The direct child processes of `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def holds_torch(pid: int) -> bool:
    """Whether the process has torch loaded: a detection worker (the parsers do not)."""
    try:
        with open(f"/proc/{pid}/maps") as maps:
            return any("libtorch" in line for line in maps)
    except OSError:
        return False


@dataclass
class Sample:
    cycle: int
    seconds: float  # since the daemon started
    main: float
    detect: list[float]  # each detection worker's RSS, MB
    other: list[float]  # the other children: feed/page parsers, multiprocessing's tracker
    answers: tuple[int, int] = (0, 0)  # the site's 200s and 304s so far


def sample(pid: int, cycle: int, started: float) -> Sample:
    detect, other = [], []
    for child in children(pid):
        (detect if holds_torch(child) else other).append(status_mb(child, "VmRSS"))
    return Sample(cycle, time.monotonic() - started, status_mb(pid, "VmRSS"), detect, other)


def peer_mb() -> float:
    """RSS of a bare interpreter that has imported what the daemon's main process imports."""
    code = ("import importlib, sys\n"
            f"for name in {PEER_IMPORTS!r}: importlib.import_module(name)\n"
            "assert 'torch' not in sys.modules, 'the peer imported torch'\n"
            "print(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, cwd=Path(__file__).resolve().parent.parent)
    return int(out.stdout.split()[-1]) * 1024 / MB


# -- the daemon ------------------------------------------------------------------------------

def write_config(path: Path, bases: list[str], db: Path, feeds: int, batch: int) -> None:
    """The daemon's config: every feed due each second, no politeness delay, console alerts."""
    lines = [f'[database]\nurl = "sqlite:///{db}"\n',
             '[slack]\nsink = "console"\ndigest_cron = ""\n',
             "[crawler]\nallow_private_addresses = true\nobey_robots_txt = false\n"
             "concurrent_requests = 64\nconcurrent_per_domain = 2\n"
             "autothrottle = false\ndownload_delay = 0\n",
             f"[scheduler]\ntick = 1\ndefault_interval = 1\nbatch_size = {batch}\n"]
    lines += [f'[[feeds]]\nname = "feed {i}"\nurl = "{bases[i % len(bases)]}/feed-{i}.xml"\n'
              for i in range(feeds)]
    path.write_text("\n".join(lines), encoding="utf-8")


def changed_feeds(cycle: int, feeds: int, share: float) -> range:
    """The feeds that gain an article before `cycle`: a different slice each cycle."""
    stride = max(1, round(1 / share)) if share > 0 else 0
    return range(cycle % stride, feeds, stride) if stride else range(0)


def run_daemon(config: Path, site: ChangingSite, args, log_path: Path) -> tuple[list[Sample],
                                                                                float]:
    """Run `beatwire run` for `args.cycles` cycles; the samples and the main's VmHWM."""
    cmd = [sys.executable, "-m", "cli", "--config", str(config), "--log-level",
           os.environ.get("BENCH_LOG_LEVEL", "WARNING"), "run", "--init"]
    samples: list[Sample] = []
    with open(log_path, "wb") as log:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log,
                                cwd=Path(__file__).resolve().parent.parent)
        try:
            deadline = started + args.cycle_timeout
            while len(samples) < args.cycles:
                time.sleep(0.2)
                if proc.poll() is not None:
                    sys.exit(f"beatwire run exited {proc.returncode}:\n{tail(log_path)}")
                done = site.cycles_done()
                if done > len(samples):
                    samples.append(sample(proc.pid, done, started))
                    samples[-1].answers = site.totals()
                    print(row(samples[-1]), flush=True)
                    site.bump(changed_feeds(done + 1, args.feeds, args.changed))
                    deadline = time.monotonic() + args.cycle_timeout
                elif time.monotonic() > deadline:
                    sys.exit(f"cycle {len(samples) + 1} did not finish in {args.cycle_timeout}s "
                             f"(least-polled feed: {done} polls)\n{tail(log_path)}")
            peak = status_mb(proc.pid, "VmHWM")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return samples, peak


def tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:]


# -- the report ------------------------------------------------------------------------------

HEADER = (f"{'cycle':>5} {'at s':>7} {'main MB':>8} {'detect workers MB':>20} "
          f"{'other children MB':>20}")


def row(s: Sample) -> str:
    detect = "+".join(f"{m:.0f}" for m in s.detect) or "-"
    other = "+".join(f"{m:.0f}" for m in s.other) or "-"
    return f"{s.cycle:5d} {s.seconds:7.1f} {s.main:8.1f} {detect:>20} {other:>20}"


def verdict(samples: list[Sample], hwm: float, peer: float) -> bool:
    """Print the peak, the growth after warm-up, the ratio to the peer; whether both bars hold."""
    peak = max([s.main for s in samples] + [hwm])  # VmHWM: the peak between samples too
    warm = samples[1] if len(samples) > 1 else samples[0]
    last = samples[-1]
    growth = (last.main - warm.main) / warm.main
    peak_ok, growth_ok = peak < PEAK_BAR_MB, abs(growth) <= GROWTH_BAR
    print(f"\npeak main RSS {peak:.1f} MB (VmHWM, the first cycle included; largest sample "
          f"from cycle 2 on {max(s.main for s in samples[1:]):.1f}): "
          f"{'PASS' if peak_ok else 'FAIL'} (bar: under {PEAK_BAR_MB} MB)")
    print(f"growth cycle {warm.cycle} -> {last.cycle}: {warm.main:.1f} -> {last.main:.1f} MB "
          f"= {growth:+.1%}: {'PASS' if growth_ok else 'FAIL'} (bar: within "
          f"{GROWTH_BAR:.0%})")
    print(f"peer (a bare interpreter with the same imports): {peer:.1f} MB; main / peer: "
          f"peak {peak / peer:.2f}x, last cycle {last.main / peer:.2f}x")
    detect = [sum(s.detect) for s in samples if s.detect]
    if detect:
        print(f"detection workers: {len(samples[-1].detect)} at the end, together "
              f"{detect[-1]:.0f} MB (largest total {max(detect):.0f} MB)")
    return peak_ok and growth_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    # One entry a feed: the first cycle (every article new) is not what this measures.
    parser.add_argument("--entries", type=int, default=1, help="entries per feed")
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--changed", type=float, default=0.01,
                        help="share of feeds with one new article each cycle")
    parser.add_argument("--hosts", type=int, default=HOSTS)
    parser.add_argument("--batch-size", type=int, default=50, help="scheduler.batch_size")
    parser.add_argument("--cycle-timeout", type=float, default=300.0)
    args = parser.parse_args()
    if args.cycles < 2 or args.feeds < 1:
        parser.error("needs --cycles 2 or more and --feeds 1 or more")
    peer = peer_mb()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        site = ChangingSite(args.feeds, args.entries, args.hosts)
        try:
            config = tmp / "config.toml"
            write_config(config, site.bases, tmp / "archive.db", args.feeds, args.batch_size)
            print(f"feeds={args.feeds} entries/feed={args.entries} cycles={args.cycles} "
                  f"changed/cycle={args.changed:.1%} hosts={args.hosts} "
                  f"batch_size={args.batch_size}\n{HEADER}", flush=True)
            samples, hwm = run_daemon(config, site, args, tmp / "daemon.log")
        finally:
            site.close()
    (ok1, nm1), (ok, nm) = samples[0].answers, samples[-1].answers
    ok, nm = ok - ok1, nm - nm1  # after the first cycle, the steady state
    print(f"site answered {ok1} 200s and {nm1} 304s in cycle 1, then {ok} 200s and {nm} 304s "
          f"({nm / max(1, ok + nm):.1%} 304) in cycles 2-{samples[-1].cycle}")
    return 0 if verdict(samples, hwm, peer) else 1


if __name__ == "__main__":
    sys.exit(main())
