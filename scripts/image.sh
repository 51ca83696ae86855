#!/usr/bin/env bash
# Builds the container image from ./Dockerfile with podman, on a machine that reaches no
# container registry: the two base images the Dockerfile starts from are made here from
# Debian's packages and handed to the build as build arguments. The Dockerfile keeps the
# public bases as its defaults, so `docker build .` elsewhere is unchanged.
#
#   runtime base  what gcr.io/distroless/cc-debian12:nonroot holds that the bridge needs:
#                 glibc (libc6), libgcc (libgcc-s1), Debian's ca-certificates bundle and
#                 netbase's /etc/services; a passwd with "nonroot" (uid/gid 65532); no
#                 shell, no package manager. The .deb files are unpacked, not installed, as
#                 distroless does: their maintainer scripts would need a shell.
#   builder base  what docker.io/library/rust:<RUST_VERSION>-bookworm offers the build:
#                 Debian bookworm (mmdebstrap) with gcc and libc6-dev, and this machine's
#                 Rust toolchain under /usr/local/rustup and /usr/local/cargo, the
#                 official image's layout. Its version must be the Dockerfile's RUST_VERSION.
#                 It also trusts the certificate authorities this machine added to its own
#                 store (/usr/local/share/ca-certificates): the build fetches crates through
#                 this machine's network, which may inspect TLS. The runtime base does not:
#                 it holds Debian's bundle only.
#
# Each base is made once and kept in podman's image store, under a tag that carries a hash
# of the recipe below (and of the toolchain's version), so a changed recipe makes it anew.
# The image build itself uses podman's layer cache and the Dockerfile's cache mounts.
#
# Usage:
#   scripts/image.sh [--tag NAME]   make the bases if needed, build the image (default tag
#                                   localhost/jitsi-oidc-bridge:<Cargo.toml version>), print
#                                   its size and layers, and print `export E2E_IMAGE=<tag>`
#                                   on stdout (scripts/test.sh evals it)
#   scripts/image.sh bases          only make the bases; prints their names
#
# Needs podman and runc (crun fails on this machine kind's RUN steps), mmdebstrap, apt and
# dpkg-deb, as root. scripts/prereqs.sh installs the Debian packages.
set -euo pipefail

ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
say() { echo "image: $*" >&2; }
die() {
    say "$*"
    exit 1
}

SUITE=bookworm
# The sandbox's limits: a container asking for more than these fails to start.
PODMAN=(podman --runtime runc)
ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

recipe_hash() { declare -f "$@" | sha256sum | cut -c1-12; }

