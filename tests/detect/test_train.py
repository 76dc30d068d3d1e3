"""detect.train: the labelled-file format, site groups, folds and the figures it reports."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from detect import train
from detect.classifier import Judgement


def write(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


BAD = [
    ("text-missing", {"id": 1, "relevant": False}, "needs a string 'text'"),
    ("relevant-not-bool", {"id": 1, "text": "x", "relevant": "yes"}, "boolean 'relevant'"),
    ("relevant-without-stance", {"id": 1, "text": "x", "relevant": True, "stance": None}, "stance"),
]


@pytest.mark.parametrize("item,message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_item_names_file_and_line(tmp_path: Path, item: dict, message: str) -> None:
    path = write(tmp_path / "gold.jsonl", [{"id": 0, "text": "ok", "relevant": False}, item])
    with pytest.raises(ValueError, match=rf"gold.jsonl:2: .*{message}"):
        train.load([path])


GROUPS = [
    ("site-without-www", {"source": "https://www.example.com/a/b"}, "example.com"),
    ("subdomain-kept", {"source": "http://news.example.org/x"}, "news.example.org"),
    ("no-source-groups-by-file", {}, "file:gold.jsonl"),
]


@pytest.mark.parametrize("item,group", [g[1:] for g in GROUPS], ids=[g[0] for g in GROUPS])
def test_group_is_the_source_site(item: dict, group: str) -> None:
    assert train.group_of(item, Path("gold.jsonl")) == group


def test_folds_never_split_a_site(tmp_path: Path) -> None:
    items = [{"id": i, "text": "t", "relevant": i % 2 == 0, "stance": "refuses" if i % 2 == 0 else None,
              "source": f"https://site{i % 7}.example/{i}"} for i in range(70)]
    path = write(tmp_path / "cv.jsonl", items)
    loaded = train.load([path])
    parts = train.folds(loaded, str(path), 5, seed=1)
    assert sorted(i for p in parts for i in p) == list(range(70))
    sites = [{loaded[i]["_group"] for i in p} for p in parts]
    assert all(not (a & b) for n, a in enumerate(sites) for b in sites[n + 1:])


def _verdict(p: float, stance: str) -> Judgement:
    return Judgement(p, stance, {}, {}, ())


def test_figures_count_a_miss_as_a_wrong_stance() -> None:
    gold = [{"relevant": True, "stance": "refuses"}, {"relevant": True, "stance": "mixed"},
            {"relevant": False, "stance": None}, {"relevant": False, "stance": None}]
    gold[0]["speaker"] = "Sheriff Ana Ruiz"
    seen = [train.Seen({}, False, "Ruiz", None)] + [train.Seen({}, False, None, None)] * 3
    found = train.figures(gold, [_verdict(0.9, "refuses"), _verdict(0.2, "mixed"),
                                 _verdict(0.7, "refuses"), _verdict(0.1, "refuses")], seen)
    assert (found["precision"], found["recall"], found["stance_accuracy"]) == (0.5, 0.5, 0.5)
    assert found["named_accuracy"] == 0.5 and found["confusion"]["mixed -> not relevant"] == 1


def test_data_hash_follows_the_bytes(tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", [{"id": 1, "text": "x", "relevant": False}])
    first = train.data_hash([a])
    a.write_text(a.read_text() + "\n", encoding="utf-8")
    assert train.data_hash([a]) != first and len(first) == 64


def _rows(signal: float, n: int = 120, seed: int = 3) -> tuple[list, list, list]:
    """Rows of one feature that is the label times ``signal`` plus noise, 12 sites."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = [i % 2 == 0 for i in range(n)]
    rows = [[signal * (1 if label else -1) + rng.normal(), rng.normal()] for label in y]
    return rows, y, [f"site{i % 12}" for i in range(n)]


REGULARISATION = [
    ("noise-only-is-held-back-most", 0.0, 0.01),
    ("clear-signal-is-left-free", 4.0, 100.0),
]


@pytest.mark.parametrize("signal,chosen", [r[1:] for r in REGULARISATION],
                         ids=[r[0] for r in REGULARISATION])
def test_regression_chooses_its_c_on_held_out_sites(signal: float, chosen: float) -> None:
    rows, y, groups = _rows(signal)
    assert train.regression(rows, y, groups, [0.01, 1.0, 100.0]).C == chosen
