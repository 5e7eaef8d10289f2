#!/usr/bin/env bash
# gRPC against our own HTTP/1.1, one server, default flags (access log on), the same tool on both sides (h2load,
# --h1 for HTTP/1.1): the 1 KiB FP32 ModelInfer over 64 connections and over one connection with 64 streams,
# beside the same tensor as a KServe binary REST infer; then a 64 MiB FP32 round trip both ways with its peak RSS
# growth. Per request: context switches (summed over /proc/PID/task/*) and server CPU µs. Prints the CPU model.
#   bench/grpc.sh [REQUESTS for the small rows, default 200000]
# Needs h2load (apt-get install nghttp2-client) and python3 with numpy and tritonclient[grpc] (the requests are
# built with its generated classes).
# The peer: a real Triton server (the tritonserver bundled in PyPI's nvidia-pytriton, run directly with its python
# backend and bench/peers/triton-peer's model) gets the same gRPC rows in the same rounds. Its venv
# (.build/bench-triton-venv) is made from TRITON_PYTHON (default /usr/bin/python3, Debian's): the backend's stub
# loads the system's libpython, and a venv of another patch release mixes two standard libraries.
# TRITON=0 skips it. Its CPU and context switches are summed over tritonserver and its stub process.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-200000}
command -v h2load >/dev/null || { echo "bench/grpc.sh needs h2load (apt-get install nghttp2-client)" >&2; exit 2; }
with_triton=${TRITON:-1}
if [ "$with_triton" = 1 ]; then
    echo "installing the Triton peer's venv (first time: a few minutes)" >&2
    [ -x .build/bench-triton-venv/bin/python ] || "${TRITON_PYTHON:-/usr/bin/python3}" -m venv .build/bench-triton-venv
    .build/bench-triton-venv/bin/pip install -q --disable-pip-version-check -r bench/peers/triton-peer/requirements.txt
fi
binary=$(deploy/build-release.sh | tail -1)
work=$(mktemp -d)
server=
triton=
trap 'kill $server 2>/dev/null || true; [ -n "$triton" ] && kill -- -"$triton" 2>/dev/null; rm -rf "$work"' EXIT
# A fresh server (default flags: the access log on, into a file), so each peak-RSS figure is its own.
start() {
    [ -n "$server" ] && kill "$server" && wait "$server" 2>/dev/null || true
    "$binary" --host 127.0.0.1 --port 0 >"$work/out" 2>"$work/log" &
    server=$!
    until grep -q listening "$work/out"; do
        kill -0 "$server" 2>/dev/null || { echo "the server did not start" >&2; exit 1; }
        sleep 0.1
    done
    url=$(sed -n 's/^listening on //p' "$work/out")
    grpc=(-H "content-type: application/grpc" -H "te: trailers" "$url/inference.GRPCInferenceService/ModelInfer")
}
start

python3 - "$work" <<'PY'
import json, struct, sys
import numpy as np
from tritonclient.grpc import service_pb2
work = sys.argv[1]
for name, count in (("1k", 256), ("64m", 16 << 20)):
    values = np.linspace(-1, 1, count, dtype=np.float32).tobytes()
    request = service_pb2.ModelInferRequest(model_name="leaky_relu")
    request.inputs.add(name="input", datatype="FP32", shape=[count])
    request.raw_input_contents.append(values)
    message = request.SerializeToString()
    open(f"{work}/grpc_{name}", "wb").write(b"\0" + struct.pack(">I", len(message)) + message)
    header = json.dumps({"inputs": [{"name": "input", "shape": [count], "datatype": "FP32",
                                     "parameters": {"binary_data_size": len(values)}}],
                         "outputs": [{"name": "output", "parameters": {"binary_data": True}}]}).encode()
    open(f"{work}/rest_{name}", "wb").write(header + values)
    open(f"{work}/rest_{name}.length", "w").write(str(len(header)))
PY

