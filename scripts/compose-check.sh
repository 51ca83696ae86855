#!/usr/bin/env bash
# Validates docker-compose.yml the way `docker compose` loads it: the variables of
# docker/env.example put in (${VAR}, ${VAR:-default}, ${VAR:?message}), then the result
# against the Compose Specification's JSON schema as compose-go ships it (the loader of
# docker compose; its module from the Go module proxy, cached by Go), with compose-go's
# "duration" format. Prints what it checked; exits non-zero on the first problem.
#
# Usage: scripts/compose-check.sh [COMPOSE_FILE] [ENV_FILE]
# Needs: Go (for `go mod download`) and a Python with PyYAML and jsonschema (KUBERNETES_VALIDATE's
# virtualenv from scripts/helm-check.sh --install, or the system's).
set -euo pipefail

ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
COMPOSE="${1:-$ROOT/docker-compose.yml}"
ENV_FILE="${2:-$ROOT/docker/env.example}"
# The loader of docker compose v5; the newest the workplace's package list shows as accepted.
COMPOSE_GO_VERSION=v2.16.2

go=$(command -v go || echo /usr/local/go/bin/go)
dir=$("$go" mod download -json "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
schema="$dir/schema/compose-spec.json"
[[ -f "$schema" ]] || { echo "compose-check: no schema in compose-go $COMPOSE_GO_VERSION" >&2; exit 1; }

python=python3
if [[ -n "${KUBERNETES_VALIDATE:-}" ]]; then
    python="$(dirname -- "$KUBERNETES_VALIDATE")/python"
fi

"$python" - "$COMPOSE" "$ENV_FILE" "$schema" "$COMPOSE_GO_VERSION" <<'PY'
import json, re, sys
import jsonschema, yaml

compose_path, env_path, schema_path, version = sys.argv[1:5]
env = {}
for line in open(env_path):
    line = line.strip()
    if line and not line.startswith("#") and "=" in line:
        k, v = line.split("=", 1)
        env[k.strip()] = v.strip()

problems = []
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")

def put_in(text):
    def one(m):
        name, op, arg = m.group(1), m.group(2), m.group(3)
        value = env.get(name)
        if op in (":-", "-"):
            return value if value not in (None, "") or (op == "-" and value is not None) else arg
        if op in (":?", "?"):
            if value in (None, "") and (op == ":?" or value is None):
                problems.append(f"{name} is required ({arg}) and docker/env.example does not set it")
                return ""
            return value
        if value is None:
            problems.append(f"{name} is used but not set in docker/env.example (compose would put in an empty string)")
            return ""
        return value
    return VAR.sub(one, text.replace("$$", "\0")).replace("\0", "$")

def walk(node):
    if isinstance(node, dict):
        return {k: walk(v) for k, v in node.items()}
    if isinstance(node, list):
        return [walk(v) for v in node]
    if isinstance(node, str):
        return put_in(node)
    return node

doc = walk(yaml.safe_load(open(compose_path)))
schema = json.load(open(schema_path))
checker = jsonschema.FormatChecker()

@checker.checks("duration", raises=ValueError)
def duration(value):
    # Go's time.ParseDuration: one or more <number><unit>, units ns us µs ms s m h.
    if not isinstance(value, str) or not re.fullmatch(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+", value):
        raise ValueError(f"not a Go duration: {value!r}")
    return True

validator = jsonschema.Draft202012Validator(schema, format_checker=checker)
for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
    where = "/".join(str(p) for p in error.path) or "/"
    problems.append(f"{where}: {error.message}")
for p in problems:
    print(f"compose-check: FAIL: {p}", file=sys.stderr)
if problems:
    sys.exit(1)
services = ", ".join(doc["services"])
print(f"compose-check: {compose_path.rsplit('/', 1)[-1]} with docker/env.example matches the Compose Specification "
      f"(compose-go {version}); services: {services}", file=sys.stderr)
PY
