"""cProfile of one Beatwire `run --once` cycle over the benchmark's generated site.

    python -m bench.profile_cycle [--feeds 300] [--entries 8] [--cycle first|304] [--top 15]
                                  [--timer cpu|wall] [--politeness none] [--save FILE]

Serves the site as bench/bench_crawl.py does, then runs the cycle in a child
process under cProfile with every thread profiled (the reactor's, the database
thread, the detection threads), merges the threads' stats and prints the top
items by cumulative and by self time, and the CPU split between the main
process and its pool. `--cycle 304` profiles the second cycle (all 304), after
an unprofiled first one. `--save FILE` keeps the merged pstats.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.bench_crawl import HOSTS, POLITENESS, child_run, command, write_config
from bench.site import SitePool, build_site


def thread_cpu_clock():
    """This thread's CPU time, read the same from any thread.

    The stats of a thread still inside a call (an idle pool thread waiting for work) are
    closed from the main thread at the end: with time.thread_time they would be charged
    the main thread's CPU, so each thread's profiler reads its own thread's clock by id.
    """
    clock_id = time.pthread_getcpuclockid(threading.get_ident())
    last = 0.0

    def read() -> float:
        nonlocal last
        try:
            last = time.clock_gettime(clock_id)
        except OSError:  # the thread has ended: its time stands still
            pass
        return last

    return read


TIMERS = {"cpu": thread_cpu_clock, "wall": lambda: time.perf_counter}
# Beatwire's own modules: under the checkout, not its venv and not this benchmark.
PROJECT = "^" + re.escape(str(Path(__file__).resolve().parent.parent)) + r"/(?!\.venv/|bench/)"


def profiled_cycle(config: str, out: str, timer: str) -> None:
    """In the child: one `run --once` with every thread under cProfile; stats to `out`."""
    clock = TIMERS[timer]
    profiles = [("MainThread", cProfile.Profile(clock()))]

    def start_thread_profile(*_):
        # First event of a new thread: swap this hook for a profiler of that thread's own.
        profile = cProfile.Profile(clock())
        profiles.append((threading.current_thread().name, profile))
        profile.enable()

    import cli

    threading.setprofile(start_thread_profile)
    profiles[0][1].enable()
    try:
        # --init: the first cycle's archive is fresh (created in the profile, as at a start).
        cli.main(["--config", config, "--log-level", "WARNING", "run", "--init", "--once"],
                 standalone_mode=False)
    except SystemExit:
        pass
    finally:
        profiles[0][1].disable()
        threading.setprofile(None)
    stats, per_thread = None, {}
    for name, profile in profiles:
        try:
            one = pstats.Stats(profile)
        except TypeError:  # a thread that never ran a profiled call has no stats
            continue
        # Thread names end in a number per thread of a pool: one line per pool.
        pool = re.sub(r"[-_]?\d+$", "", name.split(" ")[0]) or name
        per_thread[pool] = per_thread.get(pool, 0.0) + one.total_tt
        stats = one if stats is None else stats.add(one)
    stats.dump_stats(out)
    own = resource.getrusage(resource.RUSAGE_SELF)
    pool = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"main process CPU {own.ru_utime + own.ru_stime:.1f}s, "
          f"pool processes CPU {pool.ru_utime + pool.ru_stime:.1f}s, "
          f"threads profiled {len(profiles)}")
    print("profiled time by thread: " + ", ".join(
        f"{name} {seconds:.1f}s" for name, seconds in sorted(per_thread.items(),
                                                            key=lambda kv: -kv[1])))


def top(stats_path: str, key: str, count: int, *restrict) -> str:
    buffer = io.StringIO()
    stats = pstats.Stats(stats_path, stream=buffer)
    stats.sort_stats(key).print_stats(*restrict, count)
    lines = buffer.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return "\n".join(lines[start:start + count + 1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--entries", type=int, default=8)
    parser.add_argument("--cycle", choices=("first", "304"), default="first")
    parser.add_argument("--politeness", choices=sorted(POLITENESS), default="default")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--timer", choices=sorted(TIMERS), default="cpu",
                        help="cpu: each thread's CPU time (waits cost nothing); wall: elapsed")
    parser.add_argument("--save", help="keep the merged pstats file here")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        profiled_cycle(*args.child)
        return 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        build_site(tmp / "site", args.feeds, args.entries)
        site = SitePool(tmp / "site", HOSTS, 2)
        try:
            config, archive = tmp / "config.toml", tmp / "bench.db"
            write_config(config, site.bases, archive, args.feeds, args.politeness)
            if args.cycle == "304":
                child_run(command("beatwire", config, archive), site)
            out = args.save or str(tmp / "cycle.pstats")
            proc = subprocess.run([sys.executable, "-m", "bench.profile_cycle", "--child",
                                   str(config), out, args.timer], capture_output=True, text=True,
                                  env={**os.environ, "BEATWIRE_BENCH_NO_TOKEN": ""})
            if proc.returncode != 0:
                sys.exit(proc.stderr[-3000:])
            print(f"feeds={args.feeds} entries={args.entries} cycle={args.cycle} "
                  f"politeness={args.politeness} timer={args.timer}; {proc.stdout.strip()}")
            print(f"\ntop {args.top} of Beatwire's own functions by cumulative time "
                  "(all threads merged)")
            print(top(out, "cumulative", args.top, PROJECT))
            print(f"\ntop {args.top} by self time (all threads merged, any code)")
            print(top(out, "tottime", args.top))
        finally:
            site.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
