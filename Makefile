# Readiness harness. `make audit` and `make test` set everything up on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHECKLIST ?= checklists/reference.yaml
AUDIT_ARGS ?=
PYTEST_ARGS ?=

.PHONY: audit test lint validate sensitivity bench fuzz audit-all clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

audit: $(STAMP)
	$(BIN)/harness audit $(CHECKLIST) $(AUDIT_ARGS)

test: $(STAMP)
	$(BIN)/pytest -n auto -p no:locust $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy harness checks loadtests chaos reports

validate: $(STAMP)
	$(BIN)/harness validate checklists/*.yaml

clean:
	rm -rf reports/out .pytest_cache .mypy_cache .ruff_cache

sensitivity: $(STAMP)
	$(BIN)/harness sensitivity checklists/reference.yaml

fuzz: $(STAMP)
	HARNESS_FUZZ_EXAMPLES=5000 $(BIN)/pytest -p no:locust -n auto tests/core/test_loader_fuzz.py
