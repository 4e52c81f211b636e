# syntax=docker/dockerfile:1
#
# The podsec image: one static binary, run as a non-root user on distroless.
#
#   docker build -t ghcr.io/podsec/podsec:0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/podsec/podsec:0.1.0 --push .
#
# The binary is built on Alpine, whose Rust toolchain targets musl
# (`<arch>-unknown-linux-musl`) and links statically by default: the result depends on no
# shared library, not even libc, so it runs on `distroless/static` (no glibc there). The C
# parts (mimalloc, ring) are compiled against musl-dev. Memory allocation goes through
# mimalloc, so musl's slower allocator is not on the hot path. Multi-arch builds run the
# builder on each target platform (natively or under emulation) rather than cross-compiling.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock clippy.toml ./
COPY crates ./crates
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p podsec \
    && install -D -m 0755 target/release/podsec /out/podsec
# Fail the build if the binary is not static (it must run without a libc in the image).
RUN if ldd /out/podsec 2>&1 | grep -q '=>'; then ldd /out/podsec; exit 1; fi \
    && /out/podsec --version

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="podsec" \
      org.opencontainers.image.description="Kubernetes Pod Security Admission in Rust: CLI and validating admission webhook" \
      org.opencontainers.image.source="https://github.com/podsec/podsec" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/podsec /podsec
# distroless's `nonroot` user; the manifests also set runAsUser 65532 and runAsNonRoot.
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/podsec"]
CMD ["serve"]
