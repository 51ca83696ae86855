#!/usr/bin/env bash
# The whole test suite: formatting and lints, unit tests, and the end-to-end tests against a
# real Keycloak (started once here) and a real headless Chromium. Run as `make test`.
set -euo pipefail

ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
started=$(date +%s)

# The cheap checks first: a formatting or lint slip fails in seconds, before any download.
command -v cargo >/dev/null || { echo "Rust (cargo) is required; install it with rustup" >&2; exit 1; }
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

scripts/prereqs.sh test

echo "== Keycloak (starting in the background while the code builds)"
scripts/keycloak.sh fetch
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
kc_http=$(free_port)
kc_mgmt=$(free_port)
run_dir="$ROOT/target/test-keycloak"
scripts/keycloak.sh stop "$run_dir" >/dev/null 2>&1 || true
rm -rf "$run_dir"
cleanup() { scripts/keycloak.sh stop "$run_dir" >/dev/null 2>&1 || true; }
trap cleanup EXIT
scripts/keycloak.sh start "$run_dir" tests/keycloak "$kc_http" "$kc_mgmt" &
kc_job=$!

echo "== oidc-provider-mock (a second OIDC server that is not Keycloak; cached)"
mock_version=0.3.4
mock_venv="${XDG_CACHE_HOME:-$HOME/.cache}/jitsi-oidc-bridge/oidc-provider-mock-$mock_version"
if [[ ! -x "$mock_venv/bin/oidc-provider-mock" ]]; then
    rm -rf "$mock_venv"
    python3 -m venv "$mock_venv"
    "$mock_venv/bin/pip" install --quiet --disable-pip-version-check "oidc-provider-mock==$mock_version"
fi
export E2E_OIDC_MOCK="$mock_venv/bin/oidc-provider-mock"

echo "== axe-core (accessibility rules for the browser test; cached)"
axe_version=4.14.1
axe_dir="${XDG_CACHE_HOME:-$HOME/.cache}/jitsi-oidc-bridge/axe-core-$axe_version"
if [[ ! -f "$axe_dir/node_modules/axe-core/axe.min.js" ]]; then
    rm -rf "$axe_dir"
    mkdir -p "$axe_dir"
    npm install --prefix "$axe_dir" --no-audit --no-fund --silent "axe-core@$axe_version"
fi
export E2E_AXE_JS="$axe_dir/node_modules/axe-core/axe.min.js"

echo "== Helm, kubernetes-validate, prometheus-operator models (for tests/helm_chart.rs; cached)"
# Exports HELM_BIN, KUBERNETES_VALIDATE and PROMETHEUS_OPERATOR_MODELS. The first run builds
# Helm from the Go module proxy (about 2 minutes on 2 cores). Two steps, so that a failed
# install stops the run: set -e does not look inside eval "$(...)".
helm_tools="$(scripts/helm-check.sh --install)"
eval "$helm_tools"

echo "== docker-compose.yml against the Compose Specification (compose-go's schema)"
scripts/compose-check.sh

echo "== promtool (for tests/monitoring.rs: the alert rules and the dashboard's queries; cached)"
promtool_env="$(scripts/promtool.sh)"
eval "$promtool_env"

echo "== the container image, built from the Dockerfile with podman (bases made here; cached)"
# Exports E2E_IMAGE for tests/e2e/container.rs. The first run makes the two bases (about a
# minute) and the release build inside the builder (about 5 minutes on 2 cores).
image_env="$(scripts/image.sh)"
eval "$image_env"

echo "== docker-compose.yml's Keycloak and bridge, started with podman-compose (Jitsi's images cannot be pulled here)"
# The first run makes a Keycloak image from the cached distribution (about 2 minutes).
scripts/compose-run.sh "$E2E_IMAGE"

echo "== build the tests"
cargo test --lib --bins --tests --no-run --quiet

echo "== waiting for Keycloak"
if ! wait "$kc_job"; then
    echo "Keycloak did not start; the end-to-end tests cannot run (see $run_dir/keycloak.log)" >&2
    exit 1
fi

export E2E_KEYCLOAK_URL="http://127.0.0.1:$kc_http"
echo "== cargo test (Keycloak at $E2E_KEYCLOAK_URL)"
cargo test --lib --bins --tests -- --test-threads=4

echo "== done in $(( $(date +%s) - started )) s"
