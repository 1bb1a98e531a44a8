# Multi-stage: build with the Rust toolchain, run from a slim image as a non-root user.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/perfgate

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /data perfgate \
    && mkdir -p /data /config \
    && chown perfgate /data
COPY --from=build /src/target/release/perfgate /usr/local/bin/perfgate
USER 10001
WORKDIR /data
ENTRYPOINT ["perfgate"]
CMD ["--ci", "--config", "/config/performance.json", "--store", "/data/tracking.db", "--fail-on-regression"]
