# callbill's commands. `make test` is what CI runs (.ci/run); see README.md.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
CARGO ?= cargo

.PHONY: help test check-format lint unit-tests bench

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

test: check-format lint unit-tests ## Everything CI checks: formatting, lints and every test

check-format:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

unit-tests:
	$(CARGO) test --workspace --locked

bench: ## Pricing benchmarks (criterion, release build)
	$(CARGO) bench -p callbill --bench pricing
