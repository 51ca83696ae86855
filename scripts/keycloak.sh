#!/usr/bin/env bash
# Fetch, build, start and stop a real Keycloak for the integration tests and the local demo.
#
# Usage:
#   scripts/keycloak.sh fetch
#       Download the Keycloak dist with Maven, unzip it and pre-build it (`kc.sh build`) once
#       into the cache dir. Idempotent; a half-finished cache is redone.
#   scripts/keycloak.sh start <run-dir> <realm-json|dir> <http-port> <mgmt-port>
#       Copy the pre-built dist into <run-dir>, import <realm-json> (or every
#       <realm>-realm.json in a directory), start
#       `kc.sh start --optimized` on 127.0.0.1 and wait until it is ready (health + realm
#       discovery). Log: <run-dir>/keycloak.log, pid: <run-dir>/keycloak.pid.
#   scripts/keycloak.sh stop <run-dir>
#       Stop the Keycloak started in <run-dir> (TERM, then KILL after 20 s).
#   scripts/keycloak.sh dist-dir
#       Print the pre-built dist directory (after fetch).
#
# Environment:
#   BRIDGE_CACHE_DIR   cache dir (default ${XDG_CACHE_HOME:-$HOME/.cache}/jitsi-oidc-bridge)
#   KC_VERSION         Keycloak version (default 26.7.3)
#   KC_JAVA_HOME       JDK 25 to run Keycloak with (default: /usr/lib/jvm/temurin-25*)
#   KC_READY_TIMEOUT   seconds to wait for readiness (default 240)
#   KC_HEAP            JVM heap options (default "-Xms64m -Xmx512m")
#   KC_REALM           realm whose discovery document is awaited (default jitsi)
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
readonly SCRIPT_DIR REPO_ROOT

KC_VERSION="${KC_VERSION:-26.7.3}"
BRIDGE_CACHE_DIR="${BRIDGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jitsi-oidc-bridge}"
KC_CACHE="$BRIDGE_CACHE_DIR/keycloak-$KC_VERSION"
KC_DIST="$KC_CACHE/keycloak-$KC_VERSION"
KC_MARKER="$KC_CACHE/.built-ok"
# Build-time options: `start --optimized` only accepts a dist built with exactly these.
KC_BUILD_OPTS=(--db=dev-mem --health-enabled=true --cache=local)
# `cache` is a run-time option in 26.x (build only notes it), so it is repeated at start:
# without it the production profile would set up a clustered (ispn) cache.
KC_RUN_OPTS=(--cache=local)
KC_READY_TIMEOUT="${KC_READY_TIMEOUT:-240}"
KC_HEAP="${KC_HEAP:--Xms64m -Xmx512m}"
KC_REALM="${KC_REALM:-jitsi}"
STOP_GRACE_SECONDS=20

die() {
    printf 'keycloak.sh: error: %s\n' "$*" >&2
    exit 1
}

log() {
    printf 'keycloak.sh: %s\n' "$*" >&2
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

# Locate a JDK 25 (Keycloak 26.7 on Java 25; the machine's default java is 17).
find_java25() {
    local candidate
    if [[ -n "${KC_JAVA_HOME:-}" ]]; then
        [[ -x "$KC_JAVA_HOME/bin/java" ]] || die "KC_JAVA_HOME=$KC_JAVA_HOME has no bin/java"
        printf '%s\n' "$KC_JAVA_HOME"
        return
    fi
    for candidate in /usr/lib/jvm/temurin-25*; do
        if [[ -x "$candidate/bin/java" ]]; then
            printf '%s\n' "$candidate"
            return
        fi
    done
    die "no Java 25 found (looked for /usr/lib/jvm/temurin-25*/bin/java); install a JDK 25 or set KC_JAVA_HOME"
}

require_cmd() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not installed${2:+ ($2)}"
}

# True if something accepts TCP connections on 127.0.0.1:<port>.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

http_status() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" 2>/dev/null || true
}

