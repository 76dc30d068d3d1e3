"""One cycle over hostile feeds beside a good one, with every process's peak memory (issue 10).

    python -m bench.bench_hostile_cycle [--depth 100000] [--term-after 5]

Serves a corpus of hostile feeds on 127.0.0.1 (tests/servers/feed_site.py, the builders of
tests/crawler/test_entries.py): entries with a 1 MB and a 2 MB summary paragraph
(bench_hostile's text: detection load), a billion-laughs feed (an internal entity of 3 KB
referenced 100,000 times), an entry whose page nests DEPTH unclosed <div>s, a body that never
ends, one of 50 MB, a gzip bomb, and one that trickles a byte a second; plus one good feed
whose article holds a statement we wrote. Then:

1. `run --init --once` on a fresh SQLite archive, console alerts: the cycle's wall time
   (start-up included) against 60 s, whether the good statement is in the console output, and
   the peak resident memory of every process of the run against 500 MB;
2. `run --init` (the daemon) on another fresh archive, SIGTERM once detection has started
   (a detection worker logged that it cut the 1 MB text) and TERM_AFTER seconds have passed:
   the time to exit against 10 s, any process left, and the tracebacks its log holds.

Memory: every 0.1 s the process tree is walked and each process's VmHWM and VmRSS are read
from /proc/PID/status; a process keeps the largest figure seen. VmHWM is the kernel's own
peak, so a spike between two samples counts, except in a process that exits before the next
sample (a worker killed right after it swelled): its last VmHWM is all that is known. MB =
10^6 bytes (the issue's unit).
"""

from __future__ import annotations

import argparse
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.bench_hostile import text_of

REPO = Path(__file__).resolve().parent.parent
# The feed site and the feed builders live in tests/ (as bench_scaleout imports support).
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "crawler")]
from servers.feed_site import FeedSite, article_page, rss_feed  # noqa: E402
from test_entries import entity_feed  # noqa: E402

MB = 1_000_000
RSS_BAR_MB = 500
CYCLE_BAR_S = 60
TERM_BAR_S = 10
SAMPLE_EVERY = 0.1
GOOD = ("\u201cOur deputies will not hold anyone for ICE past their release date,\u201d "
        "Marlow County Sheriff Dana Ruiz said Tuesday.")
GOOD_MARKS = ("Dana Ruiz", "past their release date")  # what the console alert must show
DETECTING = "text cut before detection"  # a detection worker's log line on the big summaries


# -- the corpus ------------------------------------------------------------------------------

def entry(guid: str, title: str, **fields) -> dict:
    """A feed entry published an hour ago (new, within backfill and max_article_age_days)."""
    return {"guid": guid, "title": title, **fields,
            "published": datetime.now(timezone.utc) - timedelta(hours=1)}


def nested_page(depth: int) -> str:
    """An article page whose text sits under `depth` unclosed <div>s."""
    page = article_page("Nested", ["The council met on Tuesday to discuss the road budget."])
    return page.replace("<article>", "<article>" + "<div>" * depth, 1)


