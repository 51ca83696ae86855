#!/usr/bin/env bash
# Checks the Helm chart in deploy/helm/jitsi-oidc-bridge without a cluster (the project's
# machines have none):
#
#   1. `helm lint --strict` and `helm template` with the default values and with every values
#      file in the chart's ci/ folder;
#   2. every rendered manifest against the JSON schemas of Kubernetes (kubernetes-validate,
#      strict: an unknown field fails), for the newest release it ships and for the oldest
#      release the chart supports (Chart.yaml kubeVersion);
#   3. the ServiceMonitor, a prometheus-operator resource that is not in those schemas,
#      against the validator generated from prometheus-operator's own API types
#      (@kubernetes-models/prometheus-operator: types, enums, patterns), plus a list of the
#      fields this chart may write, because that validator lets unknown fields through;
#   4. what a pod would see: the ConfigMap's bridge.toml, the Secret's files at their mount
#      paths and the container's environment, handed to the real binary's `check-config`,
#      which must say "valid". With `existingSecret` the files are made up here, under the
#      key names the values file gives.
#   5. the chart's own promises: no secret in a ConfigMap or in a plain env value, the
#      checksum annotation, probes, security context, grace period above the bridge's drain.
#
# Nothing is skipped: a missing tool, a kind without a schema, or a values file that renders
# nothing fails the check.
#
# Usage:
#   scripts/helm-check.sh [--binary PATH] [TARGET...]
#       TARGET is `default` (the chart's own values), a values file, or `promises` (what the
#       chart must refuse, and that a changed ConfigMap or Secret rolls the pods). Without
#       targets: all of them, every file in the chart's ci/ folder included. The binary
#       defaults to target/debug/jitsi-oidc-bridge, built first with `cargo build`.
#       tests/helm_chart.rs runs one target per test, with the binary cargo built.
#   scripts/helm-check.sh --install
#       install the tools (once, cached) and print `export` lines naming them, for
#       `eval "$(scripts/helm-check.sh --install)"` (scripts/test.sh does this).
#
# The tools, all from package registries and cached under
# ${XDG_CACHE_HOME:-~/.cache}/jitsi-oidc-bridge/:
#   HELM_BIN                    helm, built from the Go module helm.sh/helm/v3 with `go install`
#   KUBERNETES_VALIDATE         kubernetes-validate (PyPI) in a virtualenv; its Python (PyYAML,
#                               jsonschema) also runs the checks of steps 4 and 5
#   PROMETHEUS_OPERATOR_MODELS  node_modules with @kubernetes-models/prometheus-operator (npm)
# When these variables are set, they are used as they are and nothing is installed.
set -euo pipefail

ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
CHART="$ROOT/deploy/helm/jitsi-oidc-bridge"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/jitsi-oidc-bridge"

# v3.21.4: the newest Helm 3 release on the Go module proxy that the workplace's package list
# marks as approved (v3.22.0 is served but not approved there).
HELM_VERSION=v3.21.4
# Ships the JSON schemas of Kubernetes 1.25 to 1.37, with strict variants.
KUBERNETES_VALIDATE_VERSION=1.37.0
# Models generated from prometheus-operator's API types (monitoring.coreos.com/v1).
PROMETHEUS_OPERATOR_MODELS_VERSION=6.0.0
# The Kubernetes release the manifests are rendered for and checked against: the newest whose
# schemas kubernetes-validate ships. The oldest supported one is read from Chart.yaml.
KUBE_VERSION=1.37.0

say() { echo "helm-check: $*" >&2; }
die() {
    say "$*"
    exit 1
}

go_bin() {
    if command -v go >/dev/null 2>&1; then
        command -v go
    elif [[ -x /usr/local/go/bin/go ]]; then
        echo /usr/local/go/bin/go
    else
        die "Go is needed to build Helm (go install helm.sh/helm/v3/cmd/helm); install Go 1.24 or later"
    fi
}

install_helm() {
    local dir="$CACHE/helm-$HELM_VERSION"
    if [[ ! -x "$dir/helm" ]]; then
        local go
        go="$(go_bin)"
        say "building Helm $HELM_VERSION from the Go module proxy (once; a few minutes on 2 cores)"
        # Helm's own release build (its Makefile) stamps the version and the Kubernetes
        # version that `helm template` assumes without --kube-version: the minor version of
        # its k8s.io/client-go. Done the same way here, so `helm version` tells the truth.
        local gomod client_go minor
        gomod="$("$go" mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
        client_go="$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod" | head -n1)"
        [[ -n "$client_go" ]] || die "cannot read the k8s.io/client-go version from $gomod"
        minor="$client_go"
        rm -rf "$dir.partial"
        mkdir -p "$dir.partial"
        GOBIN="$dir.partial" CGO_ENABLED=0 GOFLAGS=-buildvcs=false "$go" install -trimpath \
            -ldflags "-s -w \
                -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
                -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
                -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 \
                -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor \
                -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
                -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor" \
            "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
        rm -rf "$dir"
        mv "$dir.partial" "$dir"
    fi
    echo "$dir/helm"
}

