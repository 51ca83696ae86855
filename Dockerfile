# syntax=docker/dockerfile:1
#
# jitsi-oidc-bridge container image.
#
#   docker build -t jitsi-oidc-bridge .
#   docker run --rm -p 3000:3000 -e BRIDGE_SERVER__PUBLIC_URL=... jitsi-oidc-bridge
#
# Configure with BRIDGE_<SECTION>__<KEY> environment variables (see config.example.toml), or
# mount a TOML file and set BRIDGE_CONFIG=/path/to/bridge.toml. Secrets can be mounted as files
# instead (the *_file keys, e.g. BRIDGE_JITSI__SECRET_FILE=/run/secrets/jitsi-app-secret).
# Check a configuration without starting:
#   docker run --rm --env-file ... jitsi-oidc-bridge check-config
#
# The build uses BuildKit cache mounts (the default builder of Docker 23+ and of
# `docker compose build`).

# The toolchain the image is built with: the one the project's CI uses. The two bases are
# build arguments so that a machine without registry access can hand in bases it made from
# the same packages (scripts/image.sh does, for the tests); everyone else keeps these.
ARG RUST_VERSION=1.95
ARG BUILDER_IMAGE=docker.io/library/rust:${RUST_VERSION}-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

# ---- build -------------------------------------------------------------------------------
FROM ${BUILDER_IMAGE} AS builder
WORKDIR /src

# What the release build reads: the templates, the stylesheet and the translations are
# compiled in (askama, include_str!, fluent-templates), so the runtime image holds nothing but
# the binary. The manifest names the e2e test and the benchmark as targets, and cargo wants
# their files to exist even for `--bin`: only those two files are copied, so that a change to
# the tests does not rebuild the image. .cargo/config.toml carries the allocator's build flag.
# .dockerignore lets exactly these paths into the build context.
COPY Cargo.toml Cargo.lock ./
COPY .cargo/config.toml ./.cargo/config.toml
COPY src ./src
COPY templates ./templates
COPY locales ./locales
COPY benches/mint.rs ./benches/mint.rs
COPY tests/e2e/main.rs ./tests/e2e/main.rs

RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked --bin jitsi-oidc-bridge \
    && install -D -m 0755 target/release/jitsi-oidc-bridge /out/jitsi-oidc-bridge

# ---- runtime -----------------------------------------------------------------------------
# distroless/cc: glibc + libgcc (all the binary links against) and Debian's ca-certificates,
# no shell, no package manager. The :nonroot tag runs as uid/gid 65532. TLS to Keycloak is
# rustls; it trusts its compiled-in public roots plus the system store (this image's
# ca-certificates). For a private CA, mount its PEM and set SSL_CERT_FILE to it: the system
# store is then read from that file, the compiled-in roots still apply (docs/operations.md).
FROM ${RUNTIME_IMAGE}

LABEL org.opencontainers.image.title="jitsi-oidc-bridge" \
      org.opencontainers.image.description="Log in to Jitsi Meet rooms through Keycloak (OIDC) and hand Jitsi a verified JWT" \
      org.opencontainers.image.licenses="Apache-2.0"

COPY --from=builder /out/jitsi-oidc-bridge /usr/local/bin/jitsi-oidc-bridge

# Inside a container the bridge must listen on all interfaces, or a published port cannot
# reach it (the built-in default is 127.0.0.1:3000). Put a TLS-terminating proxy in front.
ENV BRIDGE_SERVER__LISTEN=0.0.0.0:3000

USER 65532:65532
EXPOSE 3000

# `healthcheck` reads the same configuration, asks http://127.0.0.1:<listen port>/healthz and
# exits 0 when the process answers (it does not wait for Keycloak; /readyz does).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["jitsi-oidc-bridge", "healthcheck"]

ENTRYPOINT ["jitsi-oidc-bridge"]
CMD ["serve"]