def serve_corpus(site: FeedSite, depth: int) -> list[tuple[str, str]]:
    """Route the hostile feeds and the good one on `site`; (feed name, what it is) each."""
    for kb in (1000, 2000):
        site.route(f"/summary-{kb}k.xml", rss_feed([entry(f"big-{kb}", f"{kb} KB summary",
                                                          summary=text_of(kb * 1000,
                                                                          "paragraph"))]))
    site.route("/laughs.xml", entity_feed("A" * 3000, 100_000))
    site.route("/nested.html", nested_page(depth))
    site.route("/nested.xml", rss_feed([entry("nested", "Nested",
                                              link=site.url("/nested.html"))]))
    site.endless("/endless.xml")
    site.oversized("/huge.xml", 50_000_000)
    site.gzip_bomb("/bomb.xml", 200_000_000)
    site.trickle("/slow.xml", 3600)
    site.route("/news/ruiz.html", article_page(
        "Sheriff: no ICE holds past release", [GOOD, "The county board meets on Thursday."]))
    site.route("/good.xml", rss_feed([entry("ruiz", "Sheriff: no ICE holds past release",
                                            link=site.url("/news/ruiz.html"))]))
    return [("summary-1000k", "one entry, a 1 MB summary paragraph"),
            ("summary-2000k", "one entry, a 2 MB summary paragraph"),
            ("laughs", "internal entity of 3 KB referenced 100,000 times"),
            ("nested", f"entry page with {depth:,} unclosed <div>s"),
            ("endless", "a body that never ends (330 KB/s, no length)"),
            ("huge", "a 50 MB body with an honest Content-Length"),
            ("bomb", "gzip of 200 MB of zeros"),
            ("slow", "3,600 bytes at one byte a second"),
            ("good", "one article with the statement (Marlow County Sheriff Dana Ruiz)")]


def write_config(path: Path, site: FeedSite, db: Path, names: list[str]) -> None:
    """Console alerts, every entry alerted (backfill 0), the feeds polled once a day.

    The corpus shares one host (FeedSite binds 127.0.0.1 only): at the default 2 requests a
    site, the slow feeds would hold both slots and the cycle would measure politeness."""
    lines = [f'[database]\nurl = "sqlite:///{db}"\n',
             '[slack]\nsink = "console"\ndigest_cron = ""\n',
             "[crawler]\nallow_private_addresses = true\nobey_robots_txt = false\n"
             "concurrent_per_domain = 16\nautothrottle = false\ndownload_delay = 0\n",
             '[scheduler]\ntick = 1\ndefault_interval = "1d"\nbackfill = 0\n']
    lines += [f'[[feeds]]\nname = "{name}"\nurl = "{site.url(name + ".xml")}"\n'
              for name in names]
    path.write_text("\n".join(lines), encoding="utf-8")


# -- the process tree and its memory -----------------------------------------------------------