cmd_fetch() {
    [[ $# -eq 0 ]] || usage
    if [[ -f "$KC_MARKER" && -x "$KC_DIST/bin/kc.sh" ]]; then
        log "cached build is complete: $KC_DIST"
        return 0
    fi
    require_cmd mvn "needed to download the Keycloak distribution"
    require_cmd unzip
    local java_home
    java_home="$(find_java25)"

    # Anything here without the marker is a half-finished attempt: start over.
    rm -rf -- "$KC_CACHE"
    mkdir -p -- "$KC_CACHE/download"

    log "downloading org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip"
    if ! mvn -B -q -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
        "-Dartifact=org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" \
        "-DoutputDirectory=$KC_CACHE/download" >"$KC_CACHE/download.log" 2>&1; then
        tail -n 40 "$KC_CACHE/download.log" >&2 || true
        die "mvn could not download keycloak-quarkus-dist $KC_VERSION (log: $KC_CACHE/download.log)"
    fi
    local zip="$KC_CACHE/download/keycloak-quarkus-dist-$KC_VERSION.zip"
    [[ -f "$zip" ]] || die "mvn finished but $zip is missing"

    log "unzipping"
    unzip -q "$zip" -d "$KC_CACHE" || die "could not unzip $zip"
    [[ -x "$KC_DIST/bin/kc.sh" ]] || die "unexpected zip layout: $KC_DIST/bin/kc.sh missing"
    rm -rf -- "$KC_CACHE/download"

    log "building (kc.sh build ${KC_BUILD_OPTS[*]}) with JAVA_HOME=$java_home"
    local t0=$SECONDS
    if ! JAVA_HOME="$java_home" "$KC_DIST/bin/kc.sh" build "${KC_BUILD_OPTS[@]}" >"$KC_CACHE/build.log" 2>&1; then
        tail -n 60 "$KC_CACHE/build.log" >&2 || true
        die "kc.sh build failed (log: $KC_CACHE/build.log)"
    fi
    log "build took $((SECONDS - t0)) s"
    printf '%s\n' "$KC_VERSION" >"$KC_MARKER"
    log "cached build is complete: $KC_DIST"
}

cmd_dist_dir() {
    [[ -f "$KC_MARKER" ]] || die "no cached Keycloak build; run '$0 fetch' first"
    printf '%s\n' "$KC_DIST"
}

is_port() {
    [[ "$1" =~ ^[0-9]+$ ]] && ((10#$1 >= 1 && 10#$1 <= 65535))
}

cmd_start() {
    [[ $# -eq 4 ]] || usage
    local run_dir="$1" realm_json="$2" http_port="$3" mgmt_port="$4"
    is_port "$http_port" || die "invalid http port: $http_port"
    is_port "$mgmt_port" || die "invalid management port: $mgmt_port"
    [[ "$http_port" != "$mgmt_port" ]] || die "http and management port must differ"
    # A relative realm path may also be given relative to the repository root.
    if [[ ! -e "$realm_json" && "$realm_json" != /* && -e "$REPO_ROOT/$realm_json" ]]; then
        realm_json="$REPO_ROOT/$realm_json"
    fi
    [[ -f "$realm_json" || -d "$realm_json" ]] || die "realm file or directory not found: $realm_json"
    [[ -f "$KC_MARKER" && -x "$KC_DIST/bin/kc.sh" ]] \
        || die "no cached Keycloak build in $KC_CACHE; run '$0 fetch' first"
    require_cmd curl
    local java_home
    java_home="$(find_java25)"

    local pid_file="$run_dir/keycloak.pid"
    if [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
        die "a Keycloak from $run_dir is already running (pid $(cat "$pid_file")); run '$0 stop $run_dir' first"
    fi
    local port
    for port in "$http_port" "$mgmt_port"; do
        if port_in_use "$port"; then
            die "port $port on 127.0.0.1 is already in use"
        fi
    done

    mkdir -p -- "$run_dir"
    run_dir="$(cd -- "$run_dir" && pwd -P)"
    realm_json="$(cd -- "$(dirname -- "$realm_json")" && pwd -P)/$(basename -- "$realm_json")"

    pid_file="$run_dir/keycloak.pid"
    local log_file="$run_dir/keycloak.log"

    # Keycloak writes into its dist dir (data/, lib/quarkus), so each run gets its own copy.
    local kc_home="$run_dir/keycloak"
    rm -rf -- "$kc_home"
    cp -a -- "$KC_DIST" "$kc_home"
    mkdir -p -- "$kc_home/data/import"
    if [[ -d "$realm_json" ]]; then
        # A directory: every <realm>-realm.json in it (Keycloak wants the file named after the realm).
        local f found=0
        for f in "$realm_json"/*-realm.json; do
            [[ -f "$f" ]] || continue
            cp -- "$f" "$kc_home/data/import/"
            found=1
        done
        ((found)) || die "no *-realm.json files in $realm_json"
    else
        cp -- "$realm_json" "$kc_home/data/import/$KC_REALM-realm.json"
    fi

    log "starting Keycloak $KC_VERSION in $run_dir (http 127.0.0.1:$http_port, management :$mgmt_port)"
    local t0=$SECONDS
    # setsid: own process group, so `stop` can signal kc.sh and its java child together.
    KC_BOOTSTRAP_ADMIN_USERNAME=admin \
        KC_BOOTSTRAP_ADMIN_PASSWORD=admin \
        JAVA_HOME="$java_home" \
        JAVA_OPTS_KC_HEAP="$KC_HEAP" \
        setsid "$kc_home/bin/kc.sh" start --optimized \
        --http-enabled=true \
        --hostname-strict=false \
        --http-host=127.0.0.1 \
        "--http-port=$http_port" \
        "--http-management-port=$mgmt_port" \
        --import-realm \
        "${KC_RUN_OPTS[@]}" \
        </dev/null >"$log_file" 2>&1 &
    local pid=$!
    printf '%s\n' "$pid" >"$pid_file"

    local ready_url="http://127.0.0.1:$mgmt_port/health/ready"
    local discovery_url="http://127.0.0.1:$http_port/realms/$KC_REALM/.well-known/openid-configuration"
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "Keycloak exited during startup; last log lines:"
            tail -n 60 "$log_file" >&2 || true
            rm -f -- "$pid_file"
            die "Keycloak failed to start (log: $log_file)"
        fi
        if [[ "$(http_status "$ready_url")" == 200 && "$(http_status "$discovery_url")" == 200 ]]; then
            break
        fi
        if ((SECONDS - t0 >= KC_READY_TIMEOUT)); then
            log "Keycloak not ready after ${KC_READY_TIMEOUT} s; last log lines:"
            tail -n 60 "$log_file" >&2 || true
            cmd_stop "$run_dir" || true
            die "Keycloak startup timed out (log: $log_file)"
        fi
        sleep 1
    done
    log "Keycloak ready after $((SECONDS - t0)) s (pid $pid): http://127.0.0.1:$http_port/realms/$KC_REALM"
}

cmd_stop() {
    [[ $# -eq 1 ]] || usage
    local pid_file="$1/keycloak.pid"
    if [[ ! -f "$pid_file" ]]; then
        log "no pid file in $1; nothing to stop"
        return 0
    fi
    local pid
    pid="$(cat "$pid_file")"
    [[ "$pid" =~ ^[0-9]+$ ]] || die "corrupt pid file: $pid_file"
    if ! kill -0 "$pid" 2>/dev/null; then
        log "Keycloak (pid $pid) is not running"
        rm -f -- "$pid_file"
        return 0
    fi
    # `start` runs kc.sh under setsid, so the pid normally leads its own process group
    # (kc.sh + its java child); signal the group then, otherwise just the pid.
    local target="$pid" pgid
    pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ' || true)"
    [[ "$pgid" == "$pid" ]] && target="-$pid"
    kill -TERM -- "$target" 2>/dev/null || true
    local waited=0
    while kill -0 -- "$target" 2>/dev/null; do
        if ((waited >= STOP_GRACE_SECONDS)); then
            log "Keycloak (pid $pid) ignored TERM for ${STOP_GRACE_SECONDS} s; sending KILL"
            kill -KILL -- "$target" 2>/dev/null || true
            sleep 1
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done
    rm -f -- "$pid_file"
    log "Keycloak (pid $pid) stopped"
}

main() {
    [[ $# -ge 1 ]] || usage
    local sub="$1"
    shift
    case "$sub" in
        fetch) cmd_fetch "$@" ;;
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        dist-dir) cmd_dist_dir "$@" ;;
        -h | --help | help) usage ;;
        *) usage ;;
    esac
}

main "$@"
