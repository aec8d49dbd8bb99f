# Readiness harness. `make audit` and `make test` set everything up on first use.
# `make audit PROFILE=full` runs the reference service on PostgreSQL and Redis (local servers);
# add PROVIDER=container to run them (and Toxiproxy) as containers instead.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROFILE ?= default
PROVIDER ?=
ifeq ($(PROFILE),full)
CHECKLIST ?= checklists/reference-full.yaml
PROFILE_ARGS := --target system_under_test/target-full.yaml
else
CHECKLIST ?= checklists/reference.yaml
PROFILE_ARGS :=
endif
ifneq ($(PROVIDER),)
PROFILE_ARGS += --provider $(PROVIDER)
endif
AUDIT_ARGS ?=
PYTEST_ARGS ?=

.PHONY: audit test lint validate sensitivity bench fuzz audit-all clean reference

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,reference]'
	@touch $(STAMP)

audit: $(STAMP)
	$(BIN)/harness audit $(CHECKLIST) $(PROFILE_ARGS) $(AUDIT_ARGS)

test: $(STAMP)
	$(BIN)/pytest -n auto -p no:locust $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python .ci/typecheck

validate: $(STAMP)
	$(BIN)/harness validate checklists/reference.yaml checklists/reference-full.yaml checklists/seeds/*.yaml examples/*/checklist.yaml

# The generated reference: docs/checks.md and the JSON Schemas in schemas/ (tests fail when they are stale).
reference: $(STAMP)
	$(BIN)/harness checks --markdown > docs/checks.md
	$(BIN)/harness checks --schema checklist > schemas/checklist.schema.json
	$(BIN)/harness checks --schema target > schemas/target.schema.json

clean:
	rm -rf reports/out .pytest_cache .mypy_cache .ruff_cache

sensitivity: $(STAMP)
	$(BIN)/harness sensitivity checklists/reference.yaml

fuzz: $(STAMP)
	HARNESS_FUZZ_EXAMPLES=5000 $(BIN)/pytest -p no:locust -n auto tests/core/test_loader_fuzz.py

# The reference checklist and the five seed checklists, each audited even when another fails,
# then reports/out/index.html linking every report with its verdict and claims headline.
AUDIT_ALL := checklists/reference.yaml $(sort $(wildcard checklists/seeds/*.yaml))

audit-all: $(STAMP)
	@total=$(words $(AUDIT_ALL)); n=0; for checklist in $(AUDIT_ALL); do \
		n=$$((n + 1)); echo "== run $$n/$$total: $$checklist"; \
		$(BIN)/harness audit $$checklist --quiet $(AUDIT_ARGS) || true; \
	done
	$(BIN)/python -m readiness_harness.audit_all --out reports/out $(AUDIT_ALL)

bench: $(STAMP)
	$(BIN)/python -m bench
