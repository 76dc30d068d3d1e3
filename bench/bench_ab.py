"""Beatwire against itself: two checkouts' `run --once` on one served site, interleaved.

    python -m bench.bench_ab BEFORE AFTER [--rounds 4] [--feeds 300] [--entries 8]

BEFORE and AFTER are checkouts (a `git worktree` of the commit to compare with, and
this one), each with its built `detect/data/reader.onnx`. Each round runs each checkout
on a fresh SQLite archive, a first cycle (every article new) then a 304 cycle, with no
politeness delay, in turns (A B, then B A) so the machine's drift hits both. Prints each
run and, for each figure, both medians and the median of the paired ratios after/before:
the figure to quote on a shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench.bench_crawl import child_run, command, write_config
from bench.site import SitePool, build_site

FIGURES = ("first cycle s", "first cycle CPU s", "304 cycle s", "304 cycle CPU s")


def cycle(checkout: Path, config: Path, archive: Path, site: SitePool) -> tuple[float, float]:
    """One `run --once` of `checkout`: seconds from the site's first request to exit, CPU s."""
    ran = child_run(command("beatwire", config, archive), site, cwd=checkout)
    return ran.work, ran.cpu_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--entries", type=int, default=8)
    args = parser.parse_args()
    checkouts = {"before": args.before.resolve(), "after": args.after.resolve()}
    results: dict[str, list[tuple[float, ...]]] = {name: [] for name in checkouts}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        build_site(tmp / "site", args.feeds, args.entries)
        site = SitePool(tmp / "site", 25, 2)
        try:
            for n in range(args.rounds):
                order = list(checkouts) if n % 2 == 0 else list(reversed(checkouts))
                for name in order:
                    config, archive = tmp / f"{name}-{n}.toml", tmp / f"{name}-{n}.db"
                    write_config(config, site.bases, archive, args.feeds, "none")
                    figures = (cycle(checkouts[name], config, archive, site)
                               + cycle(checkouts[name], config, archive, site))
                    results[name].append(figures)
                    shown = (f"{label} {value:.2f}"
                             for label, value in zip(FIGURES, figures, strict=True))
                    print(f"  round {n + 1} {name:6} " + "  ".join(shown), flush=True)
        finally:
            site.close()
    print(f"\nfeeds={args.feeds} entries/feed={args.entries} rounds={args.rounds} politeness=none")
    for i, label in enumerate(FIGURES):
        before = [r[i] for r in results["before"]]
        after = [r[i] for r in results["after"]]
        ratio = statistics.median(a / b for a, b in zip(after, before, strict=True))
        print(f"{label:18} before {statistics.median(before):7.2f}  after "
              f"{statistics.median(after):7.2f}  after/before (paired) {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
