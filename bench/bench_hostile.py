"""Benchmark: detection time against input size, up to a hostile feed's 2 MB summary.

Builds one paragraph (or, with ``--shape article``, many short paragraphs) of written local
news sentences, a quarter of them quoting an agency on immigration (``bench_detect``'s
templates), at 10 KB, 100 KB, 500 KB, 1 MB and 2 MB, and times for each:

- ``detector``: ``Detector.find_statements`` as the daemon runs it (text past
  ``detect.detector.MAX_CHARS`` is cut first, with a log line), model included;
- ``rules uncapped``: the rule layer alone (``Detector.passages``) with the cap lifted, to
  show that detection itself is linear in its input (seconds per MB stays flat).

Prints wall and CPU seconds per size as a curve, then this process's peak memory (address
space and resident), the figures ``crawler.workers.ADDRESS_SPACE_LIMIT`` rests on. The bar
(issue 10): a 1 MB paragraph under 2 s.

Run::

    .venv/bin/python -m bench.bench_hostile
    .venv/bin/python -m bench.bench_hostile --shape article --sizes 10,100,200
"""
from __future__ import annotations

import argparse
import logging
import random
import time

import detect.detector as detector_module
from bench.bench_detect import OFF_TOPIC, ON_TOPIC, fill
from detect import Detector

SIZES_KB = (10, 100, 500, 1000, 2000)


def text_of(size: int, shape: str, seed: int = 7) -> str:
    """About `size` characters of written sentences: one paragraph, or short paragraphs."""
    rng = random.Random(seed)
    parts, total = [], 0
    while total < size:
        part = fill(rng.choice(ON_TOPIC if rng.random() < 0.25 else OFF_TOPIC), rng)
        parts.append(part)
        total += len(part) + 1
    return ("\n" if shape == "article" else " ").join(parts)[:size]


def timed(fn, *args) -> tuple[float, float]:
    """Wall and CPU seconds of `fn(*args)`."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def curve(sizes: list[int], shape: str) -> None:
    """Print detection time per size, capped as the daemon runs it and uncapped rules."""
    detector = Detector()
    wall, _ = timed(lambda: detector.classifier)
    print(f"model load: {wall:.2f} s")
    detector.find_statements(text_of(10_000, shape))  # warm up
    cap = detector_module.MAX_CHARS
    print(f"shape: {shape}; cap MAX_CHARS = {cap:,} characters")
    print(f"{'size':>8} {'detector wall':>14} {'cpu':>7} {'rules uncapped wall':>20} "
          f"{'cpu':>7} {'cpu s/MB':>9}")
    for kb in sizes:
        text = text_of(kb * 1000, shape)
        capped = timed(detector.find_statements, text)
        detector_module.MAX_CHARS = 10**12
        try:
            rules = timed(detector.passages, text)
        finally:
            detector_module.MAX_CHARS = cap
        print(f"{kb:>6}KB {capped[0]:>13.2f}s {capped[1]:>6.2f}s {rules[0]:>19.2f}s "
              f"{rules[1]:>6.2f}s {rules[1] / (kb / 1000):>9.2f}")
    print("bar: a 1 MB paragraph under 2 s (the detector column)")


def peak_memory() -> str:
    """This process's peak address space and resident memory (Linux /proc)."""
    with open("/proc/self/status", encoding="ascii") as status:
        fields = dict(line.split(":", 1) for line in status)
    return " ".join(f"{k}={int(fields[k].split()[0]) // 1024} MB" for k in ("VmPeak", "VmHWM"))


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", choices=("paragraph", "article"), default="paragraph")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES_KB)),
                        help="sizes in KB, comma-separated")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the cap's log line is expected here
    curve([int(s) for s in args.sizes.split(",")], args.shape)
    print(f"peak memory: {peak_memory()}")


if __name__ == "__main__":
    main()
