# Two commands on a fresh clone: `make run` and `make test`. Both create .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
APP_ARGS ?=
# pytest-xdist: a test process per core, at most 2 (each may load TensorFlow, and the Dask
# tests start worker processes of their own); an idle one takes tests queued for the other
# (worksteal). `make test PYTEST_WORKERS=` runs the tests in this process, one after the other.
PYTEST_WORKERS ?= --numprocesses=auto --maxprocesses=2 --dist=worksteal
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export KEDRO_DISABLE_TELEMETRY := true
# Bytecode is written (__pycache__, ignored by git): pytest keeps its rewritten test modules
# there instead of rewriting each in every test process.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install run test lint viz mlflow-ui bench bench-scale clean-data app browser screenshots

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)  ## create .venv and install the project with its dev tools

run: install  ## set up and run every pipeline on the demo data
	$(BIN)/kedro run

test: install browser  ## set up and run the whole test suite
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest $(PYTEST_WORKERS)

app: install  ## the web app on http://127.0.0.1:8501 (after `make run`)
	$(BIN)/streamlit run src/insta_kedro/app/main.py --server.address 127.0.0.1 \
	  --browser.gatherUsageStats false $(APP_ARGS)

browser:  ## Debian's chromium + chromium-driver for the browser test, when missing
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO apt-get install -y -qq chromium chromium-driver fonts-noto-color-emoji \
	  || echo "chromium could not be installed: the browser test will be skipped"; \
	fi

screenshots: install browser  ## retake docs/img/*.png from the last run
	$(BIN)/python -m insta_kedro.app.screenshots --out docs/img

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

viz: install  ## browse the pipelines in kedro-viz
	$(BIN)/kedro viz run --host 127.0.0.1

mlflow-ui: install  ## compare the tracked runs (kedro-mlflow starts the `mlflow` program of .venv)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/kedro mlflow ui

bench: install  ## print the benchmark tables (all but scale.py, which takes hours)
	for b in benchmarks/*.py; do [ $$b = benchmarks/scale.py ] || $(BIN)/python $$b || exit 1; done

bench-scale: install  ## text_features → fusion → clustering at 100k, 300k and 1M synthetic posts
	$(BIN)/python benchmarks/scale.py

# A live download (data/01_raw/instagram/) is kept: it took Instagram's rate limits to fetch,
# and the next run resumes it. Delete that folder yourself to download it all again.
clean-data:  ## remove every generated output (keeps the .gitkeep files and a live download)
	find data -type f ! -name .gitkeep ! -path 'data/01_raw/instagram/*' -delete
	find data -mindepth 1 -type d -empty ! -path 'data/01_raw/instagram/*' -delete