if [ "$with_triton" = 1 ]; then
    # Its own process group, so that tritonserver and its stubs end with it.
    ports=($(python3 -c 'import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets: s.bind(("127.0.0.1", 0))
for s in sockets: print(s.getsockname()[1])'))
    mkdir "$work/triton"
    setsid bench/peers/triton-peer/serve.sh "$PWD/.build/bench-triton-venv" "$work/triton" "${ports[0]}" "${ports[1]}" \
        >"$work/triton.log" 2>&1 &
    triton=$!
    until curl -sf "http://127.0.0.1:${ports[1]}/v2/models/leaky_relu/ready" >/dev/null; do
        kill -0 "$triton" 2>/dev/null || { tail -20 "$work/triton.log" >&2; exit 1; }
        sleep 0.5
    done
    triton_grpc=(-H "content-type: application/grpc" -H "te: trailers" "http://127.0.0.1:${ports[0]}/inference.GRPCInferenceService/ModelInfer")
fi

# The processes a row is charged to: ours, or the peer's whole group.
pids() { if [ "$1" = triton ]; then pgrep -g "$triton"; else echo "$server"; fi; }
switches() { for p in $(pids "$1"); do cat /proc/"$p"/task/*/status 2>/dev/null; done | awk '/ctxt_switches/ {total += $2} END {print total + 0}'; }
ticks() { for p in $(pids "$1"); do cat /proc/"$p"/stat 2>/dev/null; done | awk '{total += $14 + $15} END {print total + 0}'; }
hz=$(getconf CLK_TCK)

# row WHO NAME COUNT H2LOAD-ARGS...: one h2load run, its rate, and the server's switches and CPU per request.
row() {
    local who=$1 name=$2 count=$3
    shift 3
    local s0 t0 out
    s0=$(switches "$who")
    t0=$(ticks "$who")
    out=$(h2load "$@")
    local s=$(( $(switches "$who") - s0 )) t=$(( $(ticks "$who") - t0 ))
    local rps failed
    rps=$(awk '/^finished in/ {gsub(",", ""); print $4}' <<<"$out")
    failed=$(awk '/^requests:/ {print $10}' <<<"$out")
    python3 -c "print(f'{\"$name\":52} {float(\"$rps\"):>12.0f} req/s  {$s / $count:6.2f} cs/req  {$t * 1e6 / $hz / $count:7.1f} CPU µs/req  failed {$failed}')"
}

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
length_1k=$(cat "$work/rest_1k.length")
for round in 1 2 3; do
    echo "-- round $round"
    row ours "KServe binary REST, HTTP/1.1, 64 connections" "$requests" --h1 -n "$requests" -c 64 -m 1 -d "$work/rest_1k" \
        -H "content-type: application/octet-stream" -H "inference-header-content-length: $length_1k" \
        "$url/v2/models/leaky_relu/infer"
    row ours "gRPC ModelInfer, 64 connections" "$requests" -n "$requests" -c 64 -m 1 -d "$work/grpc_1k" "${grpc[@]}"
    row ours "gRPC ModelInfer, 1 connection, 64 streams" "$requests" -n "$requests" -c 1 -m 64 -d "$work/grpc_1k" "${grpc[@]}"
    if [ "$with_triton" = 1 ]; then
        # The peer is several times slower: a tenth of the requests keeps its rows about as long as ours.
        row triton "Triton gRPC ModelInfer, 64 connections" $((requests / 10)) -n $((requests / 10)) -c 64 -m 1 \
            -d "$work/grpc_1k" "${triton_grpc[@]}"
        row triton "Triton gRPC ModelInfer, 1 connection, 64 streams" $((requests / 10)) -n $((requests / 10)) -c 1 -m 64 \
            -d "$work/grpc_1k" "${triton_grpc[@]}"
    fi
done
echo "threads: $(awk '/^Threads/ {print $2}' /proc/$server/status)"
if [ "$with_triton" = 1 ]; then kill -- -"$triton"; wait "$triton" 2>/dev/null || true; triton=; fi

# big NAME PATH H2LOAD-ARGS...: five 64 MiB requests, one at a time, on a fresh server.
big() {
    local name=$1 path=$2
    shift 2
    start
    local before out
    before=$(awk '/VmHWM/ {print $2}' /proc/$server/status)
    out=$(h2load -n 5 -c 1 -m 1 "$@" "$url$path")
    local mean
    mean=$(awk '/^time for request:/ {print $6}' <<<"$out")
    echo "$name: mean request time $mean, peak RSS growth $(( ($(awk '/VmHWM/ {print $2}' /proc/$server/status) - before) / 1024 )) MiB (VmHWM)"
}
length_64m=$(cat "$work/rest_64m.length")
big "64 MiB FP32 KServe binary REST, HTTP/1.1" /v2/models/leaky_relu/infer --h1 -d "$work/rest_64m" \
    -H "content-type: application/octet-stream" -H "inference-header-content-length: $length_64m"
big "64 MiB FP32 gRPC ModelInfer" /inference.GRPCInferenceService/ModelInfer -d "$work/grpc_64m" \
    -H "content-type: application/grpc" -H "te: trailers"
