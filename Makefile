# One place for the commands the README and CI use.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint bench quality experiments families clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tui-gan

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check tui_gan tests tools benchmarks
	$(BIN)/ruff format --check tui_gan tests tools benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy  # the files [tool.mypy] in pyproject.toml names

check: lint test

bench: $(STAMP)
	$(BIN)/python benchmarks/train_speed.py
	$(BIN)/python benchmarks/dashboard.py
	$(BIN)/python benchmarks/eval_cost.py

# Sample quality of every preset, FID over time, the ablation: about 30 min on 2 cores.
quality: $(STAMP)
	$(BIN)/python benchmarks/quality.py --grids docs

# mnist-cdcgan's grid and accuracy, the default preset's latent walks: about 6 min.
experiments: $(STAMP)
	bash benchmarks/experiments.sh

families: $(STAMP)
	bash benchmarks/families.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
