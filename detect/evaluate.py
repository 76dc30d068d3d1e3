"""``python -m detect.evaluate [GOLD.jsonl ...]``: score the classifier against gold files.

Prints relevance precision, recall and F1, stance accuracy over the gold-relevant
items (a missed item counts as wrong), and a confusion table of gold stance (or "not
relevant") against the prediction. Predictions come from ``classify_lines`` in
process, or from a JSON Lines file (``--predictions FILE``, ``-`` for stdin) such as the
output of ``beatwire classify``; they are matched to gold items by ``id``.

Several gold files are scored one by one, then together. With no file named, the
defaults are used: the shared dev corpus beside the repository
(``../shared/corpus/dev.jsonl``) when it is there, and the repository's own
``tests/detect/data/realistic.jsonl``, so a clean clone can run it as is.

Example::

    python -m detect.evaluate ../shared/corpus/dev.jsonl tests/detect/data/realistic.jsonl
    beatwire classify < gold.jsonl | python -m detect.evaluate gold.jsonl --predictions -
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import IO

LABELS = ("refuses", "cooperates", "mixed", "not relevant")
# Words that name no one in particular: "police" is right for every police department.
GENERIC = frozenset({"police", "county", "sheriff", "sheriff's", "office", "department", "city",
                     "chief", "state", "the", "of", "and", "for", "a", "an", "s"})
_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_GOLD = (_ROOT.parent / "shared" / "corpus" / "dev.jsonl",
                _ROOT / "tests" / "detect" / "data" / "realistic.jsonl")


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
    named = sum(1 for g, p in relevant if p and p.get("relevant") and named_right(g, p))
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn,
            "stance_accuracy": right / len(relevant) if relevant else 0.0,
            "stance_right": right, "stance_total": len(relevant),
            "named_accuracy": named / len(relevant) if relevant else 0.0, "named_right": named,
            "confusion": Counter((label(g), label(p)) for g, p in pairs)}


def words(name: str | None) -> set[str]:
    """The particular words of a speaker or agency name ("Linn County Sheriff Brian
    Gardner" -> linn, brian, gardner)."""
    found = {w.strip(".,'\u2019").removesuffix("'s").removesuffix("\u2019s")
             for w in (name or "").lower().replace("-", " ").split()}
    return {w for w in found if w and w not in GENERIC}


def named_right(gold: dict, predicted: dict) -> bool:
    """A word of the gold speaker or agency is in the predicted speaker or agency; a gold
    item that names neither is right when found at all."""
    wanted = words(gold.get("speaker")) | words(gold.get("agency"))
    said = words(predicted.get("speaker")) | words(predicted.get("agency"))
    return not wanted or bool(wanted & said)


def report(m: dict, out: IO[str]) -> None:
    """Print the metrics and the confusion table."""
    out.write(f"relevance  precision {m['precision']:.3f}  recall {m['recall']:.3f}  "
              f"F1 {m['f1']:.3f}   (tp {m['tp']}, fp {m['fp']}, fn {m['fn']})\n")
    out.write(f"stance accuracy over gold-relevant: {m['stance_accuracy']:.3f} "
              f"({m['stance_right']}/{m['stance_total']})\n")
    out.write(f"speaker or agency named right over gold-relevant: {m['named_accuracy']:.3f} "
              f"({m['named_right']}/{m['stance_total']})\n\n")
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
    parser = argparse.ArgumentParser(prog="python -m detect.evaluate",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("gold", nargs="*", help="gold JSON Lines files (id, text, relevant, stance"
                                                "); "
                        "default: the dev corpus and tests/detect/data/realistic.jsonl")
    parser.add_argument("--predictions", help="predictions JSON Lines file, or - for stdin")
    parser.add_argument("--errors", action="store_true", help="also list the items got wrong")
    parser.add_argument("--cv", action="store_true",
                        help="print the model's grouped cross-validation figures (model.json)")
    args = parser.parse_args(argv)
    if args.cv:
        return cv_report(sys.stdout)
    paths = [Path(p) for p in args.gold] or [p for p in DEFAULT_GOLD if p.exists()]
    if not paths:
        parser.error("no gold file given and none of the defaults exists")
    golds = {}
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            golds[str(path)] = load_jsonl(handle)
    everything = [g for gold in golds.values() for g in gold]
    predicted = _predictions(args.predictions) if args.predictions else predict(everything)
    for name, gold in golds.items():
        if len(golds) > 1:
            sys.stdout.write(f"== {name} ({len(gold)} items)\n")
        report(metrics(gold, predicted), sys.stdout)
        if args.errors:
            _errors(gold, predicted, sys.stdout)
        sys.stdout.write("\n")
    if len(golds) > 1:
        sys.stdout.write(f"== all {len(golds)} files ({len(everything)} items)\n")
        report(metrics(everything, predicted), sys.stdout)
    return 0


def cv_report(out: IO[str]) -> int:
    """The committed model's grouped-CV figures: overall, per fold, per threshold."""
    from .classifier import META

    meta = json.loads(META.read_text(encoding="utf-8"))
    cv = meta["cross_validation"]
    out.write(f"== grouped {len(cv['folds'])}-fold cross-validation on {cv['file']} (folds by "
              f"source site; model trained {meta['trained']}, data {meta['data_sha256'][:12]})\n")
    head = f"{'':>12}{'items':>7}{'P':>8}{'R':>8}{'F1':>8}{'stance':>8}{'named':>8}{'brier':>8}\n"
    out.write(head)
    rows = [(f"fold {n}", f) for n, f in enumerate(cv["folds"], 1)] + [("overall", cv["overall"])]
    for name, f in rows:
        out.write(_cv_row(name, f))
    out.write("\nby threshold (detect.threshold):\n" + head)
    for threshold, f in cv["thresholds"].items():
        out.write(_cv_row(threshold, f))
    out.write("\nconfusion (gold -> predicted), overall:\n")
    for pair, count in cv["overall"]["confusion"].items():
        out.write(f"  {pair}: {count}\n")
    return 0


def _cv_row(name: str, f: dict) -> str:
    return (f"{name:>12}{f['items']:>7}{f['precision']:>8.3f}{f['recall']:>8.3f}{f['f1']:>8.3f}"
            f"{f['stance_accuracy']:>8.3f}{f.get('named_accuracy', 0.0):>8.3f}{f['brier']:>8.3f}\n")


def _predictions(source: str) -> dict[object, dict]:
    if source == "-":
        return {p.get("id"): p for p in load_jsonl(sys.stdin)}
    with open(source, encoding="utf-8") as handle:
        return {p.get("id"): p for p in load_jsonl(handle)}


def _errors(gold: list[dict], predicted: dict[object, dict], out: IO[str]) -> None:
    for g in gold:
        p = predicted.get(g.get("id"))
        if label(g) != label(p):
            out.write(f"\n{g['id']}: gold {label(g)}, predicted {label(p)} "
                      f"(score {p.get('score') if p else None})\n  {g['text'][:300]}\n"
                      f"  cues: {p.get('cues') if p else None}\n")


if __name__ == "__main__":
    sys.exit(main())