install_kubernetes_validate() {
    local venv="$CACHE/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
    if [[ ! -x "$venv/bin/kubernetes-validate" ]]; then
        say "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION from PyPI (once)"
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check \
            "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
    fi
    echo "$venv/bin/kubernetes-validate"
}

install_prometheus_operator_models() {
    local dir="$CACHE/prometheus-operator-models-$PROMETHEUS_OPERATOR_MODELS_VERSION"
    local marker="$dir/node_modules/@kubernetes-models/prometheus-operator/package.json"
    if [[ ! -f "$marker" ]]; then
        command -v npm >/dev/null 2>&1 || die "npm is needed for the ServiceMonitor check (Debian package npm)"
        say "installing @kubernetes-models/prometheus-operator $PROMETHEUS_OPERATOR_MODELS_VERSION from npm (once)"
        rm -rf "$dir"
        mkdir -p "$dir"
        npm install --prefix "$dir" --no-audit --no-fund --silent \
            "@kubernetes-models/prometheus-operator@$PROMETHEUS_OPERATOR_MODELS_VERSION"
    fi
    echo "$dir/node_modules"
}

if [[ "${1:-}" == --install ]]; then
    mkdir -p "$CACHE"
    printf 'export HELM_BIN=%q\n' "$(install_helm)"
    printf 'export KUBERNETES_VALIDATE=%q\n' "$(install_kubernetes_validate)"
    printf 'export PROMETHEUS_OPERATOR_MODELS=%q\n' "$(install_prometheus_operator_models)"
    exit 0
fi

# ---- the arguments -------------------------------------------------------------------------
BINARY=""
targets=()
while (($#)); do
    case "$1" in
    --binary)
        BINARY="${2:?--binary needs a path}"
        shift 2
        ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d'
        exit 0
        ;;
    *)
        targets+=("$1")
        shift
        ;;
    esac
