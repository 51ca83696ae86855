#!/usr/bin/env bash
# Starts docker-compose.yml's Keycloak and bridge services with podman-compose, as docker/README.md
# tells a user to (a .env from docker/env.example with the secrets changed), and checks that
# the bridge answers /healthz and /readyz (Keycloak with the demo realm reachable through the
# shared network namespace). The four Jitsi services are not started: their images
# (ghcr.io/jitsi/*) cannot be pulled on the project's machines, and nothing stands in for them.
#
# Neither can quay.io/keycloak/keycloak: the compose file reads its image from KEYCLOAK_IMAGE
# (default quay.io/keycloak/keycloak:26.7.3), and this script builds one locally from the same
# Keycloak 26.7.3 distribution (the Maven Central zip scripts/keycloak.sh fetches) laid out as
# the official image (/opt/keycloak, uid 1000, kc.sh as entry point), on Debian bookworm
# (mmdebstrap) with this machine's Temurin JDK 25. The bridge's image is the one
# scripts/image.sh built, tagged as the compose file names it (jitsi-oidc-bridge:local).
#
# Usage: scripts/compose-run.sh [BRIDGE_IMAGE]
# Needs: podman, runc, mmdebstrap (scripts/prereqs.sh installs them), python3-venv. podman-compose
# comes from PyPI (cached): Debian bookworm's 1.0.3 cannot start a service in another's
# network namespace (network_mode: service:keycloak), which the compose file needs.
set -euo pipefail

ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
BRIDGE_IMAGE="${1:-${E2E_IMAGE:?E2E_IMAGE or an image argument (scripts/image.sh builds one)}}"
PODMAN=(podman --runtime runc)
say() { echo "compose-run: $*" >&2; }
die() {
    say "$*"
    exit 1
}

recipe_hash() { declare -f "$@" | sha256sum | cut -c1-12; }

# The JDK is copied with its links resolved: its trust store (lib/security/cacerts) links to
# this machine's Java store. A test image only, never published.
make_keycloak_image() {
    local tag=$1 dist=$2 jdk=$3
    mmdebstrap --quiet --mode=root --variant=minbase --include=ca-certificates \
        --customize-hook="mkdir -p \"\$1/opt/keycloak/data/import\" \"\$1/opt/java\"" \
        --customize-hook="cp -aL $jdk/. \"\$1/opt/java/\"" \
        --customize-hook="cp -a $dist/bin $dist/conf $dist/lib $dist/providers $dist/themes $dist/version.txt \"\$1/opt/keycloak/\"" \
        --customize-hook="chroot \"\$1\" useradd --uid 1000 --gid 0 --home-dir /opt/keycloak --no-create-home keycloak" \
        --customize-hook="chown -R 1000:0 \"\$1/opt/keycloak\"" \
        bookworm - |
        "${PODMAN[@]}" import \
            --change 'ENV JAVA_HOME=/opt/java' \
            --change 'ENV PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'USER 1000' \
            --change 'WORKDIR /opt/keycloak' \
            --change 'ENTRYPOINT ["/opt/keycloak/bin/kc.sh"]' \
            - "$tag" >/dev/null
}

PODMAN_COMPOSE_VERSION=1.6.0
venv="${XDG_CACHE_HOME:-$HOME/.cache}/jitsi-oidc-bridge/podman-compose-$PODMAN_COMPOSE_VERSION"
if [[ ! -x "$venv/bin/podman-compose" ]]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "podman-compose==$PODMAN_COMPOSE_VERSION" >&2
fi

