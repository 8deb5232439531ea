# pubflow — the two commands a newcomer needs are `make publish` and `make test`.
# Both create .venv on first use, so a fresh clone needs nothing else.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: publish test soak bench bench-quick serve check clean distclean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Prefect keeps its state in the project (not ~/.prefect) and never phones home. The temporary
# server of `make publish` gets 2 minutes to start instead of Prefect's 20 s: on a fresh
# checkout it creates its database first, which took longer than 20 s on a busy 2-core machine.
PREFECT_ENV := PUBFLOW_ROOT=$(CURDIR) PREFECT_HOME=$(CURDIR)/.prefect \
	PREFECT_SERVER_ANALYTICS_ENABLED=false PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=120

## Run the main job on the embedded defaults, offline: the `publish` flow (ingest → sync
## catalogs → pseudo pre-fill → site → newsletters) on a temporary local Prefect server.
publish: $(STAMP)
	$(PREFECT_ENV) $(BIN)/python -m flows.publish

## Start the Prefect server + UI, every deployment, the unsubscribe app and the preview server.
serve: $(STAMP)
	$(PREFECT_ENV) $(BIN)/pubflow serve

## Run the test suite (long soak variants excluded; see `make soak`), one worker per core.
## Whole files go to one worker (--dist loadfile): a file's tests share its fixtures, and each
## worker starts its own temporary Prefect server for the flow tests.
test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" -n auto --dist loadfile

## Long variants of the hardening suite.
soak: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

## Benchmarks on a synthetic 100-article, 11-language corpus (< 10 min): table + build/bench/report.json.
bench: $(STAMP)
	$(BIN)/python bench/run.py

## The same on a tiny corpus, one run each (CI smoke test; targets not enforced).
bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --quick

## Check every catalog like a translator would before committing.
check: $(STAMP)
	$(BIN)/pubflow check

clean:
	rm -rf build dist .pytest_cache .hypothesis

distclean: clean
	rm -rf $(VENV)
