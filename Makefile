# Two commands do the whole set-up on a fresh machine: `make synth` and `make test`.
SHELL := /bin/bash
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_NOSPIN := 1
export PIPENV_YES := 1
# No HashiCorp checkpoint (version/telemetry) lookups from cdktf or terraform.
export CHECKPOINT_DISABLE := 1
# Node's deprecation warnings concern jsii's and cdktf's own code (cdktf prints them as [ERROR]); a NODE_OPTIONS
# without --max-old-space-size makes cdktf warn instead. Kept if the user sets NODE_OPTIONS.
export NODE_OPTIONS ?= --max-old-space-size=4096 --no-deprecation
# A TF_CLI_CONFIG_FILE naming a file that does not exist makes each terraform call cdktf makes during synth
# warn, printed as [ERROR] four times: such a variable is not passed on.
ifneq ($(TF_CLI_CONFIG_FILE),)
ifeq ($(wildcard $(TF_CLI_CONFIG_FILE)),)
unexport TF_CLI_CONFIG_FILE
endif
endif
# The project's own Node (npm package `node`, major 22) and cdktf-cli come first on PATH.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

PYTHON := .venv/bin/python
PY_SOURCES := constructs lambda_src __tests__ scripts main.py
TYPED_SOURCES := constructs/dr_stack lambda_src scripts main.py __tests__
# pytest-xdist: one worker per core, at most four (each worker synthesizes the stacks its tests need once, about
# 0.5 GiB); tests write only under their own temporary directories and take free ports, so any split is valid.
PYTEST_WORKERS := -n auto --maxprocesses=4
STAMP_PY := .venv/.installed
STAMP_NODE := node_modules/.installed
STAMP_CHECKOV := .venv-checkov/.installed
# pipenv lives in its own venv under .tools/ (git-ignored): a Debian/Ubuntu system Python refuses
# `pip install` outside a venv (PEP 668, "externally-managed-environment"), and a venv never touches it.
PIPENV_VERSION := 2026.10.3
PIPENV := .tools/bin/pipenv
STAMP_PIPENV := .tools/.installed-$(PIPENV_VERSION)

.PHONY: synth test test-fast lint validate scan budget drill bench bootstrap deploy diff destroy clean setup e2e

# The stacks of the selected environment in deploy order (bootstrap first when the DR stack's state is in its
# bucket); the manifest also declares that dependency, so cdktf orders them itself.
STACKS = $$($(PYTHON) -c "import sys; sys.path[:0]=['constructs']; from dr_stack.config.settings import deploy_stack_names, \
load_settings; print(' '.join(deploy_stack_names(load_settings())))")

## setup: everything the suite needs (the synth's Python and Node packages, and the checkov environment)
setup: $(STAMP_PY) $(STAMP_NODE) $(STAMP_CHECKOV)
	@echo "set up: .venv, node_modules, .venv-checkov"

$(STAMP_PIPENV):
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet "pipenv==$(PIPENV_VERSION)"
	@touch $@

$(STAMP_PY): Pipfile.lock pyproject.toml | $(STAMP_PIPENV)
	$(PIPENV) sync --dev
	@touch $@

# checkov lives in its own pinned venv: its dependency pins would fight the project's boto3/moto.
$(STAMP_CHECKOV): security/checkov-requirements.txt
	python3 -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install --quiet -r security/checkov-requirements.txt
	@touch $@

$(STAMP_NODE): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## synth: install what is missing, then synthesize every stack into cdktf.out/stacks/<stack>/cdk.tf.json
# Outside a terminal (CI, `make synth > log`) CI=1 makes cdktf print the result once instead of a spinner frame
# per tick (hundreds of lines).
# Local state lives in state/, outside cdktf.out (dr_stack.foundation.backend.local_state_path): removing cdktf.out loses none.
synth: $(STAMP_PY) $(STAMP_NODE)
	rm -rf cdktf.out
	if [ -t 1 ]; then cdktf synth --output cdktf.out; else CI=1 cdktf synth --output cdktf.out; fi

## test: install what is missing, then lint, type-check, run the whole test suite (synth, validate, scan, Lambda)
test: setup
	$(PYTHON) -m ruff check $(PY_SOURCES)
	$(PYTHON) -m ruff format --check $(PY_SOURCES)
	$(PYTHON) -m mypy $(TYPED_SOURCES)
	$(PYTHON) -m pytest $(PYTEST_WORKERS)

## test-fast: the suite without the slow tier (terraform validate, checkov, subprocess synths), for everyday
## work; no lint (docs/testing.md "Tiers"). The emulator server tests start it in about a second: they stay in.
test-fast: $(STAMP_PY) $(STAMP_NODE)
	$(PYTHON) -m pytest -m "not slow" $(PYTEST_WORKERS)

lint: setup
	$(PYTHON) -m ruff check $(PY_SOURCES)
	$(PYTHON) -m ruff format --check $(PY_SOURCES)
	$(PYTHON) -m mypy $(TYPED_SOURCES)

validate: $(STAMP_PY) $(STAMP_NODE)
	$(PYTHON) scripts/validate.py

scan: setup
	$(PYTHON) scripts/security_scan.py

## e2e: apply both stacks to a local AWS emulator (moto server on 127.0.0.1), fail over and back through the
## orchestrator, check every plan is clean, destroy (scripts/e2e/run.py; no AWS account, no network)
e2e: setup
	$(PYTHON) -m scripts.e2e.run

## deploy: synthesize, then `cdktf deploy` the environment's stacks in order (bootstrap, then DR); asks before each
deploy: synth
	cdktf deploy --skip-synth $(STACKS)

## diff: the plan of each of the environment's stacks (the DR stack's needs the bootstrap stack's bucket)
diff: synth
	for stack in $(STACKS); do cdktf diff --skip-synth "$$stack" || exit 1; done

## destroy: the DR stack, then the bootstrap stack (docs/deploy.md "Tear down": lift deletion protection first)
destroy: synth
	cdktf destroy --skip-synth $(STACKS)

## budget: the recovery-time and data-loss budgets of the selected settings, term by term
budget: $(STAMP_PY)
	$(PYTHON) -c "import sys; sys.path[:0]=['constructs']; from dr_stack.config.budget import budget_table; \
	from dr_stack.config.settings import load_settings; print(budget_table(load_settings()))"

drill: setup
	$(PYTHON) scripts/drill.py

bench: setup
	$(PYTHON) scripts/benchmark.py

bootstrap: $(STAMP_PY) $(STAMP_NODE)
	cdktf deploy $$($(PYTHON) -c "import sys; sys.path[:0]=['constructs']; from dr_stack.app import stack_names; from dr_stack.config.settings import load_settings; print(stack_names(load_settings())[0])")

clean:
	rm -rf cdktf.out .venv .venv-checkov .tools node_modules