def parents() -> dict[int, int]:
    """pid -> parent pid of every process."""
    found = {}
    for entry_ in Path("/proc").iterdir():
        if entry_.name.isdigit():
            try:
                stat = (entry_ / "stat").read_text()
            except OSError:
                continue
            found[int(entry_.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def tree(root: int) -> list[int]:
    """`root` and all its descendants alive now."""
    children: dict[int, list[int]] = {}
    for pid, parent in parents().items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def status_kb(pid: int) -> dict[str, int]:
    """VmHWM and VmRSS of `pid` in kB (empty if gone or a zombie)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {line.split(":")[0]: int(line.split()[1]) for line in lines
            if line.startswith(("VmHWM:", "VmRSS:"))}


def role(pid: int, root: int) -> str:
    """main, detection worker (maps the model's runtime), parser worker, resource tracker."""
    if pid == root:
        return "main"
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "?"
    if "resource_tracker" in cmdline:
        return "resource tracker"
    if "multiprocessing" not in cmdline:
        return Path(cmdline.split(" ", 1)[0]).name or "?"
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return "parser worker"
    return "detection worker" if "onnxruntime" in maps or "libtorch" in maps else "parser worker"


@dataclass
class Peak:
    role: str
    hwm_kb: int = 0
    rss_kb: int = 0
    first: float = 0.0  # seconds after the start when first seen


@dataclass
class Sampler:
    """Every process under `root` with its peak memory, sampled on each `sample()` call."""

    root: int
    started: float = field(default_factory=time.monotonic)
    peaks: dict[int, Peak] = field(default_factory=dict)

    def sample(self) -> None:
        for pid in tree(self.root):
            figures = status_kb(pid)
            if not figures:
                continue
            peak = self.peaks.setdefault(pid, Peak("?", first=time.monotonic() - self.started))
            if peak.role in ("?", "parser worker"):  # a detection worker maps its model late
                peak.role = role(pid, self.root)
            peak.hwm_kb = max(peak.hwm_kb, figures.get("VmHWM", 0), figures.get("VmRSS", 0))
            peak.rss_kb = max(peak.rss_kb, figures.get("VmRSS", 0))

    def alive(self) -> list[int]:
        """Pids seen under `root` that still run (not zombies)."""
        return [pid for pid in self.peaks if status_kb(pid)]


def beatwire(config: Path, *args: str, stdout, stderr) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cli", "--config", str(config),
                             "--log-level", "INFO", *args],
                            stdout=stdout, stderr=stderr, cwd=REPO)


# -- the two runs ----------------------------------------------------------------------------

def run_once(config: Path, out: Path, log: Path, timeout: float) -> tuple[float, int, Sampler]:
    """`run --init --once`, sampled until it exits: wall seconds, exit status, the peaks."""
    with open(out, "wb") as stdout, open(log, "wb") as stderr:
        proc = beatwire(config, "run", "--init", "--once", stdout=stdout, stderr=stderr)
        sampler = Sampler(proc.pid)
        while proc.poll() is None:
            sampler.sample()
            if time.monotonic() - sampler.started > timeout:
                proc.kill()
                proc.wait()
                break
            time.sleep(SAMPLE_EVERY)
        return time.monotonic() - sampler.started, proc.returncode, sampler


def run_daemon(config: Path, log: Path, term_after: float,
               timeout: float) -> tuple[float | None, float, Sampler, list[int]]:
    """`run --init`, SIGTERM once detection started and `term_after` s passed: the seconds
    to exit (None if it had to be killed), when SIGTERM went, the peaks, pids left running.
    Detection has started when a worker logged DETECTING (the log is at INFO)."""
    with open(log, "wb") as stderr:
        proc = beatwire(config, "run", "--init", stdout=subprocess.DEVNULL, stderr=stderr)
        sampler = Sampler(proc.pid)
        while proc.poll() is None:
            sampler.sample()
            waited = time.monotonic() - sampler.started
            if (waited >= term_after and DETECTING in log.read_text(errors="replace")
                    or waited > 120):
                break
            time.sleep(SAMPLE_EVERY)
        sent = time.monotonic() - sampler.started
        proc.send_signal(signal.SIGTERM)
        termed = time.monotonic()
        while proc.poll() is None and time.monotonic() - termed < timeout:
            sampler.sample()
            time.sleep(SAMPLE_EVERY / 2)
        took = time.monotonic() - termed if proc.poll() is not None else None
        if took is None:
            proc.kill()
            proc.wait()
        time.sleep(1)  # a worker the main process signalled gets a second to go
        return took, sent, sampler, [pid for pid in sampler.alive() if pid != proc.pid]


# -- the report ------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def memory_table(title: str, sampler: Sampler) -> bool:
    """Print each process's peak against the bar; whether all are under it."""
    print(f"\n{title}\n{'pid':>8}  {'process':<18} {'seen at s':>9} {'peak MB':>8} "
          f"{'max VmRSS MB':>12}  verdict")
    ok = True
    for pid, peak in sorted(sampler.peaks.items(), key=lambda item: item[1].first):
        under = peak.hwm_kb * 1024 / MB < RSS_BAR_MB
        ok &= under
        print(f"{pid:>8}  {peak.role:<18} {peak.first:>9.1f} {peak.hwm_kb * 1024 / MB:>8.1f} "
              f"{peak.rss_kb * 1024 / MB:>12.1f}  {verdict(under)} (bar: under {RSS_BAR_MB} MB)")
    return ok


def feed_outcomes(db: Path, started: datetime) -> None:
    """Each feed's status, error and poll (its seconds, when it was recorded after the start),
    and the archive's counts."""
    with sqlite3.connect(db) as conn:
        print(f"\n{'feed':<14} {'status':<7} {'poll s':>6} {'done at s':>9}  error")
        for name, status, error, ms, at in conn.execute(
                "SELECT name, status, last_error, duration_ms, fetched_at FROM feeds "
                "LEFT JOIN fetch_log ON fetch_log.feed_id = feeds.id ORDER BY feeds.id"):
            done = (datetime.fromisoformat(at).replace(tzinfo=timezone.utc) - started
                    ).total_seconds() if at else float("nan")
            print(f"{name:<14} {status:<7} {(ms or 0) / 1000:>6.1f} {done:>9.1f}  "
                  f"{(error or '-')[:100]}")
        counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("articles", "statements", "alerts")}
    print("archive: " + ", ".join(f"{n} {table}" for table, n in counts.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=100_000,
                        help="unclosed <div>s around the nested page's text")
    parser.add_argument("--term-after", type=float, default=5.0,
                        help="least seconds before the daemon is sent SIGTERM")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds before a run is given up (killed)")
    args = parser.parse_args()
    if args.depth < 1 or args.term_after < 0:
        parser.error("needs --depth 1 or more and --term-after 0 or more")
    site = FeedSite().start()
    try:
        corpus = serve_corpus(site, args.depth)
        print(f"{'feed':<14} what (served on {site.base_url})")
        for name, what in corpus:
            print(f"{name:<14} {what}")
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            names = [name for name, _ in corpus]
            write_config(tmp / "once.toml", site, tmp / "once.db", names)
            started = datetime.now(timezone.utc)
            wall, status, once = run_once(tmp / "once.toml", tmp / "once.out", tmp / "once.log",
                                          args.timeout)
            console = (tmp / "once.out").read_text(errors="replace")
            alerted = all(mark in console for mark in GOOD_MARKS)
            print(f"\nrun --init --once: exit {status}, {wall:.1f} s wall (start-up included), "
                  f"{console.count('─' * 72)} alerts printed")
            feed_outcomes(tmp / "once.db", started)
            memory_ok = memory_table("run --once, every process:", once)
            write_config(tmp / "daemon.toml", site, tmp / "daemon.db", names)
            took, sent, daemon, left = run_daemon(tmp / "daemon.toml", tmp / "daemon.log",
                                                  args.term_after, args.timeout)
            daemon_ok = memory_table(f"run (daemon), every process until it exited "
                                     f"(SIGTERM at {sent:.1f} s):", daemon)
            tracebacks = {run: (tmp / f"{run}.log").read_text(errors="replace").count(
                "Traceback") for run in ("once", "daemon")}
            if status != 0 or took is None:
                print("\nonce log tail:\n" + (tmp / "once.log").read_text()[-3000:])
                print("\ndaemon log tail:\n" + (tmp / "daemon.log").read_text()[-3000:])
    finally:
        site.shutdown()
    cycle_ok, term_ok = wall < CYCLE_BAR_S and status == 0, took is not None and took < TERM_BAR_S
    print(f"\ngood statement alerted in the cycle: {'yes' if alerted else 'no'}: "
          f"{verdict(alerted)}")
    print(f"cycle wall time {wall:.1f} s: {verdict(cycle_ok)} (bar: under {CYCLE_BAR_S} s)")
    print(f"peak RSS of every process: {verdict(memory_ok and daemon_ok)} "
          f"(bar: under {RSS_BAR_MB} MB)")
    print(f"SIGTERM to exit: {'killed' if took is None else f'{took:.1f} s'}, "
          f"{len(left)} processes left running: {verdict(term_ok and not left)} "
          f"(bar: under {TERM_BAR_S} s)")
    print(f"tracebacks in the logs (not a bar): --once {tracebacks['once']}, "
          f"daemon {tracebacks['daemon']}")
    return 0 if alerted and cycle_ok and memory_ok and daemon_ok and term_ok and not left else 1


if __name__ == "__main__":
    sys.exit(main())
