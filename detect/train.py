"""``python -m detect.train FILES...`` (``make train``): rebuild the detection model.

Input: labelled JSON Lines, any number of files, one passage a line (the format of
``../shared/corpus/real/train.jsonl``, ``dev.jsonl``, ``tests/detect/data/*.jsonl`` and
``beatwire labels export``)::

    {"id": "...", "text": "...", "relevant": true, "stance": "refuses"|"cooperates"|"mixed"|null,
     "speaker": "..."|null, "agency": "..."|null, "source": "https://..."?, "title": "..."?}

What it does, in order:

1. Rule evidence (``evidence.gather``) for every passage, from the rule layer alone.
2. Grouped k-fold cross-validation on the ``--cv`` file (folds by the ``source`` site,
   so reposts of one story never sit on both sides; the other files always train): the
   reader is fine-tuned on each fold's training side and reads its held-out side.
3. The decision (``classifier.Decision``) is fitted on those held-out readings, each
   regression's C chosen from ``decision_c`` by an inner grouped CV of its training side;
   its own figures come from the same grouped folds. Precision, recall, F1, stance
   accuracy, the stance confusion, speaker/agency and the figures per fold are printed
   and stored.
4. The final reader is fine-tuned on everything; the decision fitted on all held-out
   readings. Written to ``detect/data``: ``reader.safetensors`` (the fine-tuned layers,
   float16) and ``model.json`` (version, training-data hash, settings, CV figures, the
   held-out readings by item id and the decision's weights).

``--refit`` redoes steps 1 and 3 only, with the held-out readings stored in model.json:
the reader reads text alone, so a change to the rule layer or the lexicon needs a new
decision, not a new reader (the training files must be the same: their hash is checked).

Training is seeded and runs on the CPU; the same files give the same model on one machine.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from . import classifier, evidence
from .classifier import LABELS, STANCE_LABELS
from .detector import DEFAULT_THRESHOLD

VERSION = 2
SETTINGS = {"epochs": 6, "frozen_layers": 2, "learning_rate": 5e-5, "batch": 16, "seed": 13,
            "folds": 5, "decision_c": [0.03, 0.1, 0.3, 1.0, 3.0]}
# The thresholds CV reports figures at (README's table; make eval).
THRESHOLDS = (0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7)


def load(paths: list[Path]) -> list[dict]:
    """Every labelled item of ``paths``, each tagged with its file and its group."""
    items = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            item = json.loads(line)
            if not isinstance(item.get("text"), str) or not isinstance(item.get("relevant"), bool):
                raise ValueError(f"{path}:{number}: needs a string 'text' and a boolean 'relevant'")
            if item["relevant"] and item.get("stance") not in STANCE_LABELS:
                raise ValueError(f"{path}:{number}: a relevant item needs a stance")
            item["_file"] = str(path)
            item["_group"] = group_of(item, path)
            items.append(item)
    return items


def group_of(item: dict, path: Path) -> str:
    """The site of the item's source page; items without one are grouped by file."""
    host = urlparse(item.get("source") or "").netloc.lower().removeprefix("www.")
    return host or f"file:{path.name}"


def item_key(item: dict) -> str:
    """``file name:id``: how stored readings find their item again."""
    return f"{Path(item['_file']).name}:{item.get('id')}"


def target(item: dict) -> int:
    """The reader's class: 0 not relevant, else the stance's index in LABELS."""
    return LABELS.index(item["stance"]) if item["relevant"] else 0


def data_hash(paths: list[Path]) -> str:
    """SHA-256 over the training files' bytes, in the order given."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Seen:
    """What the rule layer makes of one item: its main passage's evidence and statement.

    ``gated`` items have no topical passage (no immigration word, or the query does not
    match): the detector never consults the model on them, so CV counts them as "no".
    """

    evidence: dict[str, float]
    gated: bool
    speaker: str | None
    agency: str | None


def rule_evidence(items: list[dict]) -> list[Seen]:
    """Step 1: the rule layer's view of each item (no model involved)."""
    from .detector import Detector

    rules = Detector()
    out = []
    for item in items:
        passages = rules.passages(item["text"], title=item.get("title") or "")
        if not passages:
            out.append(Seen(evidence.gather(item["text"], []), True, None, None))
            continue
        lead = passages[0].statements[0]
        out.append(Seen(evidence.gather(passages[0].text, passages[0].statements), False,
                        lead.speaker, lead.agency.name if lead.agency else None))
    return out


