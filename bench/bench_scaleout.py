"""Scale-out on PostgreSQL: `run --once --workers N` for N = 1, 2, 3 over one site (issue 8).

    python -m bench.bench_scaleout [--feeds 5000] [--entries 2] [--workers 1,2,3]

Serves one generated site (bench/site.py: F feeds of E entries, one article in
ten on the topic, ETag and 304 on loopback hosts) and the fake Slack Web API
(tests/servers/fake_slack.py, real HTTP on 127.0.0.1, so delivery is part of
the cycle). For each N: a fresh PostgreSQL database, `db upgrade` (not timed),
then `run --once --workers N` twice, each timed as a whole process: the first
cycle (every article new) and the 304 cycle. Checks after each cycle: fetch_log
rows per feed (exactly one each: feeds polled 0 and 2+ times are printed), the
site's 200s and 304s, one alert per statement, sent, and one Slack message per
alert key. Prints the table with the process tree's CPU and the machine's (the
2 cores are shared: another job's load shows in the machine figure).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.site import SitePool, build_site, on_topic_count

REPO = Path(__file__).resolve().parent.parent
# The fake Slack and archive_rows live in tests/ (tests/support.py imports no pytest).
sys.path.insert(0, str(REPO / "tests"))
from support import archive_rows  # noqa: E402

HOSTS = 25
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TOKEN_ENV = "BEATWIRE_BENCH_SLACK_TOKEN"
CHANNEL = "beatwire-alerts"  # one of the fake Slack's channels
POLITENESS = {"default": "", "none": "autothrottle = false\ndownload_delay = 0\n"}


# -- the machine's CPU ------------------------------------------------------------------------

def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def stat_fields(pid: int | str) -> list[str] | None:
    """/proc/PID/stat after the command name (field 3 on), or None if the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def postgres_cpu() -> float:
    """CPU seconds PostgreSQL has used: each postmaster's own and its reaped backends'
    (cutime, cstime), plus its live children's. Another job's queries count too."""
    tick = os.sysconf("SC_CLK_TCK")
    procs = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            fields = comm == "postgres" and stat_fields(entry.name)
            if fields:
                procs[int(entry.name)] = fields
    total = 0
    for fields in procs.values():
        parent = int(fields[1])
        total += int(fields[11]) + int(fields[12])
        if parent not in procs:  # the postmaster: its reaped backends' CPU too
            total += int(fields[13]) + int(fields[14])
    return total / tick


# -- one database per worker count ------------------------------------------------------------

