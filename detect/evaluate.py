"""``python -m detect.evaluate GOLD.jsonl``: score the classifier against a gold file.

Prints relevance precision, recall and F1, stance accuracy over the gold-relevant
items (a missed item counts as wrong), and a confusion table of gold stance (or "not
relevant") against the prediction. Predictions come from ``classify_lines`` in
process, or from a JSON Lines file (``--predictions FILE``, ``-`` for stdin) such as the
output of ``beatwire classify``; they are matched to gold items by ``id``.

Example::

    python -m detect.evaluate ../shared/corpus/dev.jsonl
    beatwire classify < gold.jsonl | python -m detect.evaluate gold.jsonl --predictions -
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import IO

LABELS = ("refuses", "cooperates", "mixed", "not relevant")


def load_jsonl(handle: IO[str]) -> list[dict]:
    """Parse JSON Lines, skipping blank lines."""
    return [json.loads(line) for line in handle if line.strip()]


def label(item: dict | None) -> str:
    """The confusion-table label of a gold or predicted item."""
    if not item or not item.get("relevant"):
        return "not relevant"
    return item.get("stance") or "not relevant"


def metrics(gold: list[dict], predicted: dict[object, dict]) -> dict:
    """Precision, recall, F1, stance accuracy and the confusion counts."""
    pairs = [(g, predicted.get(g.get("id"))) for g in gold]
    tp = sum(1 for g, p in pairs if g["relevant"] and p and p.get("relevant"))
    fp = sum(1 for g, p in pairs if not g["relevant"] and p and p.get("relevant"))
    fn = sum(1 for g, p in pairs if g["relevant"] and not (p and p.get("relevant")))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    relevant = [(g, p) for g, p in pairs if g["relevant"]]
    right = sum(1 for g, p in relevant if label(p) == g["stance"])
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn,
            "stance_accuracy": right / len(relevant) if relevant else 0.0,
            "stance_right": right, "stance_total": len(relevant),
            "confusion": Counter((label(g), label(p)) for g, p in pairs)}


def report(m: dict, out: IO[str]) -> None:
    """Print the metrics and the confusion table."""
    out.write(f"relevance  precision {m['precision']:.3f}  recall {m['recall']:.3f}  "
              f"F1 {m['f1']:.3f}   (tp {m['tp']}, fp {m['fp']}, fn {m['fn']})\n")
    out.write(f"stance accuracy over gold-relevant: {m['stance_accuracy']:.3f} "
              f"({m['stance_right']}/{m['stance_total']})\n\n")
    width = max(len(x) for x in LABELS) + 2
    out.write("gold \\ predicted".ljust(width) + "".join(x.rjust(width) for x in LABELS) + "\n")
    for g in LABELS:
        row = "".join(str(m["confusion"][(g, p)]).rjust(width) for p in LABELS)
        out.write(g.ljust(width) + row + "\n")


def predict(gold: list[dict]) -> dict[object, dict]:
    """Run the default detector in process over the gold items."""
    from . import default_detector
    from .classify import classify_lines

    lines = [json.dumps({k: g.get(k) for k in ("id", "text", "title", "source") if k in g})
             for g in gold]
    return {p.get("id"): p for p in classify_lines(lines, default_detector())}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m detect.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("gold", help="gold JSON Lines file (id, text, relevant, stance)")
    parser.add_argument("--predictions", help="predictions JSON Lines file, or - for stdin")
    parser.add_argument("--errors", action="store_true", help="also list the items got wrong")
    args = parser.parse_args(argv)
    with open(args.gold, encoding="utf-8") as handle:
        gold = load_jsonl(handle)
    if args.predictions:
        handle = sys.stdin if args.predictions == "-" else open(args.predictions, encoding="utf-8")
        predicted = {p.get("id"): p for p in load_jsonl(handle)}
    else:
        predicted = predict(gold)
    report(metrics(gold, predicted), sys.stdout)
    if args.errors:
        _errors(gold, predicted, sys.stdout)
    return 0


def _errors(gold: list[dict], predicted: dict[object, dict], out: IO[str]) -> None:
    for g in gold:
        p = predicted.get(g.get("id"))
        if label(g) != label(p):
            out.write(f"\n{g['id']}: gold {label(g)}, predicted {label(p)} "
                      f"(score {p.get('score') if p else None})\n  {g['text'][:300]}\n"
                      f"  cues: {p.get('cues') if p else None}\n")


if __name__ == "__main__":
    sys.exit(main())