"$ROOT/scripts/keycloak.sh" fetch >&2
dist=$(ls -d "${XDG_CACHE_HOME:-$HOME/.cache}"/jitsi-oidc-bridge/keycloak-26.7.3/keycloak-26.7.3)
jdk=$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -n1)
[[ -n "$jdk" ]] || die "no Temurin JDK 25 under /usr/lib/jvm"
KEYCLOAK_IMAGE="localhost/jitsi-oidc-bridge-test/keycloak:26.7.3-$(recipe_hash make_keycloak_image)"
if ! "${PODMAN[@]}" image exists "$KEYCLOAK_IMAGE"; then
    say "making $KEYCLOAK_IMAGE from the Keycloak 26.7.3 distribution (once)"
    make_keycloak_image "$KEYCLOAK_IMAGE" "$dist" "$jdk"
fi
"${PODMAN[@]}" tag "$BRIDGE_IMAGE" localhost/jitsi-oidc-bridge:local

# The project as a user has it: the compose file, the realm it mounts, and a .env made from
# docker/env.example with the secrets changed (the bridge refuses the demo placeholders).
project=$(mktemp -d)
cp "$ROOT/docker-compose.yml" "$project/"
mkdir -p "$project/scripts/demo"
cp "$ROOT/scripts/demo/demo-realm.json" "$project/scripts/demo/"
random() { head -c 32 /dev/urandom | base64 | tr -d '/+='; }
sed -e "s|^BRIDGE_LOGIN__COOKIE_KEY=.*|BRIDGE_LOGIN__COOKIE_KEY=$(random)|" \
    -e "s|^JWT_APP_SECRET=.*|JWT_APP_SECRET=$(random)|" \
    -e "s|^KEYCLOAK_ADMIN_PASSWORD=.*|KEYCLOAK_ADMIN_PASSWORD=$(random)|" \
    "$ROOT/docker/env.example" >"$project/.env"
echo "KEYCLOAK_IMAGE=$KEYCLOAK_IMAGE" >>"$project/.env"
NAME="bridge-compose-$$"
# podman-compose runs plain `podman`: runc and this sandbox's limits through containers.conf.
cat >"$project/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
CONF
compose() { (cd "$project" && CONTAINERS_CONF="$project/containers.conf" "$venv/bin/podman-compose" -p "$NAME" "$@"); }
cleanup() {
    compose down -t 5 >/dev/null 2>&1 || true
    [[ -n "${KEEP:-}" ]] || rm -rf "$project"
}
trap cleanup EXIT

# The compose file publishes fixed ports; a demo running here (make demo) holds the same.
for port in 3000 8180; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "127.0.0.1:$port is taken (a running demo?); the compose file publishes it: stop that first"
    fi
done

say "podman-compose up keycloak bridge (web, prosody, jicofo and jvb: not started, their images cannot be pulled here)"
compose up -d keycloak bridge >"$project/up.log" 2>&1 || { cat "$project/up.log" >&2; die "podman-compose up failed"; }
# Without systemd (a container on this machine), podman cannot schedule health-check timers
# and says so at every start; the health check itself still runs when asked.
if grep -v 'systemd connection' "$project/up.log" | grep -iE "error|exit code: [1-9]" >&2; then
    cat "$project/up.log" >&2
    die "podman-compose up reported errors"
fi
deadline=$((SECONDS + 180))
until [[ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:3000/healthz)" == 200 ]]; do
    ((SECONDS < deadline)) || { compose logs bridge >&2 || true; die "the bridge did not answer /healthz"; }
    sleep 1
done
say "the bridge answers /healthz"
until [[ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:3000/readyz)" == 200 ]]; do
    ((SECONDS < deadline)) || { compose logs keycloak >&2 || true; die "the bridge is not ready (Keycloak with the demo realm)"; }
    sleep 2
done
say "the bridge is ready: Keycloak's demo realm is reachable at http://localhost:8180 from both"
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' http://127.0.0.1:3000/room/ComposeCheck)
[[ "$code" == "303 http://localhost:8180/realms/jitsi/protocol/openid-connect/auth?"* ]] ||
    die "GET /room did not send to the demo realm's login: $code"
say "GET /room/ComposeCheck sends to Keycloak's login page"
