#!/usr/bin/env bash
# Heap allocations per request in steady state, default flags (access log on): GET /healthz and a 1 KiB float32
# octet-stream POST, each through wrk after a warm-up, counted by a preloaded malloc counter (bench/malloc_count.c,
# built here with cc). The warm-up is outside the measured window; the counter's own reporting thread allocates
# about 40 times a second, nothing beside the requests counted.
#   bench/allocations.sh [SECONDS, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3}
command -v wrk >/dev/null || { echo "bench/allocations.sh needs wrk" >&2; exit 2; }
binary=$(deploy/build-release.sh | tail -1)
work=$(mktemp -d)
server=
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cc -O2 -shared -fPIC -o "$work/malloc_count.so" bench/malloc_count.c -ldl -lpthread
cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = string.rep("\0\0\128\191", 256)
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["X-Tensor-Dtype"] = "float32"
LUA
echo 'wrk.method = "GET"' >"$work/get.lua"

MCOUNT_FILE="$work/count" LD_PRELOAD="$work/malloc_count.so" "$binary" --host 127.0.0.1 --port 0 >"$work/out" 2>/dev/null &
server=$!
until grep -q listening "$work/out"; do
    kill -0 "$server" 2>/dev/null || { echo "the server did not start" >&2; exit 1; }
    sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/out")

# measure NAME PATH SCRIPT: allocations per request over a wrk run, after a warm-up run.
measure() {
    wrk -t1 -c4 -d1 -s "$3" "$url$2" >/dev/null
    sleep 0.2
    local before after out requests
    before=$(cat "$work/count")
    out=$(wrk -t1 -c4 -d"$seconds" -s "$3" "$url$2")
    sleep 0.2
    after=$(cat "$work/count")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    python3 -c "print(f'{\"$1\":32} {($after - $before) / $requests:6.2f} allocations/request over $requests requests')"
}
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p')"
measure "GET /healthz" /healthz "$work/get.lua"
measure "POST 1 KiB octet-stream" /ops/leaky_relu "$work/post.lua"
