#!/usr/bin/env bash
# The resident memory of the container image as the Helm chart runs it: a 128 MiB memory
# limit (the chart's resources.limits.memory), read-only root, no capabilities, JSON logs at
# info. The numbers behind the chart's memory request and limit (docs/benchmarks.md,
# "The image under its memory limit"). Not part of `make test`: a measurement, not a test.
#
#   1. idle: started, Keycloak metadata loaded (/readyz 200), 2 s later;
#   2. under load: 3 000 full logins through the fake provider (4 at a time), then wrk on
#      GET /room for 10 s (64 connections): VmRSS after, and VmHWM (the peak);
#   3. at the connection cap: 1 200 clients that each send a 47 000-byte header and never
#      finish it (the bridge derives its cap from the 128 MiB limit).
#
# Usage: scripts/image-memory.sh [IMAGE]   (default: what scripts/image.sh builds)
# Needs: podman, wrk, and the load tool (cargo build --release --example bench_fake_idp).
set -euo pipefail

ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
IMAGE="${1:-localhost/jitsi-oidc-bridge:$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)}"
LOAD="$ROOT/target/release/examples/bench_fake_idp"
OUT="$(mktemp -d)"
NAME="bridge-memory-$$"
SECRET="bench-client-secret-0123456789"
say() { echo "image-memory: $*" >&2; }
[[ -x "$LOAD" ]] || (cd "$ROOT" && cargo build --quiet --release --example bench_fake_idp)
command -v wrk >/dev/null || { say "wrk is needed (Debian package wrk)"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cleanup() {
    podman --runtime runc rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
    [[ -n "${FAKE_PID:-}" ]] && kill "$FAKE_PID" 2>/dev/null || true
}
trap cleanup EXIT

"$LOAD" serve --port-file "$OUT/fake.port" --client-secret "$SECRET" --exit-after-secs 900 \
    </dev/null >"$OUT/fake.log" 2>&1 &
FAKE_PID=$!
for _ in $(seq 100); do [[ -s "$OUT/fake.port" ]] && break; sleep 0.1; done
ISSUER="http://127.0.0.1:$(cat "$OUT/fake.port")/realms/bench"
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
mkdir -p "$OUT/secrets"
printf '%s\n' "$SECRET" >"$OUT/secrets/oidc-client-secret"
printf '%s\n' "bench-cookie-key-0123456789abcdef0123456789" >"$OUT/secrets/login-cookie-key"
printf '%s\n' "bench-jitsi-shared-secret-0123456789abcdef" >"$OUT/secrets/jitsi-app-secret"
chmod 0644 "$OUT"/secrets/*

podman --runtime runc run -d --name "$NAME" --network host \
    --memory 128m --memory-swap 128m \
    --read-only --cap-drop=ALL --security-opt no-new-privileges \
    --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
    -v "$OUT/secrets:/run/secrets:ro" \
    -e "BRIDGE_SERVER__LISTEN=127.0.0.1:$PORT" -e "BRIDGE_SERVER__PUBLIC_URL=$BASE" \
    -e "BRIDGE_OIDC__ISSUER=$ISSUER" -e BRIDGE_OIDC__CLIENT_ID=jitsi-bridge \
    -e BRIDGE_OIDC__CLIENT_SECRET_FILE=/run/secrets/oidc-client-secret \
    -e BRIDGE_LOGIN__COOKIE_KEY_FILE=/run/secrets/login-cookie-key \
    -e BRIDGE_JITSI__URL=https://meet.example.test -e BRIDGE_JITSI__APP_ID=jitsi-bridge \
    -e BRIDGE_JITSI__AUDIENCE=jitsi -e BRIDGE_JITSI__SUBJECT=meet.jitsi \
    -e BRIDGE_JITSI__SECRET_FILE=/run/secrets/jitsi-app-secret \
    -e 'BRIDGE_MODERATORS__GROUPS=["moderators"]' -e BRIDGE_LOG__FORMAT=json \
    "$IMAGE" >/dev/null
for _ in $(seq 200); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz")" == 200 ]] && break
    sleep 0.1
done
PID=$(podman --runtime runc inspect --format '{{.State.Pid}}' "$NAME")
kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$PID/status"; }
report() { echo "$1 $2 kB ($(awk -v v="$2" 'BEGIN { printf "%.1f", v / 1024 }') MiB)"; }

sleep 2
podman --runtime runc logs "$NAME" 2>&1 | grep -o '"max_connections":[0-9]*,"from":"[^"]*"' | head -n1 | sed 's/^/cap: /'
report idle_rss "$(kb VmRSS)"

"$LOAD" logins --bridge "$BASE" --idp fake --room Team%20Sync --n 3000 --concurrency 4 \
    --max-secs 300 >"$OUT/logins.log" 2>&1
grep -E '^logins_ok' "$OUT/logins.log" || true
report after_3000_logins_rss "$(kb VmRSS)"
wrk -t2 -c64 -d10s "$BASE/room/Team%20Sync" >"$OUT/wrk.log" 2>&1
grep -E 'Requests/sec' "$OUT/wrk.log" || true
report after_wrk_rss "$(kb VmRSS)"
report peak_rss_so_far "$(kb VmHWM)"

timeout 120 "$LOAD" slow-headers --addr "127.0.0.1:$PORT" --n 1200 --header-bytes 47000 \
    --pid "$PID" --hold-secs 0 >"$OUT/slow.log" 2>&1 || true
grep -E '^(connections_held|rss_held_kb)' "$OUT/slow.log" || cat "$OUT/slow.log" >&2
report peak_rss "$(kb VmHWM)"
echo "oom_killed $(podman --runtime runc inspect --format '{{.State.OOMKilled}}' "$NAME")"
curl -s -o /dev/null -w 'healthz_after %{http_code}\n' "$BASE/healthz"
rm -rf "$OUT"