done
if ((${#targets[@]} == 0)); then
    targets=(default)
    for f in "$CHART"/ci/*.yaml; do targets+=("$f"); done
    targets+=(promises)
fi

# ---- the tools -----------------------------------------------------------------------------
# Set by the caller (scripts/test.sh, the cargo test) or installed here; a name that is set
# but does not point at the tool is an error, never a reason to skip.
[[ -n "${HELM_BIN:-}" ]] || HELM_BIN="$(install_helm)"
[[ -n "${KUBERNETES_VALIDATE:-}" ]] || KUBERNETES_VALIDATE="$(install_kubernetes_validate)"
[[ -n "${PROMETHEUS_OPERATOR_MODELS:-}" ]] || PROMETHEUS_OPERATOR_MODELS="$(install_prometheus_operator_models)"
[[ -x "$HELM_BIN" ]] || die "HELM_BIN=$HELM_BIN is not an executable"
[[ -x "$KUBERNETES_VALIDATE" ]] || die "KUBERNETES_VALIDATE=$KUBERNETES_VALIDATE is not an executable"
PYTHON="$(dirname -- "$KUBERNETES_VALIDATE")/python"
[[ -x "$PYTHON" ]] || die "no python beside $KUBERNETES_VALIDATE (it must be kubernetes-validate in a virtualenv)"
[[ -f "$PROMETHEUS_OPERATOR_MODELS/@kubernetes-models/prometheus-operator/package.json" ]] ||
    die "PROMETHEUS_OPERATOR_MODELS=$PROMETHEUS_OPERATOR_MODELS holds no @kubernetes-models/prometheus-operator"
command -v node >/dev/null 2>&1 || die "node is needed for the ServiceMonitor check (Debian package nodejs)"
command -v openssl >/dev/null 2>&1 || die "openssl is needed to make throwaway RSA keys for the RS256 check"

# Without --binary, this source's debug build (cargo build is a no-op when it is up to date),
# so that the verdict is never that of a stale binary.
if [[ -z "$BINARY" ]]; then
    BINARY="$ROOT/target/debug/jitsi-oidc-bridge"
    (cd "$ROOT" && cargo build --quiet --bin jitsi-oidc-bridge)
fi
[[ -x "$BINARY" ]] || die "the bridge binary $BINARY does not exist"

# The oldest Kubernetes release the chart supports, from Chart.yaml (kubeVersion: ">=1.30.0-0").
MIN_KUBE_VERSION="$(sed -n 's/^kubeVersion: *"*>= *\([0-9][0-9.]*\).*/\1/p' "$CHART/Chart.yaml")"
[[ -n "$MIN_KUBE_VERSION" ]] || die "Chart.yaml has no kubeVersion of the form \">=1.x.y-0\""

WORK="$(mktemp -d "${TMPDIR:-/tmp}/helm-check.XXXXXX")"
trap 'rm -rf -- "$WORK"' EXIT

RELEASE=meet
NAMESPACE=jitsi

# Renders the chart; the rest of the arguments go to helm.
render() {
    local kube="$1"
    shift
    "$HELM_BIN" template "$RELEASE" "$CHART" --namespace "$NAMESPACE" --kube-version "$kube" "$@"
}

# `helm lint` reports a template's `fail` as [INFO] and still passes; so its output is read too.
lint() {
    local out
    if ! out="$("$HELM_BIN" lint --strict --kube-version "$KUBE_VERSION" "$CHART" "$@" 2>&1)"; then
        printf '%s\n' "$out" >&2
        die "helm lint failed"
    fi
    if grep -q -e 'Fail:' -e '\[ERROR\]' -e '\[WARNING\]' <<<"$out"; then
        printf '%s\n' "$out" >&2
        die "helm lint reported a problem"
    fi
}

check_values() {
    local label="$1"
    shift
    local name="${label//[^A-Za-z0-9_.-]/_}"
    say "$label: helm lint --strict"
    lint "$@"
    say "$label: helm template for Kubernetes $KUBE_VERSION and $MIN_KUBE_VERSION"
    render "$KUBE_VERSION" "$@" >"$WORK/$name.yaml"
    render "$MIN_KUBE_VERSION" "$@" >"$WORK/$name-min.yaml"
    mkdir -p "$WORK/$name.pod"
    "$PYTHON" "$WORK/check.py" "$label" "$WORK/$name.yaml" "$KUBE_VERSION" \
        "$WORK/$name-min.yaml" "$MIN_KUBE_VERSION" "$WORK/$name.pod"
}

# What the chart must refuse, each with the words of its refusal; and that the checksum
# annotations follow the ConfigMap and the Secret.
check_promises() {
    local out
    refuse() {
        local why="$1" expect="$2"
        shift 2
        if out="$(render "$KUBE_VERSION" "$@" 2>&1 >/dev/null)"; then
            die "promises: the chart rendered although $why"
        fi
        grep -qF -- "$expect" <<<"$out" || {
            printf '%s\n' "$out" >&2
            die "promises: refused ($why), but without \"$expect\""
        }
        say "promises: refused: $why"
    }
    local hs=(-f "$CHART/ci/hs256-values.yaml")
    refuse "a secret is written into config (it would land in the ConfigMap)" \
        "a secret must not be in \`config\`" --set config.oidc.client_secret=oops
    refuse "a tenant's secret is written into config" \
        "a secret must not be in \`config\`" --set config.tenants.acme.jitsi.secret=oops
    refuse "the cookie key is written into config" \
        "a secret must not be in \`config\`" --set config.login.cookie_key=oops
    refuse "config names its own secret file for a key the chart owns" \
        "config.jitsi.secret_file is set by the chart" --set config.jitsi.secret_file=/tmp/x
    refuse "config sets server.listen, which the chart owns" \
        "config.server.listen is set by the chart" --set config.server.listen=0.0.0.0:1
    refuse "extraEnv carries a secret as a plain value" \
        "carries a secret" --set 'extraEnv[0].name=BRIDGE_JITSI__SECRET' --set 'extraEnv[0].value=oops'
    refuse "extraEnv sets BRIDGE_CONFIG" \
        "extraEnv: BRIDGE_CONFIG is set by the chart" --set 'extraEnv[0].name=BRIDGE_CONFIG' --set 'extraEnv[0].value=/x'
    refuse "RS256 without signing keys" \
        "list the private keys in secrets.signingKeys" --set config.jitsi.algorithm=RS256
    refuse "signing keys with HS256" \
        "only used with config.jitsi.algorithm RS256" --set 'secrets.signingKeys[0].kid=a' --set 'secrets.signingKeys[0].key=a.pem'
    refuse "the chart creates the Secret but no cookie key is given" \
        "secrets.cookieKey is required" --set secrets.create=true --set secrets.oidcClientSecret=x --set secrets.jitsiSecret=y
    refuse "a signing key of a created Secret is not among its files" \
        "is not in secrets.files" --set secrets.create=true --set secrets.oidcClientSecret=x --set secrets.cookieKey=y \
        --set config.jitsi.algorithm=RS256 --set 'secrets.signingKeys[0].kid=a' --set 'secrets.signingKeys[0].key=a.pem'
    refuse "the grace period is shorter than the preStop sleep plus the request timeout" \
        "terminationGracePeriodSeconds (30) must be at least" --set terminationGracePeriodSeconds=30
    refuse "autoscaling without a CPU request" \
        "needs resources.requests.cpu" --set autoscaling.enabled=true --set resources.requests=null
    refuse "a ServiceMonitor without metrics" \
        "needs metrics.enabled" --set metrics.enabled=false --set metrics.serviceMonitor.enabled=true
    refuse "a misspelt value (values.schema.json)" \
        "additional properties 'replicas' not allowed" --set replicas=3
    refuse "a Kubernetes release older than Chart.yaml's kubeVersion" \
        "incompatible with Kubernetes" --kube-version 1.29.0

    # The checksums: a changed bridge.toml or Secret must change the pod template (and so roll
    # the pods); a change elsewhere in the Secret must not touch the config's hash.
    annotations() { render "$KUBE_VERSION" --show-only templates/deployment.yaml "$@" | grep -E '^ +checksum/' | sort; }
    local base log_changed secret_changed
    base="$(annotations "${hs[@]}")"
    log_changed="$(annotations "${hs[@]}" --set config.log.level=debug)"
    secret_changed="$(annotations "${hs[@]}" --set secrets.cookieKey=another-ci-only-cookie-key-0123456789abcdef)"
    [[ "$(grep -c checksum/ <<<"$base")" == 2 ]] || die "promises: expected checksum/config and checksum/secret, got: $base"
    [[ "$(grep config <<<"$base")" != "$(grep config <<<"$log_changed")" ]] ||
        die "promises: checksum/config did not change with bridge.toml"
    [[ "$(grep secret <<<"$base")" != "$(grep secret <<<"$secret_changed")" ]] ||
        die "promises: checksum/secret did not change with the Secret"
    [[ "$(grep config <<<"$base")" == "$(grep config <<<"$secret_changed")" ]] ||
        die "promises: checksum/config changed although only the Secret did"
    say "promises: checksum/config follows bridge.toml, checksum/secret follows the Secret"
}

# ---- the checks of rendered manifests, in Python (PyYAML and jsonschema come with
# kubernetes-validate) ------------------------------------------------------------------------
cat >"$WORK/check.py" <<'PY'
"""Checks one rendered chart: Kubernetes schemas, the ServiceMonitor, the chart's promises,
and the bridge's own check-config on what a pod would see."""

import base64
import json
import os
import re
import secrets
import subprocess
import sys
import tomllib

import kubernetes_validate
import yaml

label, rendered, kube, rendered_min, kube_min, pod_root = sys.argv[1:7]
BINARY = os.environ["HELM_CHECK_BINARY"]
DOCKERFILE = os.environ["HELM_CHECK_DOCKERFILE"]
NODE_CHECK = os.environ["HELM_CHECK_OPERATOR_JS"]

problems = []


def problem(text):
    problems.append(text)


def say(text):
    print(f"helm-check: {label}: {text}", file=sys.stderr)


def load(path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    if not docs:
        sys.exit(f"helm-check: {label}: {path} holds no manifest")
    return docs


docs = load(rendered)
docs_min = load(rendered_min)


def kn(doc):
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


# ---- 1. the Kubernetes schemas, strict (an unknown field fails) ----------------------------
OPERATOR_KINDS = ("ServiceMonitor", "PrometheusRule")
operator_docs = []
for version, batch in ((kube, docs), (kube_min, docs_min)):
    for doc in batch:
        if doc.get("apiVersion") == "monitoring.coreos.com/v1" and doc.get("kind") in OPERATOR_KINDS:
            if version == kube:
                operator_docs.append(doc)
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = "/".join(str(p) for p in e.path)
            problem(f"{kn(doc)} does not match the Kubernetes {version} schema at {path or '/'}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            problem(f"{kn(doc)}: {e.message} (a kind the check does not know is a failure, not a skip)")
if not problems:
    kinds = ", ".join(sorted({d["kind"] for d in docs}))
    say(f"{len(docs)} manifests ({kinds}) match the strict schemas of Kubernetes {kube} and {kube_min}")

# ---- 2. ServiceMonitor and PrometheusRule: prometheus-operator's own types, and the fields
# the chart may write. The generated validator checks types, enums and patterns but lets
# unknown fields through (the API server would prune them silently), so the field names are
# checked here.
PR_FIELDS = {
    "": {"apiVersion", "kind", "metadata", "spec"},
    "metadata": {"name", "namespace", "labels", "annotations"},
    "spec": {"groups"},
    "spec.groups[]": {"name", "interval", "rules"},
    "spec.groups[].rules[]": {"alert", "record", "expr", "for", "labels", "annotations"},
}
SM_FIELDS = {
    "": {"apiVersion", "kind", "metadata", "spec"},
    "metadata": {"name", "namespace", "labels", "annotations"},
    "spec": {"namespaceSelector", "selector", "endpoints"},
    "spec.namespaceSelector": {"matchNames"},
    "spec.selector": {"matchLabels"},
    "spec.endpoints[]": {"port", "path", "scheme", "interval", "scrapeTimeout", "honorLabels",
                         "relabelings", "metricRelabelings"},
    "spec.endpoints[].relabelings[]": {"sourceLabels", "separator", "targetLabel", "regex",
                                       "modulus", "replacement", "action"},
    "spec.endpoints[].metricRelabelings[]": {"sourceLabels", "separator", "targetLabel", "regex",
                                             "modulus", "replacement", "action"},
}
FREE = {"metadata.labels", "metadata.annotations", "spec.selector.matchLabels",
        "spec.groups[].rules[].labels", "spec.groups[].rules[].annotations"}
FIELDS = {"ServiceMonitor": SM_FIELDS, "PrometheusRule": PR_FIELDS}


def known_fields(kind, value, path):
    if path in FREE:
        return
    if isinstance(value, dict):
        allowed = FIELDS[kind].get(path)
        if allowed is None:
            return
        for key, inner in value.items():
            if key not in allowed:
                problem(f"{kind}: unknown field {path + '.' if path else ''}{key}")
            known_fields(kind, inner, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            known_fields(kind, item, path + "[]")


if operator_docs:
    for doc in operator_docs:
        known_fields(doc["kind"], doc, "")
    result = subprocess.run(["node", NODE_CHECK], input=json.dumps(operator_docs),
                            capture_output=True, text=True)
    if result.returncode != 0:
        problem(f"does not match prometheus-operator's types: {result.stdout}{result.stderr}")
    else:
        names = ", ".join(sorted(d["kind"] for d in operator_docs))
        say(f"{names} match prometheus-operator's types and the chart's field lists")
# The PrometheusRule is the rule file that promtool checks and tests, unchanged.
ALERTS = os.path.join(os.environ["HELM_CHECK_CHART"], "files", "alerts.yaml")
DASHBOARD = os.path.join(os.environ["HELM_CHECK_CHART"], "files", "dashboard.json")
for doc in operator_docs:
    if doc["kind"] == "PrometheusRule":
        with open(ALERTS) as f:
            if doc["spec"] != yaml.safe_load(f):
                problem("the PrometheusRule's spec is not files/alerts.yaml")
for doc in docs:
    if doc.get("kind") == "ConfigMap" and doc["metadata"]["name"].endswith("-dashboard"):
        with open(DASHBOARD) as f:
            if doc.get("data", {}).get("jitsi-oidc-bridge.json") != f.read().strip():
                problem("the dashboard ConfigMap does not hold files/dashboard.json as it is")
        if doc["metadata"].get("labels", {}).get("grafana_dashboard") != "1":
            problem("the dashboard ConfigMap lacks the label grafana_dashboard: \"1\" Grafana's sidecar looks for")

# ---- 3. the chart's promises, on what was rendered ------------------------------------------
by_kind = {}
for doc in docs:
    by_kind.setdefault(doc["kind"], []).append(doc)


def one(kind):
    found = by_kind.get(kind, [])
    if len(found) != 1:
        sys.exit(f"helm-check: {label}: expected one {kind}, found {len(found)}")
    return found[0]


deployment = one("Deployment")
# The bridge's own ConfigMap; the dashboard's (metrics.dashboard) is checked above.
bridge_configmaps = [c for c in by_kind.get("ConfigMap", []) if not c["metadata"]["name"].endswith("-dashboard")]
if len(bridge_configmaps) != 1:
    sys.exit(f"helm-check: {label}: expected one ConfigMap for bridge.toml, found {len(bridge_configmaps)}")
configmap = bridge_configmaps[0]
pod = deployment["spec"]["template"]
spec = pod["spec"]
(container,) = spec["containers"]
pod_labels = pod["metadata"]["labels"]
annotations = pod["metadata"].get("annotations", {})
secret_docs = by_kind.get("Secret", [])

for doc in docs:
    labels = doc["metadata"].get("labels", {})
    for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "helm.sh/chart"):
        if key not in labels:
            problem(f"{kn(doc)} lacks the label {key}")


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


if not selects(deployment["spec"]["selector"]["matchLabels"], pod_labels):
    problem("the Deployment's selector does not match its pods")
ctx = spec.get("securityContext", {})
sc = container.get("securityContext", {})
expect = {
    "pod runAsNonRoot": ctx.get("runAsNonRoot") is True,
    "pod seccompProfile RuntimeDefault": ctx.get("seccompProfile", {}).get("type") == "RuntimeDefault",
    "container allowPrivilegeEscalation false": sc.get("allowPrivilegeEscalation") is False,
    "container readOnlyRootFilesystem": sc.get("readOnlyRootFilesystem") is True,
    "container privileged false": sc.get("privileged") is False,
    "container drops ALL capabilities": "ALL" in sc.get("capabilities", {}).get("drop", []),
    "no service account token": spec.get("automountServiceAccountToken") is False,
    "no service links (BRIDGE_* variables)": spec.get("enableServiceLinks") is False,
    "checksum/config annotation": "checksum/config" in annotations,
    "checksum/secret annotation exactly when the chart renders the Secret": ("checksum/secret" in annotations) == bool(secret_docs),
    "resources requested": bool(container.get("resources", {}).get("requests")),
    "a memory limit": bool(container.get("resources", {}).get("limits", {}).get("memory")),
}
for what, ok in expect.items():
    if not ok:
        problem(f"the pod breaks a promise: {what}")

ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
    get = container.get(probe, {}).get("httpGet", {})
    if get.get("path") != path or get.get("port") not in ("http", ports.get("http")):
        problem(f"{probe} must ask {path} on the http port, not {get}")

# ---- 4. what the pod would see, handed to check-config ---------------------------------------
# The pod's environment: the image's ENV lines (from the Dockerfile), then the container's.
image_env = {}
with open(DOCKERFILE) as f:
    for line in f:
        m = re.match(r"^ENV\s+([A-Z_][A-Z0-9_]*)=(\S+)", line)
        if m:
            image_env[m[1]] = m[2]

rendered_secrets = {}
for s in secret_docs:
    data = {k: base64.b64decode(v).decode() for k, v in (s.get("data") or {}).items()}
    data.update(s.get("stringData") or {})
    rendered_secrets[s["metadata"]["name"]] = data
configmaps = {c["metadata"]["name"]: c.get("data", {}) for c in by_kind.get("ConfigMap", [])}
made_up = {}  # Secrets the chart does not render (existingSecret): name -> {key: value}

volumes = {v["name"]: v for v in spec.get("volumes", [])}
mounts = {m["mountPath"]: volumes[m["name"]] for m in container.get("volumeMounts", [])}
mount_re = re.compile("(" + "|".join(re.escape(p) for p in sorted(mounts, key=len, reverse=True)) + ")(?=/|$)")


def in_pod(path):
    """The path under the simulated pod's root, when a mount holds it."""
    return mount_re.sub(lambda m: pod_root + m[1], path, count=1) if mount_re.match(path) else path


def secret_value(name, key, as_rsa=False):
    if name in rendered_secrets:
        return rendered_secrets[name].get(key)
    store = made_up.setdefault(name, {})
    if key not in store:
        if as_rsa:
            store[key] = subprocess.run(
                ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                check=True, capture_output=True, text=True).stdout
        else:
            store[key] = secrets.token_urlsafe(48)
    return store[key]


env = dict(image_env)
plain_env = {}
for var in container.get("env", []):
    name = var["name"]
    if "value" in var:
        env[name] = plain_env[name] = var["value"]
    elif "secretKeyRef" in var.get("valueFrom", {}):
        ref = var["valueFrom"]["secretKeyRef"]
        env[name] = secret_value(ref["name"], ref["key"])
    elif "configMapKeyRef" in var.get("valueFrom", {}):
        ref = var["valueFrom"]["configMapKeyRef"]
        env[name] = configmaps[ref["name"]][ref["key"]]
    else:
        sys.exit(f"helm-check: {label}: cannot simulate the variable {name}: {var}")
if container.get("envFrom"):
    sys.exit(f"helm-check: {label}: cannot simulate envFrom; give the check values without it")

config_path = env.get("BRIDGE_CONFIG")
if not config_path:
    sys.exit(f"helm-check: {label}: the container does not set BRIDGE_CONFIG")
config_dir = os.path.dirname(config_path)
config_volume = mounts.get(config_dir, {}).get("configMap", {}).get("name")
config_text = configmaps.get(config_volume, {}).get(os.path.basename(config_path))
if config_text is None:
    sys.exit(f"helm-check: {label}: BRIDGE_CONFIG={config_path} is not a file of a mounted ConfigMap")
config = tomllib.loads(config_text)

# Files the configuration names: the *_file keys (tenants too) and the RS256 private keys.
wanted = {}  # path in the pod -> whether it is an RSA key


def walk(value):
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str) and k.endswith("_file"):
                wanted[v] = k == "private_key_file"
            elif isinstance(v, str) and k in ("client_secret", "cookie_key", "secret"):
                problem(f"bridge.toml in the ConfigMap holds the secret {k}")
            else:
                walk(v)
    elif isinstance(value, list):
        for v in value:
            walk(v)


walk(config)
for name, value in env.items():
    if name.startswith("BRIDGE_") and name.endswith("_FILE"):
        wanted[value] = False

# Lay out the pod's files: every mounted ConfigMap and Secret, as the kubelet would.
for mount_path, volume in mounts.items():
    target = pod_root + mount_path
    os.makedirs(target, exist_ok=True)
    if "configMap" in volume:
        for key, text in configmaps.get(volume["configMap"]["name"], {}).items():
            with open(os.path.join(target, key), "w") as f:
                f.write(mount_re.sub(lambda m: pod_root + m[1], text) if key == os.path.basename(config_path) else text)
    elif "secret" in volume:
        name = volume["secret"]["secretName"]
        mode = volume["secret"].get("defaultMode", 0o644)
        if not (mode & 0o040 and ctx.get("fsGroup") is not None) or mode & 0o007:
            problem(f"the Secret {name} is mounted with mode {oct(mode)}: it must be readable by the pod's group (fsGroup) and by nobody else")
        if name not in rendered_secrets:
            for path, rsa in wanted.items():
                if path.startswith(mount_path + "/"):
                    secret_value(name, path[len(mount_path) + 1:], as_rsa=rsa)
        for key, text in (rendered_secrets.get(name) or made_up.get(name, {})).items():
            with open(os.path.join(target, key), "w") as f:
                f.write(text)
            os.chmod(os.path.join(target, key), 0o400)
    # Other volumes (emptyDir, or a ConfigMap of the user's such as a CA) stay empty here.

for path in wanted:
    if not any(path.startswith(m + "/") for m in mounts):
        problem(f"the configuration names {path}, which is in no volume of the pod")

# No secret anywhere but in a Secret: not in a ConfigMap, a plain variable, an annotation.
all_secret_values = [v for d in list(rendered_secrets.values()) + list(made_up.values()) for v in d.values()]
exposed = [json.dumps(c.get("data", {})) for c in by_kind.get("ConfigMap", [])]
exposed += [json.dumps(plain_env)]
exposed += [json.dumps(d["metadata"].get("annotations", {})) for d in docs]
exposed += [json.dumps(annotations)]
for value in all_secret_values:
    for text in exposed:
        for line in value.strip().splitlines():
            if len(line) >= 8 and line in text and not line.startswith("-----"):
                problem("a secret value appears outside the Secret (in a ConfigMap, a plain variable or an annotation)")
                break

# The ports the bridge listens on are the ports the pod declares.
listen = env.get("BRIDGE_SERVER__LISTEN", "")
if not listen.endswith(f":{ports.get('http')}"):
    problem(f"the bridge listens on {listen}, the pod's http port is {ports.get('http')}")
metrics_listen = env.get("BRIDGE_METRICS__LISTEN")
if ("metrics" in ports) != bool(metrics_listen) or (metrics_listen and not metrics_listen.endswith(f":{ports['metrics']}")):
    problem(f"metrics listen on {metrics_listen}, the pod's metrics port is {ports.get('metrics')}")

# The grace period outlasts the drain: the preStop sleep, then the longest request.
server = config.get("server", {})
request_timeout = int(env.get("BRIDGE_SERVER__REQUEST_TIMEOUT_SECS", server.get("request_timeout_secs", 30)))
header_timeout = int(env.get("BRIDGE_SERVER__HEADER_TIMEOUT_SECS", server.get("header_timeout_secs", 10)))
sleep = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
grace = spec.get("terminationGracePeriodSeconds", 30)
if grace < sleep + request_timeout:
    problem(f"terminationGracePeriodSeconds {grace} < preStop sleep {sleep} + request timeout {request_timeout}")

# Services, Ingress, PDB, HPA, NetworkPolicy, ServiceMonitor point at what exists.
services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
for s in services.values():
    if not selects(s["spec"].get("selector"), pod_labels):
        problem(f"Service {s['metadata']['name']} does not select the bridge's pods")
    for p in s["spec"]["ports"]:
        if p["targetPort"] not in ports:
            problem(f"Service {s['metadata']['name']} targets port {p['targetPort']}, which the pod does not have")
    if s["spec"].get("sessionAffinity", "None") != "None":
        problem("sticky sessions are not needed and would pin users to a pod")
for pdb in by_kind.get("PodDisruptionBudget", []):
    if not selects(pdb["spec"]["selector"]["matchLabels"], pod_labels):
        problem("the PodDisruptionBudget does not select the bridge's pods")
hpas = by_kind.get("HorizontalPodAutoscaler", [])
for hpa in hpas:
    if hpa["spec"]["scaleTargetRef"]["name"] != deployment["metadata"]["name"]:
        problem("the HorizontalPodAutoscaler scales another Deployment")
if hpas and "replicas" in deployment["spec"]:
    problem("with a HorizontalPodAutoscaler the Deployment must leave replicas to it")
public_url = server.get("public_url", "")
m = re.match(r"^https?://([^/:]+)(?::\d+)?(/.*)?$", public_url)
for ing in by_kind.get("Ingress", []):
    rule = ing["spec"]["rules"][0]
    path = rule["http"]["paths"][0]
    want_path = (m[2] or "/").rstrip("/") or "/"
    if rule["host"] != m[1] or path["path"] != want_path:
        problem(f"the Ingress serves {rule['host']}{path['path']}, server.public_url is {public_url}")
    backend = path["backend"]["service"]
    target = services.get(backend["name"])
    if not target or backend["port"].get("name") not in [p["name"] for p in target["spec"]["ports"]]:
        problem("the Ingress points at a Service or port that does not exist")
    elif any(p["name"] == "metrics" for p in target["spec"]["ports"]):
        problem("the Ingress's Service exposes the metrics port")
for np in by_kind.get("NetworkPolicy", []):
    if not selects(np["spec"]["podSelector"]["matchLabels"], pod_labels):
        problem("the NetworkPolicy does not select the bridge's pods")
    egress_ports = {p["port"] for rule in np["spec"].get("egress", []) for p in rule.get("ports", [])}
    issuers = [config.get("oidc", {}).get("issuer")] + [t.get("oidc", {}).get("issuer") for t in config.get("tenants", {}).values()]
    for issuer in filter(None, issuers):
        im = re.match(r"^(https?)://[^/:]+(?::(\d+))?", issuer)
        port = int(im[2] or (443 if im[1] == "https" else 80))
        if port not in egress_ports:
            problem(f"the NetworkPolicy does not let the pods reach Keycloak at {issuer} (port {port})")
for sm in (d for d in operator_docs if d["kind"] == "ServiceMonitor"):
    sel = sm["spec"]["selector"]["matchLabels"]
    matched = [s for s in services.values() if selects(sel, s["metadata"].get("labels", {}))]
    if len(matched) != 1 or sm["spec"]["endpoints"][0]["port"] not in [p["name"] for p in matched[0]["spec"]["ports"]]:
        problem("the ServiceMonitor does not select exactly the metrics Service and its port")

# The real binary's verdict on the configuration the pod would start with.
pod_env = {k: (in_pod(v) if v.startswith("/") else v) for k, v in env.items()}
pod_env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
result = subprocess.run([BINARY, "check-config"], env=pod_env, capture_output=True, text=True)
verdict = result.stdout.strip()
if result.returncode != 0 or "verdict: the configuration is valid" not in verdict:
    problem(f"check-config refused what the pod would start with (exit {result.returncode}):\n{verdict}\n{result.stderr}")
else:
    made = f"; made-up Secret {', '.join(sorted(made_up))} with {', '.join(sorted(k for d in made_up.values() for k in d))}" if made_up else ""
    say(f"check-config: {verdict.splitlines()[0]} (bridge.toml from the ConfigMap, {len(env)} variables{made})")

if problems:
    for p in problems:
        print(f"helm-check: {label}: FAIL: {p}", file=sys.stderr)
    sys.exit(1)
say("the chart's promises hold (security context, probes, grace period, secrets only in the Secret, selectors)")
PY

# prometheus-operator's ServiceMonitor and PrometheusRule, through the validators generated from its API types.
cat >"$WORK/prometheus-operator.mjs" <<JS
import { ServiceMonitor } from "$PROMETHEUS_OPERATOR_MODELS/@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor.js";
import { PrometheusRule } from "$PROMETHEUS_OPERATOR_MODELS/@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule.js";
const kinds = { ServiceMonitor, PrometheusRule };
let input = "";
for await (const chunk of process.stdin) input += chunk;
let failed = false;
for (const doc of JSON.parse(input)) {
  try {
    new kinds[doc.kind](doc).validate();
  } catch (e) {
    console.log(doc.metadata.name + ": " + e.message);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
JS

export HELM_CHECK_BINARY="$BINARY"
export HELM_CHECK_DOCKERFILE="$ROOT/Dockerfile"
export HELM_CHECK_OPERATOR_JS="$WORK/prometheus-operator.mjs"
export HELM_CHECK_CHART="$CHART"

say "Helm $("$HELM_BIN" version --template '{{.Version}}'), kubernetes-validate $("$KUBERNETES_VALIDATE" --version | sed 's/.* //'), @kubernetes-models/prometheus-operator $PROMETHEUS_OPERATOR_MODELS_VERSION; binary $BINARY"
checked=0
for target in "${targets[@]}"; do
    case "$target" in
    default)
        check_values default
        ;;
    promises)
        check_promises
        ;;
    *)
        [[ -f "$target" ]] || die "no values file $target"
        check_values "$(basename -- "$target")" -f "$target"
        ;;
    esac
    checked=$((checked + 1))
done
say "$checked of ${#targets[@]} targets passed"
