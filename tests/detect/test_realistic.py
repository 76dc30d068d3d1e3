"""The realistic gold set (tests/detect/data/realistic.jsonl) stays above the bar."""
from __future__ import annotations

from pathlib import Path

import pytest

from detect.evaluate import load_jsonl, main, metrics, predict

REALISTIC = Path(__file__).parent / "data" / "realistic.jsonl"
FRESH = Path(__file__).parent / "data" / "fresh.jsonl"
ROUND2 = Path(__file__).parent / "data" / "round2.jsonl"
ROUND3 = Path(__file__).parent / "data" / "round3.jsonl"
ROUND4 = Path(__file__).parent / "data" / "round4.jsonl"
ROUND5 = Path(__file__).parent / "data" / "round5.jsonl"
ROUND6 = Path(__file__).parent / "data" / "round6.jsonl"
ROUND7 = Path(__file__).parent / "data" / "round7.jsonl"
ROUND8 = Path(__file__).parent / "data" / "round8.jsonl"
ROUND9 = Path(__file__).parent / "data" / "round9.jsonl"


def test_realistic_set_is_large_and_balanced() -> None:
    with REALISTIC.open(encoding="utf-8") as handle:
        gold = load_jsonl(handle)
    assert len(gold) >= 80 and len({g["id"] for g in gold}) == len(gold)
    assert {g["stance"] for g in gold if g["relevant"]} == {"refuses", "cooperates", "mixed"}
    assert all(set(g) >= {"id", "text", "relevant", "stance", "speaker", "agency", "note"} for g in gold)


@pytest.mark.parametrize("path", [REALISTIC, FRESH, ROUND2, ROUND3, ROUND4, ROUND5, ROUND6,
                                  ROUND7, ROUND8, ROUND9],
                         ids=["realistic", "fresh", "round2", "round3", "round4", "round5",
                              "round6", "round7", "round8", "round9"])
def test_realistic_figures_stay_above_the_bar(path: Path) -> None:
    with path.open(encoding="utf-8") as handle:
        gold = load_jsonl(handle)
    m = metrics(gold, predict(gold))
    assert m["f1"] >= 0.85 and m["stance_accuracy"] >= 0.80, m


def test_evaluate_takes_several_files(tmp_path, capsys) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text('{"id": "x", "text": "The school board met.", "relevant": false, "stance": null}\n')
    assert main([str(REALISTIC), str(small)]) == 0
    out = capsys.readouterr().out
    assert out.count("relevance  precision") == 3 and "== all 2 files" in out


def test_evaluate_without_arguments_uses_the_defaults(capsys) -> None:
    assert main([]) == 0
    assert "relevance  precision" in capsys.readouterr().out
