#!/usr/bin/env bash
# Makes sure the tools the demo and the tests need are installed, installing Debian packages
# when they are missing (as root, or with sudo). Usage: scripts/prereqs.sh [demo|test]
set -euo pipefail

want="${1:-test}"
need_pkgs=()

have() { command -v "$1" >/dev/null 2>&1; }

have mvn || need_pkgs+=(maven)
have unzip || need_pkgs+=(unzip)
have curl || need_pkgs+=(curl)
if [[ "$want" == test ]]; then
    have python3 || need_pkgs+=(python3)
    # A virtualenv for the second OIDC server of the tests (oidc-provider-mock from PyPI).
    python3 -c 'import ensurepip' >/dev/null 2>&1 || need_pkgs+=(python3-venv)
    # axe-core (accessibility checks in the browser test) comes from the npm registry.
    have npm || need_pkgs+=(npm)
    have chromium || need_pkgs+=(chromium)
    have chromedriver || need_pkgs+=(chromium-driver)
    # The container image (scripts/image.sh): podman with runc, and mmdebstrap for the bases.
    have podman || need_pkgs+=(podman)
    have runc || need_pkgs+=(runc)
    have mmdebstrap || need_pkgs+=(mmdebstrap)
fi

if ((${#need_pkgs[@]})); then
    echo "prereqs: installing ${need_pkgs[*]} (Debian packages)" >&2
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        have sudo || { echo "prereqs: missing ${need_pkgs[*]}; install them or run as root" >&2; exit 1; }
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq >/dev/null
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

if ! have cargo; then
    echo "prereqs: Rust (cargo) is required; install it with rustup, then run this again" >&2
    exit 1
fi

# Keycloak 26.7 wants Java 17, 21 or 25; scripts/keycloak.sh picks the JDK and says so if none fits.
exit 0