def admin_engine(url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def create_database(admin_url: str, name: str) -> str:
    """A fresh, empty database `name` (dropped first if a failed run left it); its URL."""
    from sqlalchemy import text

    engine = admin_engine(admin_url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(admin_url: str, name: str) -> None:
    from sqlalchemy import text

    engine = admin_engine(admin_url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def write_config(path: Path, bases: list[str], db_url: str, feeds: int, slack_url: str,
                 politeness: str) -> None:
    lines = [f'[database]\nurl = "{db_url}"\n',
             f'[slack]\napi_url = "{slack_url}"\ntoken_env = "{TOKEN_ENV}"\n'
             f'channel = "#{CHANNEL}"\ndigest_cron = ""\n',
             "[crawler]\nallow_private_addresses = true\nobey_robots_txt = false\n"
             # bench_crawl's figures: 64 requests in flight per worker, 2 per site.
             "concurrent_requests = 64\nconcurrent_per_domain = 2\n" + POLITENESS[politeness],
             # backfill 0: the site's articles are days old, and every statement must alert.
             "[scheduler]\nbackfill = 0\n"]
    lines += [f'[[feeds]]\nname = "feed {i}"\nurl = "{bases[i % len(bases)]}/feed-{i}.xml"\n'
              for i in range(feeds)]
    path.write_text("\n".join(lines), encoding="utf-8")


# -- one cycle --------------------------------------------------------------------------------

@dataclass
class Cycle:
    seconds: float  # the whole `run --once --workers N` process, start to exit
    startup: float  # start to the site's first request (interpreters, model loads, database)
    answers: tuple[int, int]  # the site's 200s and 304s
    cpu_seconds: float  # the process tree's user + system CPU
    machine_busy: float  # share of the machine's cores busy over the cycle, all processes
    load: float  # 1-minute load average at the end
    postgres_cpu: float
    site_cpu: float  # the site's servers and this process (the fake Slack)

    def other_cpu(self) -> float:
        """CPU seconds of the machine's other work (another job) during the cycle."""
        machine = self.machine_busy * self.seconds * os.cpu_count()
        return max(0.0, machine - self.cpu_seconds - self.postgres_cpu - self.site_cpu)

    def cpu_line(self) -> str:
        return (f"CPU s: beatwire {self.cpu_seconds:.1f}, postgres {self.postgres_cpu:.1f}, "
                f"site+slack {self.site_cpu:.1f}, other work {self.other_cpu():.1f} "
                f"(machine {self.machine_busy:.0%} busy of {os.cpu_count()} x "
                f"{self.seconds:.1f}s)")


def beatwire(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "cli", "--config", str(config), "--log-level",
            os.environ.get("BENCH_LOG_LEVEL", "WARNING"), *args]


def run_cycle(config: Path, workers: int, site: SitePool, env: dict, log: Path) -> Cycle:
    """One `run --once --workers N`, timed as a whole process, with its tree's CPU."""
    site.reset()
    db0, site0, self0 = postgres_cpu(), site.cpu_seconds(), time.process_time()
    busy0, total0 = machine_ticks()
    started = time.monotonic()
    with open(log, "ab") as err:
        proc = subprocess.Popen(beatwire(config, "run", "--once", "--workers", str(workers)),
                                stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=REPO)
        # wait4: the children and their detection processes, reaped below it, count too.
        _, status, usage = os.wait4(proc.pid, 0)
    ended = time.monotonic()
    busy1, total1 = machine_ticks()
    db1, site1, self1 = postgres_cpu(), site.cpu_seconds(), time.process_time()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"run --once --workers {workers} exited {code}:\n"
                 f"{log.read_text(errors='replace')[-3000:]}")
    first, _ = site.span()
    return Cycle(ended - started, (first - started) if first else 0.0, site.answers(),
                 usage.ru_utime + usage.ru_stime, (busy1 - busy0) / max(1, total1 - total0),
                 loadavg(), db1 - db0, site1 - site0 + self1 - self0)


# -- the checks ---------------------------------------------------------------------------------

def polls_per_feed(db_url: str) -> dict[int, int]:
    """fetch_log rows per feed id, every feed included (0 if never polled)."""
    from sqlalchemy import func, select

    from db.models import Feed, FetchLog

    return dict(archive_rows(db_url, select(Feed.id, func.count(FetchLog.id))
                             .join(FetchLog, FetchLog.feed_id == Feed.id, isouter=True)
                             .group_by(Feed.id)))


def alerts_per_statement(db_url: str) -> tuple[int, Counter, int]:
    """(statements, Counter of alerts per statement, alerts of statements not sent)."""
    from sqlalchemy import func, select

    from db.models import Alert, Statement

    rows = archive_rows(db_url, select(Statement.id, func.count(Alert.id),
                                       func.count(Alert.id).filter(Alert.status != "sent"))
                        .join(Alert, Alert.statement_id == Statement.id, isouter=True)
                        .group_by(Statement.id))
    return len(rows), Counter(n for _, n, _ in rows), sum(unsent for _, _, unsent in rows)


def check_cycle(label: str, db_url: str, before: dict[int, int], cycle: Cycle, slack,
                expected: tuple[int, int], feeds: int) -> tuple[dict[int, int], list[str]]:
    """Print the cycle's checks; the polls so far and what failed."""
    polls = polls_per_feed(db_url)
    delta = Counter(polls.get(f, 0) - before.get(f, 0) for f in polls)
    zero, many = delta[0], sum(n for k, n in delta.items() if k >= 2)
    statements, per_statement, unsent = alerts_per_statement(db_url)
    keys = Counter(slack.posted_keys())
    twice = sum(1 for n in keys.values() if n > 1)
    print(f"    {label}: {cycle.seconds:6.1f}s (start-up {cycle.startup:4.1f}s)  fetch_log: "
          f"{len(polls)} feeds, polled 0 times {zero}, 2+ times {many}  site 200s/304s "
          f"{cycle.answers[0]}/{cycle.answers[1]}  statements {statements}: alerts per "
          f"statement {dict(sorted(per_statement.items()))}, not sent {unsent}  Slack "
          f"{len(keys)} keys, posted twice {twice}\n      {cycle.cpu_line()}", flush=True)
    failed = []
    if len(polls) != feeds or zero or many:
        failed.append(f"{label}: feeds not polled exactly once ({zero} 0 times, {many} 2+)")
    if cycle.answers != expected:
        failed.append(f"{label}: the site answered {cycle.answers}, expected {expected}")
    if set(per_statement) != {1} or unsent or twice:
        failed.append(f"{label}: alerts per statement {dict(per_statement)}, {unsent} not sent, "
                      f"{twice} keys posted twice")
    return polls, failed


def run_workers(workers: int, args, site: SitePool, slack, tmp: Path) -> tuple[list[Cycle],
                                                                                  list[str]]:
    """Both cycles of `run --once --workers N` on a fresh database, checked; dropped after."""
    name = f"beatwire_scaleout_{os.getpid()}_{workers}"
    db_url = create_database(args.pg_admin, name)
    try:
        config = tmp / f"config-{workers}.toml"
        write_config(config, site.bases, db_url, args.feeds, slack.url, args.politeness)
        env = {**os.environ, TOKEN_ENV: slack.token}
        env.pop("BEATWIRE_DATABASE_URL", None)
        log = tmp / f"beatwire-{workers}.log"
        subprocess.run(beatwire(config, "db", "upgrade"), env=env, cwd=REPO,
                       check=True, stdout=subprocess.DEVNULL)
        slack.reset()
        print(f"  {workers} worker(s):", flush=True)
        first = run_cycle(config, workers, site, env, log)
        polls, failed = check_cycle("first cycle", db_url, {}, first, slack,
                                    (args.feeds * (1 + args.entries), 0), args.feeds)
        posted = len(slack.posted)
        again = run_cycle(config, workers, site, env, log)
        _, failed_again = check_cycle("304 cycle  ", db_url, polls, again, slack,
                                      (0, args.feeds), args.feeds)
        if len(slack.posted) != posted:
            failed_again.append(f"304 cycle posted {len(slack.posted) - posted} messages")
        return [first, again], failed + failed_again
    finally:
        drop_database(args.pg_admin, name)


# -- the report ---------------------------------------------------------------------------------

def cores(cycle: Cycle) -> str:
    """Cores used over the cycle: Beatwire's processes / PostgreSQL / the machine's other work."""
    return "/".join(f"{cpu / cycle.seconds:.2f}" for cpu in
                    (cycle.cpu_seconds, cycle.postgres_cpu, cycle.other_cpu()))


def report(results: dict[int, list[Cycle]], args) -> None:
    articles = args.feeds * args.entries
    print(f"\nfeeds={args.feeds} entries/feed={args.entries} articles={articles} (on topic "
          f"{on_topic_count(args.feeds, args.entries)}) hosts={args.hosts} "
          f"politeness={args.politeness}; cores={os.cpu_count()}")
    print("times are whole processes (start-up included); '1st req' rates leave start-up out;\n"
          "cores: CPU s / wall s of Beatwire's processes / PostgreSQL / the machine's other work")
    print(f"{'workers':>7} {'first s':>8} {'articles/s':>10} {'(1st req)':>9} {'304 s':>6} "
          f"{'feeds/s':>8} {'(1st req)':>9} {'ratio c1/c2':>11} {'cores c1':>16} "
          f"{'cores c2':>16} {'load':>5}")
    base = None
    for workers, (first, again) in results.items():
        rates = (articles / first.seconds, args.feeds / again.seconds)
        base = base or rates
        req = (articles / max(1e-3, first.seconds - first.startup),
               args.feeds / max(1e-3, again.seconds - again.startup))
        print(f"{workers:7d} {first.seconds:8.1f} {rates[0]:10.1f} {req[0]:9.1f} "
              f"{again.seconds:6.1f} {rates[1]:8.1f} {req[1]:9.1f} "
              f"{rates[0] / base[0]:5.2f}/{rates[1] / base[1]:<5.2f} {cores(first):>16} "
              f"{cores(again):>16} {first.load:5.1f}")
    for index, name in ((0, "first cycle"), (1, "304 cycle")):
        print(where_it_stops(results, index, name))


def where_it_stops(results: dict[int, list[Cycle]], index: int, name: str) -> str:
    """The first worker count that adds less than half a worker's share of the cycle's rate."""
    counts = sorted(results)
    if len(counts) < 2:
        return f"{name}: one worker count, nothing to compare"
    rate = {n: 1 / results[n][index].seconds for n in counts}
    for low, high in zip(counts, counts[1:], strict=False):
        ideal = rate[low] * high / low
        if rate[high] - rate[low] < 0.5 * (ideal - rate[low]):
            at = results[low][index]
            return (f"{name} stops scaling past {low} worker(s): {high} gave "
                    f"{rate[high] / rate[low]:.2f}x of {low}'s rate (ideal {high / low:.2f}x); "
                    f"at {low} the machine was {at.machine_busy:.0%} busy (cores "
                    f"beatwire/postgres/other {cores(at)} of {os.cpu_count()})")
    return f"{name} scaled to {counts[-1]} worker(s) (each step gave over half its ideal gain)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=5000)
    parser.add_argument("--entries", type=int, default=2, help="entries per feed")
    parser.add_argument("--workers", default="1,2,3", help="comma-separated worker counts")
    parser.add_argument("--hosts", type=int, default=HOSTS)
    parser.add_argument("--server-processes", type=int, default=2)
    # No politeness delay by default: each worker is polite to a site on its own, so with the
    # delay more workers would raise the per-site rate and measure politeness, not the cores.
    parser.add_argument("--politeness", choices=sorted(POLITENESS), default="none")
    parser.add_argument("--pg-admin", default=PG_ADMIN,
                        help="a database to connect to for CREATE/DROP DATABASE")
    args = parser.parse_args()
    try:
        counts = [int(n) for n in args.workers.split(",")]
    except ValueError:
        parser.error(f"--workers: not a comma-separated list of numbers: {args.workers!r}")
    if args.feeds < 1 or args.entries < 1 or min(counts) < 1:
        parser.error("needs --feeds, --entries and every --workers count 1 or more")
    from servers.fake_slack import FakeSlack  # imports pytest: only when the bench runs

    results, failures = {}, []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        build_site(tmp / "site", args.feeds, args.entries)
        site = SitePool(tmp / "site", args.hosts, args.server_processes)
        slack = FakeSlack(channels={"C0ALERTS": CHANNEL}).start()
        try:
            for workers in counts:
                results[workers], failed = run_workers(workers, args, site, slack, tmp)
                failures += [f"{workers} worker(s), {f}" for f in failed]
        finally:
            slack.stop()
            site.close()
    report(results, args)
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
