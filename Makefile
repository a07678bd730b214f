# fileproc: the front door. `make help` lists the targets; CI, the README and
# people all call these same targets.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ENV ?= dev
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# No default here: unset, the tools use the sandbox running from .sandbox/ (its
# state.json), else 4566 (fileproc_sandbox.control).
export SANDBOX_PORT

# Use the local hashicorp/aws mirror when there is one (offline machines), the
# public registry otherwise; see tools/fileproc_tools/tfconfig.py.
TF_CLI_CONFIG := $(shell PYTHONPATH=tools $(PYTHON) -m fileproc_tools.tfconfig 2>/dev/null)
ifneq ($(TF_CLI_CONFIG),)
export TF_CLI_CONFIG_FILE := $(TF_CLI_CONFIG)
endif

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'
	@echo "  Variables: ENV=$(ENV) (dev|staging|prod|sandbox), SANDBOX_PORT=$(or $(SANDBOX_PORT),<the running sandbox's or 4566>)"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

.PHONY: venv
venv: $(VENV)/.installed ## Create .venv with the package, the CLI and the dev tools

.PHONY: build
build: venv ## Build build/function.zip and the layer zip for ENV's runtime and architecture
	$(PY) -m fileproc_tools.build --env $(ENV)

.PHONY: fmt
fmt: venv ## Format Terraform and Python
	terraform fmt -recursive
	$(VENV)/bin/ruff format lambda_src cli sandbox tools console tests bench
	$(VENV)/bin/ruff check --fix lambda_src cli sandbox tools console tests bench

# checkov in a venv of its own: it pins boto3 and packaging exactly, which must
# not decide the versions the project runs and tests with. Its pin:
# [tool.fileproc.lint] in pyproject.toml.
CHECKOV_VENV := .venv-checkov

$(CHECKOV_VENV)/.installed: pyproject.toml $(VENV)/.installed
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet "$$($(PY) -m fileproc_tools.lint --checkov-requirement)"
	touch $@

.PHONY: lint
lint: venv $(CHECKOV_VENV)/.installed ## terraform fmt/validate, checkov, ruff, mypy
	$(PY) -m fileproc_tools.lint

.PHONY: openapi
openapi: venv ## Regenerate docs/openapi.json from the API routes
	$(PY) -m fileproc.api.openapi > docs/openapi.json

.PHONY: test
test: venv ## The test command: unit, Terraform plan and sandbox integration tests, with coverage
	$(PY) -m pytest --cov --cov-report=term --cov-fail-under=90 tests

.PHONY: test-unit
test-unit: venv ## Unit tests: the Lambda package (moto in-process), the CLI, the tooling
	$(PY) -m pytest --cov --cov-report=term tests/unit tests/cli tests/tools

.PHONY: test-terraform
test-terraform: venv ## Offline tftest plans of the root for every environment
	$(PY) -m pytest tests/terraform

.PHONY: test-integration
test-integration: venv ## Apply the root to the sandbox and test the deployed pipeline end to end
	$(PY) -m pytest tests/integration

.PHONY: init
init: venv ## terraform init with ENV's backend
	$(PY) -m fileproc_tools.terraform init --env $(ENV)

.PHONY: preflight
preflight: venv ## Check ENV's settings and AWS account before building (placeholders, quotas); no-op for the sandbox
	$(PY) -m fileproc_tools.preflight --env $(ENV)

# The preflight runs before the build: a placeholder or a missing quota is
# reported in seconds, not after building the zips.
.PHONY: plan
plan: preflight ## Preflight, build, terraform plan for ENV
	$(MAKE) build
	$(PY) -m fileproc_tools.terraform plan --env $(ENV)

.PHONY: deploy
deploy: preflight ## Preflight, build, init and apply ENV (ENV=sandbox starts the sandbox first; FORCE=1: apply even when unchanged)
	$(MAKE) build
	$(PY) -m fileproc_tools.terraform deploy --env $(ENV) $(if $(filter 1,$(FORCE)),--force)

.PHONY: destroy
destroy: venv ## terraform destroy for ENV
	$(PY) -m fileproc_tools.terraform destroy --env $(ENV)

.PHONY: outputs
outputs: venv ## Write ENV's flat outputs JSON (.sandbox/outputs-<env>.json)
	$(PY) -m fileproc_tools.terraform outputs --env $(ENV)

.PHONY: sandbox-up
sandbox-up: venv ## Start the local AWS sandbox in the background (idempotent)
	$(PY) -m fileproc_sandbox up

.PHONY: sandbox-down
sandbox-down: venv ## Stop the sandbox and everything it started
	$(PY) -m fileproc_sandbox down

.PHONY: sandbox-status
sandbox-status: venv ## Show whether the sandbox is running and where
	$(PY) -m fileproc_sandbox status

.PHONY: demo
demo: venv ## The whole pipeline on the local sandbox: deploy, upload one file of each kind, show the records (FRESH=1: deploy and upload again)
	$(PY) -m fileproc_tools.demo $(if $(filter 1,$(FRESH)),--fresh)

.PHONY: bench
bench: venv ## Benchmarks: writes bench/results.json and BENCHMARKS.md
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) -m bench

.PHONY: clean
clean: ## Remove build outputs and caches (not .venv, not the sandbox)
	rm -rf build .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
