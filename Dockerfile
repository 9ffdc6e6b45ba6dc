# syntax=docker/dockerfile:1
# Build: the SQLite driver needs cgo.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/concord ./cmd/concord

# Run: a small Debian with a non-root user; data lives in a volume.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin concord \
 && mkdir -p /data && chown concord:concord /data
COPY --from=build /out/concord /usr/local/bin/concord
USER concord
WORKDIR /data
VOLUME ["/data"]
# CONCORD_BASE_URL (the address people reach Concord at) must be given at
# run time: listening on all interfaces, the server refuses to start
# without it, so that no link is built from a request's Host header.
ENV CONCORD_ADDR=0.0.0.0:8080 \
    CONCORD_DB=/data/concord.db
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/concord"]
CMD ["serve"]
