# Multi-stage build: a Rust toolchain compiles the binary; the runtime image holds only
# the binary and the libraries it links (OpenSSL for TLS to PostgreSQL).
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin green-channel

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin green-channel \
    && mkdir -p /data && chown green-channel /data
COPY --from=build /src/target/release/green-channel /usr/local/bin/green-channel
USER green-channel
ENV LISTEN_ADDR=0.0.0.0:8080 DATA_DIR=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["green-channel", "healthcheck"]
ENTRYPOINT ["green-channel"]
CMD ["serve"]
