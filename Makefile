# The two commands of the README, plus helpers. `make help` lists them.
.PHONY: help demo test check fmt lint

help:  ## this list
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 10

demo:  ## Keycloak + the bridge on this machine; prints what to open
	scripts/demo.sh

test:  ## everything: fmt, clippy, unit tests, end-to-end tests against real Keycloak and Chromium
	scripts/test.sh

check:  ## the fast loop: fmt, clippy, unit and architecture tests (seconds once built)
	cargo fmt --all -- --check
	cargo clippy --all-targets --quiet -- -D warnings
	cargo test --quiet --lib --test architecture --test docs_links --test cli

fmt:  ## format the code
	cargo fmt --all

lint:  ## clippy as CI runs it
	cargo clippy --all-targets -- -D warnings
