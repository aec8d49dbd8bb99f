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

.PHONY: audit test test-bare lint validate sensitivity bench fuzz audit-all clean reference

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,reference]'
	@touch $(STAMP)

audit: $(STAMP)
	$(BIN)/harness audit $(CHECKLIST) $(PROFILE_ARGS) $(AUDIT_ARGS)

test: $(STAMP)
	$(BIN)/pytest -n auto -p no:locust $(PYTEST_ARGS)

# The suite as on a fresh machine: Prometheus, promtool, Chromium, PostgreSQL, Redis, podman, nginx and wrk
# hidden from this one command (root: a private mount namespace), CI unset. Tests needing them must skip
# with the reason; nothing may fail for a missing tool. The slow load and fault tests use none of those
# tools and ran in `make test`; the slow ones that need a tool run again here, to show that they skip.
BARE_SLOW := tests/dependencies tests/thirdparty \
	tests/capacity/test_capacity_audit.py::test_a_generator_slower_than_the_service_is_inconclusive_never_passed
test-bare: $(STAMP)
	.ci/without-tools $(BIN)/pytest -n auto -p no:locust -p no:cacheprovider -m "not slow" $(PYTEST_ARGS)
	.ci/without-tools $(BIN)/pytest -n auto -p no:locust -p no:cacheprovider $(BARE_SLOW) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python .ci/typecheck

validate: $(STAMP)
	$(BIN)/harness validate checklists/reference.yaml checklists/reference-full.yaml $(SEED_CHECKLISTS) examples/*/checklist.yaml

# The generated reference: docs/checks.md and the JSON Schemas in schemas/ (tests fail when they are stale).
reference: $(STAMP)
	$(BIN)/harness checks --markdown > docs/checks.md
	$(BIN)/harness checks --schema checklist > schemas/checklist.schema.json
	$(BIN)/harness checks --schema target > schemas/target.schema.json

clean:
	rm -rf reports/out .pytest_cache .mypy_cache .ruff_cache

# The seed checklists (their folder also holds each one's .sensitivity.yaml).
SEED_CHECKLISTS := $(sort $(filter-out %.sensitivity.yaml,$(wildcard checklists/seeds/*.yaml)))

# The reference checklist, then each seed. A seed's clean run may fail items (claims the reference service
# does not meet, such as capacity figures beyond this machine); what must hold is that every defect is
# caught and that no item mapped to a defect already fails on the clean service.
SENSITIVITY_VERDICT := import json, sys; r = json.load(open(sys.argv[1])); \
	mapped = {i for d in r["defects"] for i in d["expected_failing"]}; \
	bad = [d["name"] for d in r["defects"] if not d["caught"]] + sorted(mapped & set(r["clean_failures"])); \
	print("missed, or failing on the clean service:", bad) if bad else None; sys.exit(bool(bad))

sensitivity: $(STAMP)
	$(BIN)/harness sensitivity checklists/reference.yaml
	@for checklist in $(SEED_CHECKLISTS); do \
		out=reports/out/sensitivity/$$(basename $$checklist .yaml); \
		echo "== sensitivity: $$checklist"; rm -f $$out/sensitivity.json; \
		$(BIN)/harness sensitivity $$checklist --out $$out || true; \
		$(BIN)/python -c '$(SENSITIVITY_VERDICT)' $$out/sensitivity.json || exit 1; \
	done

fuzz: $(STAMP)
	HARNESS_FUZZ_EXAMPLES=5000 $(BIN)/pytest -p no:locust -n auto tests/core/test_loader_fuzz.py

# The reference checklist and the five seed checklists, each audited even when another fails,
# then reports/out/index.html linking every report with its verdict and claims headline.
AUDIT_ALL := checklists/reference.yaml $(SEED_CHECKLISTS)

audit-all: $(STAMP)
	@total=$(words $(AUDIT_ALL)); n=0; for checklist in $(AUDIT_ALL); do \
		n=$$((n + 1)); echo "== run $$n/$$total: $$checklist"; \
		$(BIN)/harness audit $$checklist --quiet $(AUDIT_ARGS) || true; \
	done
	$(BIN)/python -m readiness_harness.audit_all --out reports/out $(AUDIT_ALL)

bench: $(STAMP)
	$(BIN)/python -m bench
