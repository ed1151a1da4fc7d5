# Multi-stage build: a static binary (pure-Go SQLite, no cgo) on a minimal,
# non-root runtime image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# `make docker` passes the version (git describe); see .dockerignore for
# what never enters the build context.
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X github.com/backlogai/backlogai/server/cli.Version=${VERSION}" -o /out/backlogai ./server/cmd/backlogai

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/backlogai /usr/local/bin/backlogai
USER nonroot:nonroot
WORKDIR /home/nonroot
ENV PORT=8080 DATABASE_URL=sqlite:///home/nonroot/data/backlogai.db
EXPOSE 8080
# No shell or curl in the image: the binary checks its own /readyz.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/backlogai", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/backlogai"]
CMD ["serve"]
