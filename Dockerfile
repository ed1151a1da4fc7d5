# Multi-stage build: a static binary (pure-Go SQLite, no cgo) on a minimal,
# non-root runtime image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/backlogai ./server/cmd/backlogai

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/backlogai /usr/local/bin/backlogai
USER nonroot:nonroot
WORKDIR /home/nonroot
ENV PORT=8080 DATABASE_URL=sqlite:///home/nonroot/data/backlogai.db
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/backlogai"]
CMD ["serve"]
