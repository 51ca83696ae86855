# The two commands of the README, plus helpers.
.PHONY: demo test fmt lint

demo:  ## Keycloak + the bridge on this machine; prints what to open
	scripts/demo.sh

test:  ## everything: fmt, clippy, unit tests, end-to-end tests against real Keycloak and Chromium
	scripts/test.sh

fmt:
	cargo fmt --all

lint:
	cargo clippy --all-targets -- -D warnings