def fine_tune(items: list[dict], settings: dict, log) -> tuple:
    """Fine-tune a fresh reader on ``items``; returns the network and its tokenizer."""
    import numpy as np
    import torch

    torch.manual_seed(settings["seed"])
    reader, tokenizer = classifier.build_reader()
    for p in reader.encoder.embeddings.parameters():
        p.requires_grad = False
    for layer in reader.encoder.encoder.layer[:settings["frozen_layers"]]:
        for p in layer.parameters():
            p.requires_grad = False
    params = [p for p in reader.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=settings["learning_rate"], weight_decay=0.01)
    batch = settings["batch"]
    steps = settings["epochs"] * ((len(items) + batch - 1) // batch)
    warm = max(1, int(0.1 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / steps))
    labels = torch.tensor([target(i) for i in items])
    rng = np.random.default_rng(settings["seed"])
    for epoch in range(settings["epochs"]):
        reader.train()
        total = 0.0
        order = rng.permutation(len(items))
        for start in range(0, len(items), batch):
            chosen = order[start:start + batch]
            enc = tokenizer([items[i]["text"] for i in chosen], truncation=True,
                            max_length=classifier.MAX_TOKENS, padding=True, return_tensors="pt")
            loss = torch.nn.functional.cross_entropy(
                reader(enc["input_ids"], enc["attention_mask"]), labels[chosen])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(chosen)
        log(f"  epoch {epoch + 1}/{settings['epochs']}: loss {total / len(items):.3f}")
    reader.eval()
    return reader, tokenizer


def folds(items: list[dict], cv_file: str, k: int, seed: int) -> list[list[int]]:
    """Grouped, stratified folds over the items of ``cv_file``: lists of item indexes."""
    from sklearn.model_selection import StratifiedGroupKFold

    index = [i for i, item in enumerate(items) if item["_file"] == cv_file]
    splitter = StratifiedGroupKFold(k, shuffle=True, random_state=seed)
    return [[index[j] for j in test] for _, test in splitter.split(
        index, [target(items[i]) for i in index], [items[i]["_group"] for i in index])]


def held_out_readings(items, parts, settings, log) -> dict[int, list[float]]:
    """Step 2: each CV item read by a reader that never saw its site."""
    readings: dict[int, list[float]] = {}
    for n, test in enumerate(parts, 1):
        held = set(test)
        log(f"fold {n}/{len(parts)}: training on {len(items) - len(held)} items")
        reader, tokenizer = fine_tune([x for i, x in enumerate(items) if i not in held],
                                      settings, log)
        for i, r in zip(test, classifier.read(reader, tokenizer,
                                               [items[i]["text"] for i in test]), strict=True):
            readings[i] = r
    return readings


def decision_rows(items, readings, seen) -> tuple[list[int], list[list[float]]]:
    """The decision's inputs for the items the model would see that have a held-out reading."""
    names = classifier.decision_inputs()
    rows, index = [], []
    for i in sorted(readings):
        if seen[i].gated:
            continue
        x = dict(zip([f"reader_{label}" for label in LABELS], readings[i], strict=True))
        x.update(seen[i].evidence)
        rows.append([x[name] for name in names])
        index.append(i)
    return index, rows


def fit_decision(items, index, rows, grid: list[float]) -> dict:
    """Logistic regressions: relevance over all rows, stance over the relevant ones, each
    with the regularisation from ``grid`` that an inner grouped CV of these rows prefers."""
    y = [items[i]["relevant"] for i in index]
    groups = [items[i]["_group"] for i in index]
    relevance = regression(rows, y, groups, grid)
    kept = [n for n, keep in enumerate(y) if keep]
    stance = regression([rows[n] for n in kept], [items[index[n]]["stance"] for n in kept],
                        [groups[n] for n in kept], grid)
    order = [list(stance.classes_).index(s) for s in STANCE_LABELS]
    return {"inputs": list(classifier.decision_inputs()),
            "c": {"relevance": relevance.C, "stance": stance.C},
            "relevance": {"coef": [round(float(w), 6) for w in relevance.coef_[0]],
                          "intercept": round(float(relevance.intercept_[0]), 6)},
            "stance": {"coef": [[round(float(w), 6) for w in stance.coef_[j]] for j in order],
                       "intercept": [round(float(stance.intercept_[j]), 6) for j in order]}}


def regression(rows, y, groups, grid: list[float]):
    """A logistic regression fitted on all rows, with the C of ``grid`` whose fits had the
    lowest log-loss on held-out sites (5 group folds): chosen on the training side only,
    so the outer CV's figures stay held out."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_score

    def loss(c: float) -> float:
        model = LogisticRegression(C=c, max_iter=5000)
        return -cross_val_score(model, rows, y, groups=groups, cv=GroupKFold(5),
                                scoring="neg_log_loss").mean()

    best = min(grid, key=loss)
    return LogisticRegression(C=best, max_iter=5000).fit(rows, y)


_NO = classifier.Judgement(0.0, STANCE_LABELS[0], {}, {}, ())


def cross_validate(items, parts, index, rows, seen, grid: list[float]) -> dict:
    """Step 3: the decision's grouped-CV predictions, scored overall and per fold; an item
    the model never sees (gated) is a "no", as it is for the detector."""
    position = {i: n for n, i in enumerate(index)}
    predicted: dict[int, classifier.Judgement] = {}
    for test in parts:
        held = set(test)
        train = [n for n, i in enumerate(index) if i not in held]
        decision = classifier.Decision(fit_decision(items, [index[n] for n in train],
                                                    [rows[n] for n in train], grid))
        for i in test:
            if i not in position:
                predicted[i] = _NO
                continue
            x = dict(zip(decision.inputs, rows[position[i]], strict=True))
            predicted[i] = decision.judge([x[f"reader_{label}"] for label in LABELS],
                                          seen[i].evidence)
    everything = [i for t in parts for i in t]

    def scored(chosen: list[int], threshold: float = DEFAULT_THRESHOLD) -> dict:
        return figures([items[i] for i in chosen], [predicted[i] for i in chosen],
                       [seen[i] for i in chosen], threshold)

    return {"overall": scored(everything), "folds": [scored(t) for t in parts],
            "gated_relevant": sum(1 for i in everything if seen[i].gated and items[i]["relevant"]),
            "thresholds": {str(t): scored(everything, t) for t in THRESHOLDS}}


def figures(gold: list[dict], verdicts: list, seen: list[Seen],
            threshold: float = DEFAULT_THRESHOLD) -> dict:
    """``evaluate.metrics`` of the verdicts (a miss counts as a wrong stance and a wrong
    speaker), rounded for model.json, with the Brier score of the probabilities."""
    from .evaluate import metrics

    predicted = {n: {"relevant": v.probability >= threshold, "stance": v.stance,
                     "speaker": w.speaker, "agency": w.agency}
                 for n, (v, w) in enumerate(zip(verdicts, seen, strict=True))}
    found = metrics([dict(g, id=n) for n, g in enumerate(gold)], predicted)
    brier = sum((v.probability - g["relevant"]) ** 2 for g, v in zip(gold, verdicts, strict=True))
    return {"items": len(gold), **{k: round(found[k], 4) for k in (
                "precision", "recall", "f1", "stance_accuracy", "named_accuracy")},
            "brier": round(brier / len(gold), 4),
            "confusion": {f"{g} -> {p}": c for (g, p), c in sorted(found["confusion"].items())}}


def write(reader, decision: dict, meta: dict, out: Path) -> None:
    """Write the fine-tuned layers (float16; ``None`` keeps the file) and model.json."""
    out.mkdir(parents=True, exist_ok=True)
    if reader is not None:
        from safetensors.torch import save_file

        frozen = meta["settings"]["frozen_layers"]
        state = {k: v.detach().half().contiguous()
                 for k, v in classifier.trained_parameters(reader, frozen).items()}
        save_file(state, str(out / classifier.WEIGHTS.name))
    meta["decision"] = decision
    (out / classifier.META.name).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m detect.train",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="labelled JSON Lines files")
    parser.add_argument("--cv", type=Path, help="the file cross-validated (default: the first)")
    parser.add_argument("--out", type=Path, default=classifier.DATA, help="output directory")
    parser.add_argument("--epochs", type=int, default=SETTINGS["epochs"])
    parser.add_argument("--refit", action="store_true",
                        help="refit only the decision, reusing the stored held-out readings")
    args = parser.parse_args(argv)
    settings = dict(SETTINGS, epochs=args.epochs)
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:6.0f}s] {message}", file=sys.stderr, flush=True)

    items = load(args.files)
    cv_file = str(args.cv or args.files[0])
    log(f"{len(items)} items from {len(args.files)} files; cross-validating {cv_file}")
    seen = rule_evidence(items)
    parts = folds(items, cv_file, settings["folds"], settings["seed"])
    keys = [item_key(i) for i in items]
    if args.refit:
        old = json.loads((args.out / classifier.META.name).read_text(encoding="utf-8"))
        if old["data_sha256"] != data_hash(args.files):
            parser.error("--refit needs the training files the reader was trained on")
        stored = old["held_out_readings"]
        readings = {n: stored[k] for n, k in enumerate(keys) if k in stored}
        reader, settings = None, dict(old["settings"], decision_c=SETTINGS["decision_c"])
    else:
        readings = held_out_readings(items, parts, settings, log)
    index, rows = decision_rows(items, readings, seen)
    cv = cross_validate(items, parts, index, rows, seen, settings["decision_c"])
    if not args.refit:
        log("final reader on every item")
        reader, _ = fine_tune(items, settings, log)
    meta = {"version": VERSION, "trained": time.strftime("%Y-%m-%d"),
            "files": [{"path": p.name, "items": sum(1 for i in items if i["_file"] == str(p))}
                      for p in args.files],
            "data_sha256": data_hash(args.files), "settings": settings,
            "cross_validation": {"file": Path(cv_file).name, **cv},
            "held_out_readings": {keys[n]: [round(x, 5) for x in r]
                                  for n, r in sorted(readings.items())}}
    write(reader, fit_decision(items, index, rows, settings["decision_c"]), meta, args.out)
    print(json.dumps(meta["cross_validation"]["overall"], indent=1))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
