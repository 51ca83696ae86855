#!/usr/bin/env bash
# Local demo: a real Keycloak with the demo realm, plus the bridge, on this machine.
# Ctrl-C stops both. Run as `make demo`.
set -euo pipefail

ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
KC_HTTP=8180
KC_MGMT=9180
BRIDGE=127.0.0.1:3000

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in $KC_HTTP $KC_MGMT 3000; do
    if port_busy "$p"; then
        echo "demo: port $p is already in use; stop whatever runs there (an earlier demo?) and retry" >&2
        exit 1
    fi
done

scripts/prereqs.sh demo
echo "demo: building the bridge"
cargo build --quiet --bin jitsi-oidc-bridge
scripts/keycloak.sh fetch

run_dir="$ROOT/target/demo-keycloak"
rm -rf "$run_dir"
bridge_pid=""
cleanup() {
    trap - EXIT INT TERM
    echo
    echo "demo: stopping"
    [[ -n "$bridge_pid" ]] && kill "$bridge_pid" 2>/dev/null && wait "$bridge_pid" 2>/dev/null
    scripts/keycloak.sh stop "$run_dir" >/dev/null 2>&1 || true
    exit 0
}
trap cleanup EXIT INT TERM

echo "demo: starting Keycloak (first start takes ~20-60 s)"
scripts/keycloak.sh start "$run_dir" scripts/demo/demo-realm.json "$KC_HTTP" "$KC_MGMT"

echo "demo: starting the bridge on http://$BRIDGE"
target/debug/jitsi-oidc-bridge --config scripts/demo/bridge.toml check-config
target/debug/jitsi-oidc-bridge --config scripts/demo/bridge.toml serve &
bridge_pid=$!
for _ in $(seq 1 50); do
    curl -fsS "http://$BRIDGE/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "http://$BRIDGE/readyz" >/dev/null || { echo "demo: the bridge did not become ready" >&2; exit 1; }

# What an admin runs after a real set-up; here it shows the checks on the demo's own chain
# (Jitsi's lines are "–": the demo has no Jitsi).
echo "demo: jitsi-oidc-bridge doctor --admin-user admin"
BRIDGE_SETUP_ADMIN_PASSWORD=admin target/debug/jitsi-oidc-bridge --config scripts/demo/bridge.toml \
    doctor --admin-user admin || echo "demo: doctor found a problem (see the ✘ lines above)"

cat <<TXT

  ============================================================================
   Ready. Open in a browser:   http://$BRIDGE/room/Demo%20Room

   Log in as one of (Keycloak realm "jitsi"):
     alice / alice-password   moderator (group "moderators")
     carol / carol-password   moderator (client role "moderator")
     bob   / bob-password     member
     erin  / erin-password    member, e-mail not verified (no e-mail in the token;
                              refused in staff-* rooms)
     dave  / dave-password    refused everywhere (group "outsiders")
   Rooms named staff-* (e.g. http://$BRIDGE/room/staff-weekly) are for verified staff.

   There is no Jitsi server in this demo: the login ends on the bridge's token
   inspector, which shows the claims the user would carry into Jitsi.
   Open another room (e.g. http://$BRIDGE/room/second) to see single sign-on.
   Keycloak admin console: http://127.0.0.1:$KC_HTTP/admin  (admin / admin)
   Log out (Jitsi's tokenLogoutUrl): http://$BRIDGE/logout

   Ctrl-C stops the bridge and Keycloak.
  ============================================================================

TXT
wait "$bridge_pid"
