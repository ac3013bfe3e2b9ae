# syntax=docker/dockerfile:1
#
# The portal as a container: one static binary (no cgo: the embedded SQLite
# driver is pure Go, and production runs on PostgreSQL anyway) on a
# distroless base with no shell, run as an unprivileged user.
#
#   docker build --build-arg VERSION=$(git describe --always) -t xroshot/portal .
#
# Migrations, the policy catalog, the holiday calendar and the GraphQL schema
# are embedded in the binary; the image needs no other file. See
# docs/DEPLOYMENT.md.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so that a source change reuses the downloaded modules.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/portal .

# distroless/static: CA certificates (for a JWKS URL or an https webhook),
# tzdata and /etc/passwd with the nonroot user (65532), nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/portal /usr/local/bin/portal
USER 65532:65532
ENV PORTAL_ENV=production \
    PORTAL_ADDR=:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/portal"]
CMD ["serve"]
