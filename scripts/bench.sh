#!/usr/bin/env bash
# Benchmarks of the bridge, end to end, on this machine (loopback only). See docs/benchmarks.md.
#
# Usage: scripts/bench.sh
#
#   1. criterion: Jitsi token minting, HS256 and RS256 (`cargo bench --bench mint`).
#   2. wrk: `GET /room/<name>` on the release binary against a fake OIDC provider
#      (examples/bench_fake_idp.rs), and the same wrk run against a bare axum 303 handler
#      (examples/bench_baseline.rs); also with log.level = "warn".
#   3. callbacks through the fake provider: full /room -> /auth -> /callback logins, sequential
#      and concurrent; the bridge's CPU time per login from /proc/<pid>/stat.
#   4. memory: VmRSS at idle, after 100 000 abandoned logins, after they expired, after the
#      wrk runs and after the callbacks.
#   6. slow clients at the connection cap: the bridge under a 128 MiB memory limit (a cgroup
#      of its own when this machine lets root make one, as the chart's limit does), 1 200
#      connections that each send a 47 000-byte header and never finish it, and 1 000 that
#      send 215 000 bytes (past the bound on a request head); VmRSS with the cap reached.
#   5. full logins through a real Keycloak (scripts/keycloak.sh, tests/keycloak): password
#      logins (a new browser each time) and single sign-on logins; CPU per login of the bridge
#      and of Keycloak.
#
# Environment:
#   BENCH_OUT           results directory (default target/bench); results.env and summary.txt
#   BENCH_DURATION      seconds of each measured wrk run (default 10)
#   BENCH_CONNECTIONS   wrk connections (default 64); wrk threads: BENCH_THREADS (default 2)
#   BENCH_RUNS          measured wrk runs per server; the median run is reported (default 3)
#   BENCH_QUIET_PCT     before each measurement, wait until the machine is at most this % busy
#   BENCH_QUIET_WAIT    ... but at most this many seconds (default 10 %, 300 s); recorded
#   BENCH_SKIP_KEYCLOAK 1 to skip part 5; BENCH_SKIP_CRITERION 1 to skip part 1;
#   BENCH_SKIP_SLOW 1 to skip part 6;
#   BENCH_SKIP_MEMORY 1 to skip the abandoned logins; BENCH_SKIP_LOGINS 1 the fake-provider logins
#   BENCH_KC_WARMUP_SECS seconds of single sign-on logins that warm Keycloak up before part 5 (default 120)
#
# The bridge runs in the production configuration of docs/operations.md (secrets from files,
# JSON logs at info to a file, the metrics listener on); one more run with text logs keeps
# the configuration of earlier measurements beside it.
#
# Everything listens on 127.0.0.1 only; every process started here is stopped on exit, also on
# failure or Ctrl-C; every wait and every load loop is bounded in count and time.
set -euo pipefail

ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

OUT="${BENCH_OUT:-$ROOT/target/bench}"
DURATION="${BENCH_DURATION:-10}"
CONNS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
ROOM="Team%20Sync"
LOGIN_TTL=30
CLIENT_SECRET_FAKE="bench-client-secret-0123456789"
CLIENT_SECRET_KC="bridge-test-secret-change-me"
CLK_TCK="$(getconf CLK_TCK)"
RELEASE="$ROOT/target/release"

mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT"/*.port "$OUT"/*.toml "$OUT/results.env" "$OUT/summary.txt"
RESULTS="$OUT/results.env"
: >"$RESULTS"

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'bench.sh: error: %s\n' "$*" >&2; exit 1; }
record() { printf '%s=%s\n' "$1" "$2" >>"$RESULTS"; printf '   %s = %s\n' "$1" "$2" >&2; }

