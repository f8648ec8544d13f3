# syntax=docker/dockerfile:1
#
# hookrelay relay-server image: a static binary on distroless, running as the
# unprivileged "nonroot" user (uid 65532). State (database, certificates, ACME
# account key) lives in the /data volume.
#
#   docker build -t hookrelay/relay-server .
#   docker run -p 80:80 -p 443:443 -v hookrelay-data:/data \
#     -e HOOKRELAY_DOMAIN=relay.example.com -e HOOKRELAY_TOKEN=sha256:... hookrelay/relay-server
#
# See docker-compose.yml and README.md, "Deploy on a server".

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/relay-server ./relay-server
# An empty data directory owned by nonroot, so a fresh named volume is writable.
RUN mkdir -p /out/data

# The static image already carries CA certificates (for talking to Let's Encrypt)
# and tzdata; it has no shell, so the health check is the binary itself.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/relay-server /relay-server
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME /data
# 443: HTTPS (webhooks, tunnels). 80: ACME HTTP-01 and redirects to HTTPS.
# The admin listener (/metrics, /healthz, /readyz) stays inside unless published.
EXPOSE 80 443
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/relay-server", "healthcheck"]
ENTRYPOINT ["/relay-server", "--data", "/data"]
