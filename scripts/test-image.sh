#!/usr/bin/env bash
# Builds the container image's runtime stage (deploy/Dockerfile, target runtime) around the release binary that
# scripts/test.sh tested, runs it as production does (read-only root, every capability dropped, no new privileges,
# its own non-root user) and checks /healthz, a real request, /metrics, the image's HEALTHCHECK command, the
# stripped binary, and that SIGTERM ends it with exit 0.
#   scripts/test-image.sh [BINARY, default .build/dist/tensor-service]
# Needs podman, buildah, runc and debootstrap (apt-get install podman buildah runc debootstrap), as root. The
# Dockerfile's base image is made locally with debootstrap when absent (from DEBIAN_MIRROR, default
# deb.debian.org): image registries may be out of reach.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/dist/tensor-service}
podman=(podman --storage-driver vfs)
image=localhost/tensor-service:test
name=tensor-service-test-$$
work=$(mktemp -d)
cleanup() {
    "${podman[@]}" rm -f "$name" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "image check failed: $*" >&2
    "${podman[@]}" logs "$name" 2>&1 | tail -20 >&2 || true
    exit 1
}

if ! "${podman[@]}" image exists docker.io/library/debian:bookworm-slim; then
    echo "== making debian:bookworm-slim with debootstrap"
    debootstrap --variant=minbase bookworm "$work/rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null
    tar -C "$work/rootfs" -c . | "${podman[@]}" import - docker.io/library/debian:bookworm-slim >/dev/null
    rm -rf "$work/rootfs"
fi

echo "== building the runtime stage around $binary"
mkdir -p "$work/context/out"
strip -o "$work/context/out/tensor-service" "$binary"
"${podman[@]}" build --quiet --format docker -f deploy/Dockerfile --target runtime \
    --build-context build="$work/context" -t "$image" . >/dev/null

echo "== running it read-only, without capabilities, as its own user"
# No healthcheck timer (it needs systemd; the check below runs the same command), and the host's descriptor limit
# limits set within this machine's (its hard limits are below podman's defaults).
"${podman[@]}" run -d --name "$name" --read-only --cap-drop ALL --security-opt no-new-privileges --network host \
    --no-healthcheck --ulimit nofile=4096:4096 --ulimit nproc=1024:1024 "$image" --host 127.0.0.1 --port 0 >/dev/null
for _ in $(seq 300); do
    url=$("${podman[@]}" logs "$name" 2>/dev/null | sed -n 's/^listening on //p')
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "${url:-}" ] || fail "no listening line"
[ "$("${podman[@]}" exec "$name" id -u)" = 10001 ] || fail "not running as uid 10001"
[ "$("${podman[@]}" inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$name")" = true ] || fail "root file system is writable"
"${podman[@]}" exec "$name" sh -c 'touch /probe' 2>/dev/null && fail "could write to the root file system"
[ "$(curl -s "$url/healthz")" = '{"status":"ok"}' ] || fail "/healthz"
[ "$(curl -s --http2-prior-knowledge "$url/healthz")" = '{"status":"ok"}' ] || fail "/healthz over h2c (libnghttp2 in the image)"
answer=$(curl -s "$url/ops/leaky_relu" -H 'Content-Type: application/json' -d '{"data": [-1, 2]}')
[ "$answer" = '{"dtype":"float32","shape":[2],"data":[-0.01,2.0]}' ] || fail "leaky_relu answered $answer"
curl -s "$url/metrics" | grep -q '^tensor_service_http_requests_total{method="POST",route="/ops/leaky_relu",status="200"} 1' \
    || fail "/metrics did not count the request"
healthcheck=$("${podman[@]}" image inspect --format '{{.HealthCheck}}' "$image")
case "$healthcheck" in *"/usr/local/bin/tensor-service healthcheck --url http://127.0.0.1:8080/healthz"*) ;; *) fail "HEALTHCHECK is '$healthcheck'" ;; esac
port=${url##*:}
# The image's own HEALTHCHECK command, pointed at the port this run picked.
"${podman[@]}" exec "$name" /usr/local/bin/tensor-service healthcheck --url "http://127.0.0.1:$port/healthz" \
    || fail "the HEALTHCHECK command failed"
"${podman[@]}" cp "$name:/usr/local/bin/tensor-service" "$work/from-image"
readelf -S "$work/from-image" | grep -q '\.symtab' && fail "the binary in the image is not stripped"

echo "== SIGTERM"
"${podman[@]}" kill --signal TERM "$name" >/dev/null
status=$("${podman[@]}" wait "$name")
[ "$status" = 0 ] || fail "exit status $status after SIGTERM"
"${podman[@]}" logs "$name" 2>&1 | grep -q draining || fail "no 'draining' log line"
echo "image: $(( $(stat -c %s "$work/from-image") >> 20 )) MiB binary; health, a request, metrics, HEALTHCHECK and drain all good"
