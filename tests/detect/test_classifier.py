"""detect.classifier: the committed model, the decision's arithmetic, the loaded reader."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO

from detect import classifier
from detect.classifier import LABELS, Decision

MAX_MODEL_BYTES = 20 * 1024 * 1024


def test_model_files_are_small_and_described() -> None:
    meta = json.loads(classifier.META.read_text(encoding="utf-8"))
    assert classifier.WEIGHTS.stat().st_size <= MAX_MODEL_BYTES
    assert len(meta["data_sha256"]) == 64 and meta["version"] >= 2
    cv = meta["cross_validation"]
    assert len(cv["folds"]) == meta["settings"]["folds"]
    assert {"precision", "recall", "f1", "stance_accuracy"} <= set(cv["overall"])
    assert meta["decision"]["inputs"] == list(classifier.decision_inputs())


def _decision(relevance: dict[str, float], stance_bias: tuple[float, float, float]) -> Decision:
    inputs = list(classifier.decision_inputs())
    return Decision({"inputs": inputs,
                     "relevance": {"coef": [relevance.get(n, 0.0) for n in inputs], "intercept": -1.0},
                     "stance": {"coef": [[0.0] * len(inputs) for _ in range(3)],
                                "intercept": list(stance_bias)}})


ARITHMETIC = [
    ("no-evidence-gives-the-intercept", {}, {}, 1 / (1 + math.e)),
    ("a-weighted-feature-adds", {"role_official": 2.0}, {"role_official": 1.0}, 1 / (1 + math.exp(-1))),
    ("a-negative-weight-subtracts", {"lex_excluded_voice": -1.0}, {"lex_excluded_voice": 1.0},
     1 / (1 + math.exp(2))),
]


@pytest.mark.parametrize("weights,found,probability", [a[1:] for a in ARITHMETIC],
                         ids=[a[0] for a in ARITHMETIC])
def test_decision_is_a_logistic_regression(weights, found, probability) -> None:
    from detect import evidence

    features = dict.fromkeys(evidence.NAMES, 0.0) | found
    verdict = _decision(weights, (0.0, 2.0, 0.0)).judge([math.log(0.25)] * len(LABELS), features)
    assert verdict.probability == pytest.approx(probability, abs=1e-4)
    assert verdict.stance == "cooperates"
    assert sum(verdict.stance_probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    assert verdict.reading == dict.fromkeys(LABELS, 0.25)


def test_weights_are_ranked_by_size() -> None:
    from detect import evidence

    features = dict.fromkeys(evidence.NAMES, 0.0) | {"role_official": 1.0, "lex_police": 1.0}
    verdict = _decision({"role_official": 0.5, "lex_police": -3.0}, (0, 0, 0)).judge(
        [math.log(0.25)] * len(LABELS), features)
    assert [n for n, _ in verdict.weights[:2]] == ["lex_police", "role_official"]


@pytest.mark.parametrize("check", [
    pytest.param(classifier.Classifier.load, id="loading"),
    pytest.param(classifier.require_files, id="checking-without-loading"),
])
def test_missing_model_file_names_it(tmp_path, check) -> None:
    with pytest.raises(classifier.ModelMissing, match="make train"):
        check(tmp_path / "reader.safetensors", tmp_path / "model.json")


def test_daemon_detector_leaves_the_model_to_the_detection_workers() -> None:
    """The daemon's main process only checks the files: each detection worker loads the model."""
    probe = ("import sys; from config import DetectConfig; DetectConfig().make_detector(load=False);"
             " import detect.classifier as c; print(c._SHARED is None, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=REPO)
    assert out.stdout.split() == ["True", "False"]


READINGS = [
    ("refusal", "Sheriff Ana Ruiz said her deputies will never hold anyone for ICE past release.",
     "refuses"),
    ("cooperation", "The Marlow County Sheriff's Office signed a 287(g) agreement with ICE and will "
     "keep honoring every detainer, Sheriff Ben Hale said.", "cooperates"),
]


@pytest.mark.parametrize("text,stance", [r[1:] for r in READINGS], ids=[r[0] for r in READINGS])
def test_reader_reads_clear_statements(text: str, stance: str) -> None:
    reading = classifier.shared().reading.read([text])[0]
    assert LABELS[reading.index(max(reading))] == stance
    assert sum(math.exp(r) for r in reading) == pytest.approx(1.0, abs=1e-3)


# -- the reader for ONNX Runtime (detect.export) -------------------------------------------

@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    from detect import export

    return export.export(out=tmp_path_factory.mktemp("onnx") / "reader.onnx")


@pytest.fixture(scope="module")
def exported_float32(tmp_path_factory) -> Path:
    from detect import export

    return export.export(out=tmp_path_factory.mktemp("onnx") / "reader32.onnx", int8=False)


def _rebuilt_from_other_weights(exported: Path, out: Path) -> Path:
    import onnx

    model = onnx.load(str(exported))
    onnx.helper.set_model_props(model, {classifier.SOURCE_KEY: "0" * 64})
    onnx.save(model, str(out))
    return out


LONG = "The county board heard two hours of comment on the jail's ICE contract. " * 30
ONNX_FILES = [
    ("built-from-these-weights", lambda exported, tmp: exported, "OnnxReading"),
    ("missing", lambda exported, tmp: tmp / "absent.onnx", "TorchReading"),
    ("built-from-other-weights", lambda exported, tmp: _rebuilt_from_other_weights(
        exported, tmp / "stale.onnx"), "TorchReading"),
]


@pytest.mark.parametrize("path,reading", [f[1:] for f in ONNX_FILES], ids=[f[0] for f in ONNX_FILES])
def test_inference_reads_with_onnx_only_from_a_file_of_these_weights(
        exported, tmp_path, caplog, path, reading) -> None:
    model = classifier.Classifier.load(onnx=path(exported, tmp_path))
    assert type(model.reading).__name__ == reading
    assert ("detect.export" in caplog.text) == (reading == "TorchReading")


MIXED_BATCH = [r[1] for r in READINGS] + [LONG, "ICE.", "Sheriff Núñez: «no holds» — none."] * 3


def test_onnx_reads_what_torch_reads(exported_float32) -> None:
    """Same tokens (truncated, padded in a batch of mixed lengths) and the same numbers."""
    by_onnx = classifier.OnnxReading.open(exported_float32, classifier.WEIGHTS).read(MIXED_BATCH)
    by_torch = classifier.TorchReading(classifier.WEIGHTS).read(MIXED_BATCH)
    worst = max(abs(a - b) for x, y in zip(by_onnx, by_torch, strict=True)
                for a, b in zip(x, y, strict=True))
    assert worst < 1e-4


def test_int8_reads_what_float32_reads_within_its_rounding(exported, exported_float32) -> None:
    """The shipped int8 network: the same class and probabilities within a few points (on 851
    real passages its top class moved on 3.1%, near ties: README, "How good is detection")."""
    by_int8 = classifier.OnnxReading.open(exported, classifier.WEIGHTS).read(MIXED_BATCH)
    by_float = classifier.OnnxReading.open(exported_float32, classifier.WEIGHTS).read(MIXED_BATCH)
    for x, y in zip(by_int8, by_float, strict=True):
        assert x.index(max(x)) == y.index(max(y))
        assert max(abs(math.exp(a) - math.exp(b)) for a, b in zip(x, y, strict=True)) < 0.15
    assert exported.stat().st_size < exported_float32.stat().st_size / 3


def test_a_passage_reads_the_same_alone_and_beside_others(exported) -> None:
    """Int8 activations are scaled over a whole input: one passage a run keeps a reading
    independent of the article's other passages."""
    reading = classifier.OnnxReading.open(exported, classifier.WEIGHTS)
    text = READINGS[0][1]
    assert reading.read([text]) == reading.read([LONG, text, "ICE."])[1:2]


def test_a_worker_reading_with_onnx_never_loads_torch(exported) -> None:
    probe = ("import sys; from pathlib import Path; import detect.classifier as c;"
             " m = c.Classifier.load(onnx=Path(sys.argv[1])); m.judge(['ICE holds.'],"
             " [dict.fromkeys(c.evidence.NAMES, 0.0)]);"
             " print(type(m.reading).__name__, 'torch' in sys.modules, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe, str(exported)], capture_output=True,
                         text=True, check=True, cwd=REPO)
    assert out.stdout.split() == ["OnnxReading", "False", "False"]