# ---- processes started here, stopped on any exit -------------------------------------------
PIDS=()
KC_RUN=""
BRIDGE_WRAP=()
SLOW_CGROUP=""
stop_pid() {
    local pid="$1" i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    [[ -n "$SLOW_CGROUP" ]] && rmdir "$SLOW_CGROUP" 2>/dev/null
    if [[ -n "$KC_RUN" ]]; then
        scripts/keycloak.sh stop "$KC_RUN" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- helpers ---------------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_for <seconds> <description> <command...>: polls the command every 0.2 s.
wait_for() {
    local secs="$1" what="$2" i
    shift 2
    for ((i = 0; i < secs * 5; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    die "timed out after ${secs} s waiting for $what"
}
http_is() { [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$2")" == "$1" ]]; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# A wrk latency value (e.g. 812.00us, 1.20ms, 2.01s) in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.3f", n }'
}
# value_of <file> <key>: from the key=value output of bench_fake_idp.
value_of() { awk -F= -v k="$2" '$1 == k { sub(/^[^=]*=/, ""); print; exit }' "$1"; }

# start_bridge <name> <port> <issuer> <client secret> <log level> [json|text]: sets STARTED_PID.
# The production configuration of docs/operations.md: secrets from files, JSON logs at info to
# a file (the way a service manager collects stderr), the metrics listener on. `text` keeps the
# older text-log runs beside it.
start_bridge() {
    local name="$1" port="$2" issuer="$3" secret="$4" level="$5" format="${6:-json}"
    local secrets="$OUT/secrets-$name"
    mkdir -p "$secrets"
    printf '%s\n' "$secret" >"$secrets/oidc-client-secret"
    printf '%s\n' "bench-cookie-key-0123456789abcdef0123456789" >"$secrets/login-cookie-key"
    printf '%s\n' "bench-jitsi-shared-secret-0123456789abcdef" >"$secrets/jitsi-secret"
    chmod 0600 "$secrets"/*
    cat >"$OUT/$name.toml" <<EOF
[server]
listen = "127.0.0.1:$port"
public_url = "http://127.0.0.1:$port"
[oidc]
issuer = "$issuer"
client_id = "jitsi-bridge"
client_secret_file = "$secrets/oidc-client-secret"
[login]
cookie_key_file = "$secrets/login-cookie-key"
ttl_secs = $LOGIN_TTL
[jitsi]
url = "https://meet.example.test"
app_id = "jitsi-bridge"
audience = "jitsi"
subject = "meet.jitsi"
secret_file = "$secrets/jitsi-secret"
[moderators]
groups = ["moderators"]
[log]
level = "$level"
format = "$format"
[metrics]
listen = "127.0.0.1:$(free_port)"
EOF
    # RUST_LOG would override log.level. BRIDGE_WRAP: a command the bridge is started through.
    "${BRIDGE_WRAP[@]}" env -u RUST_LOG "$RELEASE/jitsi-oidc-bridge" --config "$OUT/$name.toml" serve \
        </dev/null >"$OUT/$name.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    wait_for 30 "$name /readyz" http_is 200 "http://127.0.0.1:$port/readyz"
}

# busy_pct: percent of all CPUs busy during one second (other people's builds skew results).
busy_pct() {
    local a b
    a=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
        busy = y[1] - x[1]; idle = y[2] - x[2]
        printf "%.0f", (busy + idle > 0) ? 100 * busy / (busy + idle) : 0 }'
}
# wait_quiet <name>: waits (at most BENCH_QUIET_WAIT s) until the machine is at most
# BENCH_QUIET_PCT % busy, then records how busy it was before the measurement.
wait_quiet() {
    local name="$1" i pct
    for ((i = 0; i < ${BENCH_QUIET_WAIT:-300}; i++)); do
        pct=$(busy_pct)
        ((pct <= ${BENCH_QUIET_PCT:-10})) && break
        ((i % 15 == 0)) && printf '   machine %s%% busy (other processes); waiting for quiet\n' "$pct" >&2
    done
    record "${name}_machine_busy_pct_before" "$pct"
}

# run_wrk <name> <url> <pid>: a 2 s warm-up, then BENCH_RUNS measured runs; records the run
# with the median req/s (its rps, p50 and p99), the lowest and highest req/s, and the server's
# CPU time per request over all runs.
run_wrk() {
    local name="$1" url="$2" pid="$3" runs="${BENCH_RUNS:-3}" i
    wait_quiet "$name"
    timeout 60 wrk -t"$THREADS" -c"$CONNS" -d2s "$url" >/dev/null
    local t0 t1 total=0 n
    t0=$(cpu_ticks "$pid")
    for ((i = 1; i <= runs; i++)); do
        timeout $((DURATION + 60)) wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$url" \
            >"$OUT/wrk-$name-$i.log"
        n=$(awk '/requests in/ {print $1}' "$OUT/wrk-$name-$i.log")
        total=$((total + n))
        printf '   run %d: %s req/s, p99 %s\n' "$i" \
            "$(awk '/^Requests\/sec:/ {print $2}' "$OUT/wrk-$name-$i.log")" \
            "$(awk '$1 == "99%" {print $2}' "$OUT/wrk-$name-$i.log")" >&2
    done
    t1=$(cpu_ticks "$pid")
    local median out
    median=$(for ((i = 1; i <= runs; i++)); do
        printf '%s %s\n' "$(awk '/^Requests\/sec:/ {print $2}' "$OUT/wrk-$name-$i.log")" "$i"
    done | sort -n | awk '{ r[NR] = $2 } END { print r[int((NR + 1) / 2)] }')
    out="$OUT/wrk-$name-$median.log"
    cat "$out" >&2
    local errors sockets
    errors=$(cat "$OUT"/wrk-"$name"-*.log | awk '/Non-2xx or 3xx responses:/ {s += $NF} END {print s + 0}')
    sockets=$(cat "$OUT"/wrk-"$name"-*.log | awk '/Socket errors:/ {sub(/^.*Socket errors: /, ""); print}' | tr '\n' ';')
    record "${name}_rps" "$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")"
    record "${name}_p50_ms" "$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")"
    record "${name}_p99_ms" "$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")"
    record "${name}_rps_min" "$(cat "$OUT"/wrk-"$name"-*.log | awk '/^Requests\/sec:/ {print $2}' | sort -n | head -n1)"
    record "${name}_rps_max" "$(cat "$OUT"/wrk-"$name"-*.log | awk '/^Requests\/sec:/ {print $2}' | sort -n | tail -n1)"
    record "${name}_p99_ms_all_runs" "\"$(cat "$OUT"/wrk-"$name"-*.log | awk '$1 == "99%" {print $2}' | tr '\n' ' ')\""
    record "${name}_requests_all_runs" "$total"
    record "${name}_non_2xx_3xx" "$errors"
    record "${name}_socket_errors" "\"${sockets}\""
    record "${name}_cpu_us_per_request" "$(awk -v a="$t0" -v b="$t1" -v n="$total" -v hz="$CLK_TCK" \
        'BEGIN { printf "%.1f", (b - a) / hz * 1e6 / n }')"
}

# ---- 0. machine and tools --------------------------------------------------------------------
say "machine"
command -v curl >/dev/null || die "curl is required"
command -v python3 >/dev/null || die "python3 is required (free ports, criterion results)"
if ! command -v wrk >/dev/null; then
    say "installing wrk (Debian package)"
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq >/dev/null
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
record machine_nproc "$(nproc)"
record machine_cpu "\"$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)\""
record machine_mem_gib "$(awk '/^MemTotal:/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)"
record machine_kernel "$(uname -r)"
record rustc "\"$(rustc --version)\""
record wrk "\"$(wrk --version 2>&1 | head -n1 | awk '{print $1, $2}')\""
record git_commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo '+dirty')"

say "building (release)"
cargo build --release --quiet --bin jitsi-oidc-bridge
# The examples in a build of their own: built together with the binary, the dev-dependencies'
# features (reqwest's cookie jar, which the load generator needs) would be unified into the
# bridge's own HTTP client, a pass-through cookie layer the shipped binary does not have.
cargo build --release --quiet --example bench_fake_idp --example bench_baseline
LOAD="$RELEASE/examples/bench_fake_idp"

# ---- 1. criterion ----------------------------------------------------------------------------
if [[ "${BENCH_SKIP_CRITERION:-0}" != 1 ]]; then
    say "criterion: cargo bench --bench mint"
    wait_quiet criterion
    cargo bench --quiet --bench mint 2>&1 | tee "$OUT/criterion.log" >&2
    for b in mint/claims_only mint/hs256 mint/rs256 login/pending_login_and_cookie; do
        est="target/criterion/$b/new/estimates.json"
        [[ -f "$est" ]] || die "criterion wrote no $est"
        key="criterion_$(tr '/' '_' <<<"$b")"
        record "${key}_mean_us" "$(python3 -c 'import json,sys; print("%.3f" % (json.load(open(sys.argv[1]))["mean"]["point_estimate"] / 1000))' "$est")"
        record "${key}_median_us" "$(python3 -c 'import json,sys; print("%.3f" % (json.load(open(sys.argv[1]))["median"]["point_estimate"] / 1000))' "$est")"
    done
fi

# ---- 2-4. fake provider, /room, memory, callbacks ------------------------------------------
say "fake OIDC provider"
"$LOAD" serve --port-file "$OUT/fake.port" --client-secret "$CLIENT_SECRET_FAKE" \
    --exit-after-secs 1800 </dev/null >"$OUT/fake.log" 2>&1 &
FAKE_PID=$!
PIDS+=("$FAKE_PID")
wait_for 30 "the fake provider's port file" test -s "$OUT/fake.port"
FAKE_ISSUER="http://127.0.0.1:$(cat "$OUT/fake.port")/realms/bench"
wait_for 10 "fake discovery" http_is 200 "$FAKE_ISSUER/.well-known/openid-configuration"

say "bridge (release, default logging: info) against the fake provider"
BRIDGE_PORT=$(free_port)
BRIDGE="http://127.0.0.1:$BRIDGE_PORT"
start_bridge bridge "$BRIDGE_PORT" "$FAKE_ISSUER" "$CLIENT_SECRET_FAKE" info
BRIDGE_PID=$STARTED_PID
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$BRIDGE/room/$ROOM")" == 303 ]] || die "GET /room is not a 303"
sleep 2
record rss_idle_kb "$(rss_kb "$BRIDGE_PID")"

if [[ "${BENCH_SKIP_MEMORY:-0}" != 1 ]]; then
say "100 000 abandoned logins (GET /room, 64 at a time, never finished)"
wait_quiet abandon
timeout 600 "$LOAD" abandon --bridge "$BRIDGE" --room "$ROOM" --n 100000 --concurrency 64 \
    --cpu "bridge=$BRIDGE_PID" --clk-tck "$CLK_TCK" --max-secs 300 | tee "$OUT/abandon.log" >&2
record abandon_requests_per_sec "$(value_of "$OUT/abandon.log" requests_per_sec)"
record abandon_cpu_us_per_request "$(value_of "$OUT/abandon.log" cpu_bridge_us_per_request)"
record rss_after_100k_abandoned_kb "$(rss_kb "$BRIDGE_PID")"
say "waiting $((LOGIN_TTL + 5)) s: the abandoned logins expire (login.ttl_secs = $LOGIN_TTL)"
sleep $((LOGIN_TTL + 5))
record rss_after_expiry_kb "$(rss_kb "$BRIDGE_PID")"
fi

say "wrk GET /room/$ROOM: the bridge (production configuration: JSON logs at info, metrics on)"
run_wrk room "$BRIDGE/room/$ROOM" "$BRIDGE_PID"
record rss_after_wrk_kb "$(rss_kb "$BRIDGE_PID")"

say "wrk: bare axum 303 handler (baseline)"
"$RELEASE/examples/bench_baseline" --port-file "$OUT/baseline.port" --exit-after-secs 600 \
    </dev/null >"$OUT/baseline.log" 2>&1 &
BASE_PID=$!
PIDS+=("$BASE_PID")
wait_for 30 "the baseline's port file" test -s "$OUT/baseline.port"
BASE="http://127.0.0.1:$(cat "$OUT/baseline.port")"
wait_for 10 "the baseline" http_is 303 "$BASE/room/$ROOM"
run_wrk baseline "$BASE/room/$ROOM" "$BASE_PID"
record baseline_rss_kb "$(rss_kb "$BASE_PID")"
stop_pid "$BASE_PID"

CALLBACKS_DONE=$SECONDS
if [[ "${BENCH_SKIP_LOGINS:-0}" != 1 ]]; then
say "sequential logins through the fake provider (latency, CPU per login)"
wait_quiet fake_seq
timeout 600 "$LOAD" logins --bridge "$BRIDGE" --idp fake --room "$ROOM" --n 3000 --concurrency 1 \
    --cpu "bridge=$BRIDGE_PID" --cpu "fake_idp=$FAKE_PID" --clk-tck "$CLK_TCK" --max-secs 300 \
    | tee "$OUT/logins-fake-seq.log" >&2
for k in logins_ok logins_per_sec login_p50_ms callback_p50_ms callback_p99_ms \
    cpu_bridge_us_per_login cpu_fake_idp_us_per_login; do
    record "fake_seq_$k" "$(value_of "$OUT/logins-fake-seq.log" "$k")"
done

say "concurrent logins through the fake provider (16 in flight)"
wait_quiet fake_c16
timeout 600 "$LOAD" logins --bridge "$BRIDGE" --idp fake --room "$ROOM" --n 20000 --concurrency 16 \
    --cpu "bridge=$BRIDGE_PID" --cpu "fake_idp=$FAKE_PID" --clk-tck "$CLK_TCK" --max-secs 300 \
    | tee "$OUT/logins-fake-c16.log" >&2
for k in logins_ok logins_per_sec login_p50_ms login_p99_ms callback_p50_ms callback_p99_ms \
    cpu_bridge_us_per_login cpu_fake_idp_us_per_login; do
    record "fake_c16_$k" "$(value_of "$OUT/logins-fake-c16.log" "$k")"
done

say "logins through the fake provider from new browsers (a new connection per login, 4 in flight)"
wait_quiet fake_fresh
timeout 600 "$LOAD" logins --bridge "$BRIDGE" --idp fake --room "$ROOM" --n 3000 --concurrency 4 \
    --fresh-browser --cpu "bridge=$BRIDGE_PID" --clk-tck "$CLK_TCK" --max-secs 300 \
    | tee "$OUT/logins-fake-fresh.log" >&2
for k in logins_ok logins_per_sec callback_p50_ms cpu_bridge_us_per_login; do
    record "fake_fresh_$k" "$(value_of "$OUT/logins-fake-fresh.log" "$k")"
done
record rss_after_callbacks_kb "$(rss_kb "$BRIDGE_PID")"
record bridge_log_lines "$(wc -l <"$OUT/bridge.log")"
CALLBACKS_DONE=$SECONDS
fi

say "wrk GET /room/$ROOM: the bridge with text logs (the configuration of earlier measurements)"
TEXT_PORT=$(free_port)
start_bridge bridge-text "$TEXT_PORT" "$FAKE_ISSUER" "$CLIENT_SECRET_FAKE" info text
TEXT_PID=$STARTED_PID
run_wrk room_text "http://127.0.0.1:$TEXT_PORT/room/$ROOM" "$TEXT_PID"
stop_pid "$TEXT_PID"
if [[ "${BENCH_SKIP_LOGINS:-0}" != 1 ]]; then
    # The first bridge has been idle since its callbacks; their used-state entries have expired.
    while ((SECONDS - CALLBACKS_DONE < LOGIN_TTL + 5)); do sleep 1; done
    record rss_after_callbacks_expired_kb "$(rss_kb "$BRIDGE_PID")"
fi
stop_pid "$BRIDGE_PID"
stop_pid "$FAKE_PID"
# The request logs of millions of requests are large; keep their end only.
for f in "$OUT/bridge.log" "$OUT/bridge-text.log"; do
    [[ -f "$f" ]] && tail -n 200 "$f" >"$f.tail" && rm -f "$f"
done

# ---- 6. slow clients at the connection cap -------------------------------------------------
# make_memory_cgroup <MiB>: a child cgroup of this shell's own with that memory limit (v2 or
# v1); prints its directory, or fails when the machine does not let us.
make_memory_cgroup() {
    local mib="$1" path dir
    path="$(awk -F: '$1 == "0" && $2 == "" { print $3 }' /proc/self/cgroup)"
    if [[ -n "$path" && -f "/sys/fs/cgroup/cgroup.controllers" ]]; then
        dir="/sys/fs/cgroup${path%/}/bench-slow-$$"
        mkdir "$dir" 2>/dev/null && echo $((mib * 1024 * 1024)) >"$dir/memory.max" 2>/dev/null &&
            { echo "$dir"; return 0; }
        rmdir "$dir" 2>/dev/null
    fi
    path="$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)"
    if [[ -n "$path" && -d /sys/fs/cgroup/memory ]]; then
        dir="/sys/fs/cgroup/memory${path%/}/bench-slow-$$"
        mkdir "$dir" 2>/dev/null && echo $((mib * 1024 * 1024)) >"$dir/memory.limit_in_bytes" 2>/dev/null &&
            { echo "$dir"; return 0; }
        rmdir "$dir" 2>/dev/null
    fi
    return 1
}
if [[ "${BENCH_SKIP_SLOW:-0}" != 1 ]]; then
say "slow clients with large headers at the connection cap, 128 MiB memory limit"
"$LOAD" serve --port-file "$OUT/fake-slow.port" --client-secret "$CLIENT_SECRET_FAKE" \
    --exit-after-secs 600 </dev/null >"$OUT/fake-slow.log" 2>&1 &
PIDS+=("$!")
wait_for 30 "the fake provider's port file" test -s "$OUT/fake-slow.port"
SLOW_ISSUER="http://127.0.0.1:$(cat "$OUT/fake-slow.port")/realms/bench"
SLOW_PORT=$(free_port)
if SLOW_CGROUP="$(make_memory_cgroup 128)"; then
    record slow_memory_limit "cgroup 128 MiB"
    # The bridge reads the limit at start, so it must start inside the cgroup.
    BRIDGE_WRAP=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$SLOW_CGROUP")
else
    SLOW_CGROUP=""
    record slow_memory_limit "none could be made here: the cap follows the open-file limit"
fi
start_bridge bridge-slow "$SLOW_PORT" "$SLOW_ISSUER" "$CLIENT_SECRET_FAKE" info
SLOW_PID=$STARTED_PID
BRIDGE_WRAP=()
record slow_cap_line "$(grep -o '"max_connections":[0-9]*,"from":"[^"]*"' "$OUT/bridge-slow.log" | head -n1 | tr -d '"' )"
record slow_rss_idle_kb "$(rss_kb "$SLOW_PID")"
timeout 120 "$LOAD" slow-headers --addr "127.0.0.1:$SLOW_PORT" --n 1000 --header-bytes 215000 \
    --pid "$SLOW_PID" --hold-secs 0 | tee "$OUT/slow-oversized.log" >&2
record slow_oversized_held "$(value_of "$OUT/slow-oversized.log" connections_held)"
record slow_oversized_rss_kb "$(value_of "$OUT/slow-oversized.log" rss_held_kb)"
sleep 1
timeout 120 "$LOAD" slow-headers --addr "127.0.0.1:$SLOW_PORT" --n 1200 --header-bytes 47000 \
    --pid "$SLOW_PID" --hold-secs 0 | tee "$OUT/slow-at-cap.log" >&2
record slow_at_cap_held "$(value_of "$OUT/slow-at-cap.log" connections_held)"
record slow_at_cap_rss_kb "$(value_of "$OUT/slow-at-cap.log" rss_held_kb)"
record slow_per_connection_bytes "$(value_of "$OUT/slow-at-cap.log" rss_per_held_connection_bytes)"
if [[ -n "$SLOW_CGROUP" ]]; then
    for f in memory.failcnt memory.events; do
        [[ -f "$SLOW_CGROUP/$f" ]] && record "slow_cgroup_${f#memory.}" "$(tr '\n' ' ' <"$SLOW_CGROUP/$f")"
    done
fi
kill -0 "$SLOW_PID" 2>/dev/null && record slow_bridge_alive yes || record slow_bridge_alive no
stop_pid "$SLOW_PID"
fi

# ---- 5. a real Keycloak ----------------------------------------------------------------------
if [[ "${BENCH_SKIP_KEYCLOAK:-0}" != 1 ]]; then
    say "Keycloak (scripts/keycloak.sh, realm files in tests/keycloak)"
    scripts/keycloak.sh fetch
    KC_RUN="$OUT/keycloak"
    KC_HTTP=$(free_port)
    KC_MGMT=$(free_port)
    scripts/keycloak.sh stop "$KC_RUN" >/dev/null 2>&1 || true
    scripts/keycloak.sh start "$KC_RUN" tests/keycloak "$KC_HTTP" "$KC_MGMT"
    # keycloak.pid is kc.sh; Keycloak itself is its java child.
    KC_PID=$(cat "$KC_RUN/keycloak.pid")
    KC_JAVA=$(ps -o pid= --ppid "$KC_PID" | head -n1 | tr -d ' ')
    [[ -n "$KC_JAVA" ]] || KC_JAVA=$KC_PID
    KC_ISSUER="http://127.0.0.1:$KC_HTTP/realms/jitsi"
    KC_BRIDGE_PORT=$(free_port)
    KC_BRIDGE="http://127.0.0.1:$KC_BRIDGE_PORT"
    start_bridge bridge-kc "$KC_BRIDGE_PORT" "$KC_ISSUER" "$CLIENT_SECRET_KC" info
    KC_BRIDGE_PID=$STARTED_PID
    USERS="alice:alice-password,bob:bob-password,carol:carol-password,dave:dave-password,erin:erin-password"
    kc_logins() { # <name> <n> <concurrency> [--sso]
        local name="$1" n="$2" c="$3"
        shift 3
        timeout 900 "$LOAD" logins --bridge "$KC_BRIDGE" --idp keycloak --room "$ROOM" --users "$USERS" \
            --n "$n" --concurrency "$c" "$@" --cpu "bridge=$KC_BRIDGE_PID" --cpu "keycloak=$KC_JAVA" \
            --clk-tck "$CLK_TCK" --max-secs "${KC_MAX_SECS:-600}" | tee "$OUT/logins-$name.log" >&2
    }
    # Keycloak's single sign-on logins get about three times faster over the first 40 000 or
    # so (its JIT compiler), and the bridge's CPU per login falls as Keycloak leaves it more of
    # the machine: a short warm-up measured a Keycloak that no production one resembles.
    say "Keycloak warm-up: 300 password logins, then single sign-on logins for ${BENCH_KC_WARMUP_SECS:-120} s, not counted"
    kc_logins kc-warmup-pw 300 4
    KC_MAX_SECS=${BENCH_KC_WARMUP_SECS:-120} kc_logins kc-warmup-sso 1000000 4 --sso
    say "password logins through Keycloak (a new browser each, 4 in flight)"
    wait_quiet kc_password
    kc_logins kc-password 1000 4
    for k in logins_ok logins_per_sec login_p50_ms login_p99_ms callback_p50_ms callback_p99_ms \
        cpu_bridge_us_per_login cpu_keycloak_us_per_login cpu_bridge_secs cpu_keycloak_secs wall_secs; do
        record "kc_password_$k" "$(value_of "$OUT/logins-kc-password.log" "$k")"
    done
    say "single sign-on logins through Keycloak (browser already signed in, 4 in flight)"
    wait_quiet kc_sso
    kc_logins kc-sso 3000 4 --sso
    for k in logins_ok logins_per_sec login_p50_ms login_p99_ms callback_p50_ms callback_p99_ms \
        cpu_bridge_us_per_login cpu_keycloak_us_per_login cpu_bridge_secs cpu_keycloak_secs wall_secs; do
        record "kc_sso_$k" "$(value_of "$OUT/logins-kc-sso.log" "$k")"
    done
    record rss_bridge_kc_after_logins_kb "$(rss_kb "$KC_BRIDGE_PID")"
    record keycloak_rss_kb "$(rss_kb "$KC_JAVA")"
    stop_pid "$KC_BRIDGE_PID"
    scripts/keycloak.sh stop "$KC_RUN"
    KC_RUN=""
fi

# ---- summary ---------------------------------------------------------------------------------
say "summary"
python3 - "$RESULTS" >"$OUT/summary.txt" <<'PY'
import sys
r = {}
for line in open(sys.argv[1]):
    k, _, v = line.rstrip("\n").partition("=")
    r[k] = v.strip('"')
def f(k):
    try:
        return float(r[k])
    except (KeyError, ValueError):
        return None
def check(name, value, unit, target, ok):
    if value is None:
        print(f"{name:<48} {'n/a':>12}          target {target:<14} NOT MEASURED")
        return
    print(f"{name:<48} {value:>12.3f} {unit:<8} target {target:<14} {'met' if ok(value) else 'MISSED'}")
busy = {k[:-len("_machine_busy_pct_before")]: v for k, v in r.items() if k.endswith("_machine_busy_pct_before")}
print("machine busy (%) just before each measurement: " + ", ".join(f"{k} {v}" for k, v in busy.items()))
print(f"machine: {r.get('machine_nproc')} cores, {r.get('machine_cpu')}, {r.get('machine_mem_gib')} GiB; {r.get('rustc')}; commit {r.get('git_commit')}")
hs = f("criterion_mint_hs256_mean_us")
check("1. mint HS256 (claims + sign), mean", hs, "us", "<= 5 us", lambda v: v <= 5)
rs = f("criterion_mint_rs256_mean_us")
if rs is not None:
    print(f"   mint RS256 (claims + sign), mean                {rs:>12.3f} us")
rps, p99, base = f("room_rps"), f("room_p99_ms"), f("baseline_rps")
print(f"2. GET /room req/s (64 conns, production config)  {rps or 0:>8.0f}; bare axum 303 handler {base or 0:.0f}")
check("   GET /room, ratio to the bare handler", rps / base if rps and base else None, "x", ">= 0.55", lambda v: v >= 0.55)
check("   GET /room p99", p99, "ms", "<= 3 ms", lambda v: v <= 3)
print(f"   bridge CPU per /room {f('room_cpu_us_per_request')} us, bare handler {f('baseline_cpu_us_per_request')} us")
q = f("room_text_rps")
if q:
    print(f"   GET /room req/s with text logs                {q:>12.0f}        p99 {f('room_text_p99_ms')} ms; /baseline = {q / base if base else float('nan'):.2f}")
print(f"3. login via fake IdP, sequential: bridge CPU/login {f('fake_seq_cpu_bridge_us_per_login')} us, callback p50 {f('fake_seq_callback_p50_ms')} ms")
print(f"   16 in flight: {f('fake_c16_logins_per_sec')} logins/s, bridge CPU/login {f('fake_c16_cpu_bridge_us_per_login')} us, callback p99 {f('fake_c16_callback_p99_ms')} ms")
print(f"   new browser per login (4 in flight): bridge CPU/login {f('fake_fresh_cpu_bridge_us_per_login')} us")
print(f"   GET /room alone: bridge CPU {f('abandon_cpu_us_per_request')} us/request (100k abandoned run)")
idle = f("rss_idle_kb")
check("4. idle RSS", idle / 1024 if idle else None, "MiB", "<= 12 MiB", lambda v: v <= 12)
for k in ("rss_after_100k_abandoned_kb", "rss_after_expiry_kb", "rss_after_wrk_kb", "rss_after_callbacks_kb", "rss_after_callbacks_expired_kb"):
    v = f(k)
    if v is not None and idle is not None:
        check(f"   {k[4:-3]} growth", (v - idle) / 1024, "MiB", "<= +20 MiB", lambda x: x <= 20)
if f("slow_at_cap_rss_kb") is not None:
    check("6. RSS at the connection cap (slow 47 kB headers)", f("slow_at_cap_rss_kb") / 1024, "MiB", "<= 128 MiB", lambda v: v <= 128)
    print(f"   {r.get('slow_cap_line')}; held {r.get('slow_at_cap_held')} of 1200, {f('slow_per_connection_bytes')} bytes each; limit: {r.get('slow_memory_limit')}")
    print(f"   215 kB headers: {r.get('slow_oversized_held')} of 1000 held, RSS {f('slow_oversized_rss_kb')} kB; bridge alive: {r.get('slow_bridge_alive')}")
if f("kc_sso_logins_per_sec") is not None:
    check("5. Keycloak password logins: bridge CPU/login", f("kc_password_cpu_bridge_us_per_login") / 1000, "ms", "<= 0.5 ms", lambda v: v <= 0.5)
    share = lambda p: f"Keycloak busy {100 * f(p + '_cpu_keycloak_secs') / (f(p + '_wall_secs') * f('machine_nproc')):.0f}% of all cores, bridge {100 * f(p + '_cpu_bridge_secs') / (f(p + '_wall_secs') * f('machine_nproc')):.0f}%"
    print(f"   {f('kc_password_logins_per_sec')} logins/s; Keycloak CPU/login {f('kc_password_cpu_keycloak_us_per_login')} us; {share('kc_password')}")
    check("   Keycloak SSO logins: bridge CPU/login", f("kc_sso_cpu_bridge_us_per_login") / 1000, "ms", "<= 0.3 ms", lambda v: v <= 0.3)
    print(f"   {f('kc_sso_logins_per_sec')} logins/s; Keycloak CPU/login {f('kc_sso_cpu_keycloak_us_per_login')} us; {share('kc_sso')}")
PY
cat "$OUT/summary.txt"
echo "results: $RESULTS, logs: $OUT" >&2