# ---- the runtime base -------------------------------------------------------------------
runtime_tree() {
    local tree=$1 debs
    debs=$(mktemp -d)
    # The packages, not their dependencies: ca-certificates depends on openssl and debconf
    # (perl) only to run update-ca-certificates, whose one product is the bundle made below.
    (cd "$debs" && apt-get -o APT::Sandbox::User=root download -qq libc6 libgcc-s1 ca-certificates netbase) >&2
    for deb in "$debs"/*.deb; do
        dpkg-deb -x "$deb" "$tree"
    done
    rm -rf "$debs"
    # update-ca-certificates' result with the default /etc/ca-certificates.conf (every
    # certificate Debian ships enabled): the certificates concatenated.
    mkdir -p "$tree/etc/ssl/certs"
    cat "$tree"/usr/share/ca-certificates/mozilla/*.crt >"$tree/etc/ssl/certs/ca-certificates.crt"
    # Documentation other than the licences, locales and the tools glibc ships: not needed
    # by a static set of libraries, and some of them (ldd, tzselect) are shell scripts.
    find "$tree/usr/share/doc" -type f ! -name copyright -delete
    rm -rf "$tree/usr/share/man" "$tree/usr/share/locale" "$tree/usr/share/lintian" \
        "$tree/usr/bin" "$tree/usr/sbin" "$tree/usr/lib/x86_64-linux-gnu/gconv"
    printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
        'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
        'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >"$tree/etc/passwd"
    printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' >"$tree/etc/group"
    install -d -m 0700 "$tree/root"
    install -d -m 1777 "$tree/tmp"
    install -d -m 0700 -o 65532 -g 65532 "$tree/home/nonroot"
    # distroless links /bin, /lib, /sbin into /usr as Debian does; the packages' paths
    # (/lib64/ld-linux-x86-64.so.2) rely on it.
    for d in bin lib lib64 sbin; do
        if [[ -d "$tree/$d" && ! -L "$tree/$d" ]]; then
            mkdir -p "$tree/usr/$d"
            cp -a "$tree/$d/." "$tree/usr/$d/"
            rm -rf "${tree:?}/$d"
        fi
        if [[ -e "$tree/usr/$d" ]]; then
            ln -s "usr/$d" "$tree/$d"
        fi
    done
}

make_runtime_base() {
    local tag=$1 tree
    tree=$(mktemp -d)
    runtime_tree "$tree"
    if find "$tree" \( -name sh -o -name bash -o -name dash -o -name perl \) | grep -q .; then
        die "the runtime base holds a shell or an interpreter; it must not"
    fi
    tar -C "$tree" --numeric-owner -cf - . |
        "${PODMAN[@]}" import \
            --change 'USER 65532:65532' \
            --change 'WORKDIR /home/nonroot' \
            --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
            --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
            - "$tag" >/dev/null
    rm -rf "$tree"
}

# ---- the builder base -------------------------------------------------------------------
make_builder_base() {
    local tag=$1 version=$2 sysroot
    sysroot=$(rustc --print sysroot)
    local dest="/usr/local/rustup/toolchains/$version-x86_64-unknown-linux-gnu"
    # share/ is the documentation (800 MB); the build needs bin, lib and libexec.
    mmdebstrap --quiet --mode=root --variant=minbase \
        --include=gcc,libc6-dev,ca-certificates \
        --customize-hook="mkdir -p \"\$1$dest\" \"\$1/usr/local/cargo/bin\"" \
        --customize-hook="cp -a $sysroot/bin $sysroot/lib $sysroot/libexec \"\$1$dest/\"" \
        --customize-hook="for b in cargo rustc rustdoc; do ln -s $dest/bin/\$b \"\$1/usr/local/cargo/bin/\$b\"; done" \
        --customize-hook="if [ -d /usr/local/share/ca-certificates ]; then cp -a /usr/local/share/ca-certificates/. \"\$1/usr/local/share/ca-certificates/\" && chroot \"\$1\" update-ca-certificates >/dev/null; fi" \
        "$SUITE" - |
        "${PODMAN[@]}" import \
            --change 'ENV RUSTUP_HOME=/usr/local/rustup' \
            --change 'ENV CARGO_HOME=/usr/local/cargo' \
            --change 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change "ENV RUST_VERSION=$version" \
            - "$tag" >/dev/null
}

have_image() { "${PODMAN[@]}" image exists "$1"; }

# The toolchain the Dockerfile pins (ARG RUST_VERSION) must be the one this machine has, or
# the image tested here would not be the image built elsewhere.
rust_version() {
    local pinned have
    pinned=$(sed -n 's/^ARG RUST_VERSION=//p' "$ROOT/Dockerfile")
    have=$(rustc --version | cut -d' ' -f2)
    [[ -n "$pinned" ]] || die "Dockerfile: no ARG RUST_VERSION=<version> line"
    [[ "$have" == "$pinned" || "$have" == "$pinned".* ]] ||
        die "the Dockerfile pins Rust $pinned, this machine has $have: install $pinned with rustup, or move the pin (Dockerfile, docs/container.md)"
    echo "$have"
}

bases() {
    local version runtime builder
    version=$(rust_version)
    runtime="localhost/jitsi-oidc-bridge-base/runtime:$SUITE-$(recipe_hash runtime_tree make_runtime_base)"
    builder="localhost/jitsi-oidc-bridge-base/rust:$version-$SUITE-$(recipe_hash make_builder_base)"
    if ! have_image "$runtime"; then
        say "making the runtime base $runtime from Debian's packages (once)"
        make_runtime_base "$runtime"
    fi
    if ! have_image "$builder"; then
        say "making the builder base $builder: Debian $SUITE and this machine's Rust $version (once, about a minute)"
        make_builder_base "$builder" "$version"
    fi
    echo "$runtime" "$builder"
}

build() {
    local tag=$1 runtime builder
    read -r runtime builder < <(bases)
    say "building $tag from Dockerfile (runtime base $runtime, builder base $builder)"
    local started=$SECONDS
    # --network host: the build fetches crates from crates.io, and this machine's containers
    # have no network of their own. --format docker: the OCI format has no HEALTHCHECK, and
    # podman would drop the Dockerfile's.
    "${PODMAN[@]}" build --quiet --format docker --network host "${ULIMITS[@]}" \
        --build-arg "BUILDER_IMAGE=$builder" \
        --build-arg "RUNTIME_IMAGE=$runtime" \
        -t "$tag" "$ROOT" >/dev/null
    say "built in $((SECONDS - started)) s"
    local size
    size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$tag")
    say "size: $size bytes ($((size / 1024 / 1024)) MiB) uncompressed; layers:"
    "${PODMAN[@]}" history --format '{{.Size}}\t{{.CreatedBy}}' "$tag" | cut -c1-110 >&2
    printf 'export E2E_IMAGE=%q\n' "$tag"
}

case "${1:-}" in
    bases) bases ;;
    --tag) build "${2:?--tag NAME}" ;;
    "") build "localhost/jitsi-oidc-bridge:$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)" ;;
    *) die "usage: scripts/image.sh [--tag NAME] | bases" ;;
esac
