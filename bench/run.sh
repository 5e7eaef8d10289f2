#!/usr/bin/env bash
# The server's benchmark: builds release, starts the service, and measures each scenario with wrk and curl in one
# run, printing req/s, latency, MB/s, peak RSS and each rate as a ratio to the server's own /healthz rate.
#   bench/run.sh [SECONDS per wrk scenario, default 10]
# ROUNDS (default 3) runs every wrk scenario that many times, in turn, and reports each scenario's median round;
# it also prints each round's 1 KiB POST rate over the /healthz rate measured just before it. On a shared machine
# one run can land in a slow moment: medians and same-round pairs keep the figures honest.
# Needs wrk and curl (apt-get install wrk curl) and python3 with numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
rounds=${ROUNDS:-3}
for tool in wrk curl python3; do command -v "$tool" >/dev/null || { echo "bench needs $tool" >&2; exit 2; }; done
deploy/build-release.sh >/dev/null
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
# Access logs off (warning level): a log line per request would be measured too.
.build/dist/tensor-service --host 127.0.0.1 --port 0 --log-level warning >"$work/out" 2>/dev/null &
server=$!
until grep -q listening "$work/out" 2>/dev/null; do sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/out")
hwm() { awk '/VmHWM/ {print $2}' /proc/$server/status; }

python3 - "$work" <<'PY'
import json, sys
import numpy as np
work = sys.argv[1]
x = np.random.default_rng(0).normal(size=1 << 20).astype(np.float32)
open(f"{work}/json_1mi.json", "w").write(json.dumps({"data": x.tolist()}))
(np.arange(16 << 20, dtype=np.float32) - 8e6).tofile(f"{work}/f32_64mib.bin")
PY

results=()
# wrk NAME CONNECTIONS PATH [SCRIPT]: "name|req/s|p50|p99|MB/s"
run_wrk() {
    local name=$1 connections=$2 path=$3 script=${4:-}
    local args=(-t2 -c"$connections" -d"${seconds}s" --latency)
    [ "$connections" -eq 1 ] && args=(-t1 -c1 -d"${seconds}s" --latency)
    [ -n "$script" ] && args+=(-s "$script")
    local out
    out=$(wrk "${args[@]}" "$url$path")
    local rps p50 p99 transfer
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    transfer=$(awk '/Transfer\/sec/ {print $2}' <<<"$out")
    if grep -q "Non-2xx" <<<"$out"; then echo "warning: $name had non-2xx answers" >&2; fi
    results+=("$name|$rps|$p50|$p99|$transfer")
}

# The median of a list of "name|req/s|..." rows, by req/s.
median_row() { printf '%s\n' "$@" | sort -t'|' -k2 -g | sed -n "$(( ($# + 1) / 2 ))p"; }

# Every wrk scenario once per round; each row reported is the scenario's median round.
wrk_scenarios=(
    "GET /healthz c64|64|/healthz|"
    "1 KiB binary POST c64|64|/ops/leaky_relu|bench/post_binary_1k.lua"
    "1 MiB binary POST c8|8|/ops/leaky_relu|bench/post_binary_1m.lua"
    "1 KiB binary POST, 1 keep-alive connection|1|/ops/leaky_relu|bench/post_binary_1k.lua"
)
declare -A rounds_of
paired_ratios=()
for _ in $(seq "$rounds"); do
    results=()
    for scenario in "${wrk_scenarios[@]}"; do
        IFS='|' read -r name connections path script <<<"$scenario"
        run_wrk "$name" "$connections" "$path" "$script"
        rounds_of[$name]+="${results[-1]}"$'\n'
    done
    paired_ratios+=("$(python3 -c "print(f'{$(cut -d'|' -f2 <<<"${results[1]}") / $(cut -d'|' -f2 <<<"${results[0]}"):.2f}')")")
done
results=()
for scenario in "${wrk_scenarios[@]}"; do
    name=${scenario%%|*}
    mapfile -t rows < <(printf '%s' "${rounds_of[$name]}")
    results+=("$(median_row "${rows[@]}")")
done
healthz=$(cut -d'|' -f2 <<<"${results[0]}")

# curl NAME FILE CONTENT-TYPE: best of 5 round trips.
run_curl() {
    local name=$1 file=$2 type=$3 best=999
    for _ in 1 2 3 4 5; do
        local t
        t=$(curl -s -o /dev/null -w '%{time_total}' -H "Content-Type: $type" --data-binary @"$file" "$url/ops/leaky_relu")
        best=$(python3 -c "print(min($best, $t))")
    done
    results+=("$name|—|${best}s (best of 5)|—|—")
}
before=$(hwm)
run_curl "64 MiB float32 round trip (curl)" "$work/f32_64mib.bin" application/octet-stream
after=$(hwm)
run_curl "1 Mi-float JSON, 21.6 MB (curl)" "$work/json_1mi.json" application/json

printf '\n%-44s %12s %14s %12s %12s %8s\n' scenario req/s p50 p99 transfer/s ratio
for row in "${results[@]}"; do
    IFS='|' read -r name rps p50 p99 transfer <<<"$row"
    ratio=—
    [[ "$rps" =~ ^[0-9.]+$ ]] && ratio=$(python3 -c "print(f'{$rps / $healthz:.2f}')")
    printf '%-44s %12s %14s %12s %12s %8s\n' "$name" "$rps" "$p50" "$p99" "$transfer" "$ratio"
done
echo
echo "1 KiB POST / healthz, paired by round: ${paired_ratios[*]} (median $(printf '%s\n' "${paired_ratios[@]}" | sort -g | sed -n "$(( (rounds + 1) / 2 ))p"))"
echo "peak RSS (VmHWM): $(( before / 1024 )) MiB before the 64 MiB round trips, $(( after / 1024 )) MiB after (+$(( (after - before) / 1024 )) MiB for a 64 MiB body)"
