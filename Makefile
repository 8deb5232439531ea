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

## Run the main job on the embedded defaults, offline.
publish: $(STAMP)
	$(BIN)/pubflow ingest --keep-edited content/sources/*

## Run the test suite (long soak variants excluded; see `make soak`).
test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

## Long variants of the hardening suite.
soak: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

## Check every catalog like a translator would before committing.
check: $(STAMP)
	$(BIN)/pubflow check

clean:
	rm -rf build dist .pytest_cache .hypothesis

distclean: clean
	rm -rf $(VENV)
