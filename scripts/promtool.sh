#!/usr/bin/env bash
# Installs promtool (Prometheus's rule checker and rule unit-test runner) from the Go module
# proxy, once, cached under ${XDG_CACHE_HOME:-~/.cache}/jitsi-oidc-bridge/, and prints
# `export PROMTOOL=<path>` for `eval "$(scripts/promtool.sh)"` (scripts/test.sh does this).
# tests/monitoring.rs runs it on the chart's files/alerts.yaml, files/alerts.test.yaml and
# the queries of files/dashboard.json. The first build takes a few minutes on 2 cores.
set -euo pipefail

# Prometheus 3.x is published on the Go module proxy as v0.3xx.y (v0.316.0 is Prometheus
# 3.16.0): the newest the workplace's package list shows as accepted.
PROMETHEUS_MODULE_VERSION=v0.316.0
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/jitsi-oidc-bridge"
dir="$CACHE/promtool-$PROMETHEUS_MODULE_VERSION"

if [[ ! -x "$dir/promtool" ]]; then
    go=$(command -v go || echo /usr/local/go/bin/go)
    [[ -x "$go" ]] || { echo "promtool: Go is needed to build promtool (go install)" >&2; exit 1; }
    echo "promtool: building promtool $PROMETHEUS_MODULE_VERSION from the Go module proxy (once)" >&2
    rm -rf "$dir.partial"
    mkdir -p "$dir.partial"
    GOBIN="$dir.partial" CGO_ENABLED=0 GOFLAGS=-buildvcs=false "$go" install -trimpath -ldflags '-s -w' \
        "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION" >&2
    rm -rf "$dir"
    mv "$dir.partial" "$dir"
fi
printf 'export PROMTOOL=%q\n' "$dir/promtool"
