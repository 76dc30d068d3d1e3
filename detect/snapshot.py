"""Outcome snapshot: what the detector says about every labelled item, kept in review.

``tests/detect/data/snapshot.json`` holds, per labelled item id (no passage text), the
outcome (relevant, stance, agency, score) and whether it matches its gold label (the
known misses are the items that do not). A test compares a fresh run with it, so a
change to rules or model that flips items names each flip; ``make eval`` prints them.
After an intended change, ``python -m detect.snapshot --write`` records the new outcomes.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .classify import classify_lines
from .evaluate import label, load_jsonl

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "detect" / "data" / "snapshot.json"
SOURCES = (ROOT.parent / "shared" / "corpus" / "real" / "train.jsonl",
           ROOT.parent / "shared" / "corpus" / "dev.jsonl",
           *sorted((ROOT / "tests" / "detect" / "data").glob("*.jsonl")))
# A score this close to the threshold may round either way on another CPU.
MARGIN = 0.01


def labelled(paths=SOURCES) -> dict[str, dict]:
    """Every labelled item of the files that exist, keyed by ``file:id``."""
    items = {}
    for path in paths:
        if path.exists():
            with open(path, encoding="utf-8") as handle:
                items.update({f"{path.name}:{g['id']}": g for g in load_jsonl(handle)})
    return items


def outcomes(items: dict[str, dict], detector) -> dict[str, dict]:
    """The detector's outcome for each item, and whether it matches the gold label."""
    keys = list(items)
    lines = [json.dumps({"id": k, "text": items[k]["text"], "title": items[k].get("title", "")})
             for k in keys]
    out = {}
    for key, result in zip(keys, classify_lines(lines, detector), strict=True):
        out[key] = {"relevant": result["relevant"], "stance": result["stance"],
                    "agency": result["agency"], "score": round(result["score"], 3),
                    "right": label(result) == label(items[key])}
    return out


def flips(before: dict[str, dict], after: dict[str, dict], threshold: float) -> list[str]:
    """One line per item whose outcome changed (a near-threshold score may wobble)."""
    lines = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old is None or new is None:
            lines.append(f"{key}: {'new item' if old is None else 'item gone'}")
            continue
        wobble = min(abs(old["score"] - threshold), abs(new["score"] - threshold)) < MARGIN
        changed = [f for f in ("relevant", "stance", "agency") if old[f] != new[f]]
        if changed and not wobble:
            verdict = "fixed" if new["right"] and not old["right"] else \
                "broken" if old["right"] and not new["right"] else "changed"
            lines.append(f"{key}: {verdict}: " + ", ".join(
                f"{f} {old[f]!r} -> {new[f]!r}" for f in changed))
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the flips against the snapshot; ``--write`` records a new snapshot."""
    parser = argparse.ArgumentParser(prog="python -m detect.snapshot",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="record the current outcomes")
    args = parser.parse_args(argv)
    from . import default_detector

    detector = default_detector()
    now = outcomes(labelled(), detector)
    if args.write:
        SNAPSHOT.write_text(json.dumps(now, indent=0, sort_keys=True) + "\n", encoding="utf-8")
        misses = sum(1 for o in now.values() if not o["right"])
        print(f"wrote {SNAPSHOT.name}: {len(now)} items, {misses} known misses")
        return 0
    before = json.loads(SNAPSHOT.read_text(encoding="utf-8")) if SNAPSHOT.exists() else {}
    changed = flips(before, now, detector.threshold)
    print(f"{len(changed)} flip(s) against {SNAPSHOT.name}")
    for line in changed:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
