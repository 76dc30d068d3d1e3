# Every target creates .venv and installs the project on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEV_CORPUS ?= ../shared/corpus/dev.jsonl
REAL_CORPUS ?= ../shared/corpus/real/train.jsonl

.PHONY: install demo test test-fast eval train bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,train]'
	touch $(STAMP)

# The reader for ONNX Runtime, built from the committed weights (int8; not committed: 23 MB).
ONNX := detect/data/reader.onnx
$(ONNX): detect/data/reader.safetensors $(STAMP)
	$(BIN)/python -m detect.export

install: $(STAMP) $(ONNX)

demo: $(STAMP) $(ONNX)  ## serve demo/ on 127.0.0.1, run one cycle into a fresh SQLite file, print alerts and a search
	$(BIN)/python -m demo

test: $(STAMP) $(ONNX)  ## the whole suite, PostgreSQL included
	$(BIN)/python -m pytest -q

test-fast: $(STAMP) $(ONNX)
	$(BIN)/python -m pytest -q -m "not slow"

eval: $(STAMP) $(ONNX)  ## detection figures: the model's grouped CV, classify on dev and our sets, flips
	$(BIN)/python -m detect.evaluate --cv
	$(BIN)/beatwire --config config.toml classify < $(DEV_CORPUS) \
	  | $(BIN)/python -m detect.evaluate --predictions - $(DEV_CORPUS)
	$(BIN)/python -m detect.evaluate $(wildcard tests/detect/data/*.jsonl)
	$(BIN)/python -m detect.snapshot

train: $(STAMP)  ## rebuild detect/data (the detection model) from labelled JSON Lines; CV on the real corpus
	$(BIN)/python -m detect.train $(REAL_CORPUS) $(DEV_CORPUS) $(wildcard tests/detect/data/*.jsonl)
	$(BIN)/python -m detect.export

bench: $(STAMP) $(ONNX)
	$(BIN)/python -m bench.bench_detect
	$(BIN)/python -m bench.bench_crawl

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info $(ONNX)
