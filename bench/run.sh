#!/usr/bin/env bash
# The server's benchmark, beside a peer: builds tensor-service (release) and a minimal Hummingbird 2 app serving the
# same /healthz and octet-stream POST /ops/leaky_relu (bench/peers/hummingbird-peer, built here only), runs every
# scenario against both in the same rounds, and prints req/s, p99, and per request: context switches (summed over
# /proc/PID/task/*/status), server CPU µs (/proc/PID/stat) and the thread count, with our rate as a ratio to the
# peer's. Ours runs as users run it, default flags (the access log on, into a file); a second instance with
# `--log-level warning` (quiet) is the second column.
# Then the floor: each server pinned to core 0 and wrk to core 1, CPU µs and system calls per request (perf stat)
# for GET /healthz and the 1 KiB POST, beside nginx (Debian's package: one worker, `return 200` on /healthz, its
# default access log into a file) and Hummingbird. CHART=FILE (default bench/chart.svg) gets an SVG of those
# figures. NGINX=0 skips nginx (apt-get install nginx).
#   bench/run.sh [SECONDS per wrk scenario, default 10]
# ROUNDS (default 3): every wrk scenario runs that many times against each server, in turn; the table shows each
# server's median round and the ratio of the medians, then each round's own ratio. PEER=0 skips the peer.
# The 1 Mi-float JSON request is also sent to a FastAPI + orjson + NumPy app (bench/peers/fastapi-peer, installed
# here into its own venv, .build/bench-fastapi-venv); its time is that row's peer column. FASTAPI=0 skips it.
# Needs wrk and curl (apt-get install wrk curl) and python3 with numpy; with tritonclient[http] too, it also compares
# shared memory with binary HTTP (bench/shared_memory.py).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
rounds=${ROUNDS:-3}
with_peer=${PEER:-1}
with_fastapi=${FASTAPI:-1}
with_nginx=${NGINX:-1}
chart=${CHART:-bench/chart.svg}
command -v nginx >/dev/null || with_nginx=0
# The pinned floor needs taskset and perf (apt-get install util-linux linux-perf), and cores 0 and 1.
for tool in wrk curl python3 taskset perf; do command -v "$tool" >/dev/null || { echo "bench needs $tool" >&2; exit 2; }; done
deploy/build-release.sh >/dev/null
peer_package=bench/peers/hummingbird-peer
if [ "$with_peer" = 1 ]; then
    echo "building the Hummingbird 2 peer (first time: several minutes)" >&2
    swift build -c release --package-path "$peer_package" >/dev/null
    peer_bin="$(swift build -c release --package-path "$peer_package" --show-bin-path)/hummingbird-peer"
fi
if [ "$with_fastapi" = 1 ]; then
    echo "installing the FastAPI peer's venv (first time: a minute)" >&2
    [ -x .build/bench-fastapi-venv/bin/python ] || python3 -m venv .build/bench-fastapi-venv
    .build/bench-fastapi-venv/bin/pip install -q --disable-pip-version-check -r bench/peers/fastapi-peer/requirements.txt
fi
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
# A 1,000-connection burst needs that many descriptors on both sides.
ulimit -n 4096 2>/dev/null || true

declare -A url pid
# start NAME COMMAND...: runs a server that prints "listening on URL" and waits for that line.
start() {
    local name=$1
    shift
    "$@" >"$work/$name.out" 2>"$( [ "${LOG:-0}" = 1 ] && echo "$work/$name.log" || echo /dev/null)" &
    pid[$name]=$!
    pids+=("$!")
    until grep -q listening "$work/$name.out" 2>/dev/null; do
        kill -0 "${pid[$name]}" 2>/dev/null || { echo "$name did not start" >&2; exit 1; }
        sleep 0.1
    done
    url[$name]=$(sed -n 's/^listening on //p' "$work/$name.out")
}
# Default flags, the access log on: what a user runs (its lines go to a file, as a container runtime takes them).
LOG=1 start ours .build/dist/tensor-service --host 127.0.0.1 --port 0 --shared-memory system
start quiet .build/dist/tensor-service --host 127.0.0.1 --port 0 --log-level warning
servers=(ours quiet)
if [ "$with_peer" = 1 ]; then
    start peer "$peer_bin" 0
    servers+=(peer)
fi

context_switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {total += $2} END {print total + 0}'; }
cpu_ticks() { awk '{print $14 + $15}' /proc/"$1"/stat; }
thread_count() { awk '/^Threads/ {print $2}' /proc/"$1"/status; }
peak_rss_kib() { awk '/VmHWM/ {print $2}' /proc/"$1"/status; }
ticks_per_second=$(getconf CLK_TCK)

python3 - "$work" <<'PY'
import json, sys
import numpy as np
work = sys.argv[1]
x = np.random.default_rng(0).normal(size=1 << 20).astype(np.float32)
open(f"{work}/json_1mi.json", "w").write(json.dumps({"data": x.tolist()}))
(np.arange(16 << 20, dtype=np.float32) - 8e6).tofile(f"{work}/f32_64mib.bin")
PY

# Every measurement is one line of rows.tsv: scenario, server, req/s (or seconds), p50, p99, context switches per
# request, server CPU µs per request, threads afterwards, socket errors.
rows="$work/rows.tsv"
: >"$rows"

# measure_wrk SCENARIO SERVER CONNECTIONS PATH [SCRIPT]
measure_wrk() {
    local scenario=$1 server=$2 connections=$3 path=$4 script=${5:-}
    local args=(-t2 -c"$connections" -d"${seconds}s" --latency)
    [ "$connections" -eq 1 ] && args=(-t1 -c1 -d"${seconds}s" --latency)
    [ -n "$script" ] && args+=(-s "$script")
    local p=${pid[$server]} switches ticks out
    switches=$(context_switches "$p")
    ticks=$(cpu_ticks "$p")
    out=$(wrk "${args[@]}" "${url[$server]}$path")
    switches=$(( $(context_switches "$p") - switches ))
    ticks=$(( $(cpu_ticks "$p") - ticks ))
    local requests rps p50 p99 errors
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' <<<"$out")
    if grep -q "Non-2xx" <<<"$out"; then echo "warning: $scenario on $server had non-2xx answers" >&2; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$server" "$rps" "$p50" "$p99" \
        "$(python3 -c "print(f'{$switches / max($requests, 1):.2f}')")" \
        "$(python3 -c "print(f'{$ticks * 1e6 / $ticks_per_second / max($requests, 1):.1f}')")" \
        "$(thread_count "$p")" "${errors:-0}" >>"$rows"
}

# measure_curl SCENARIO SERVER FILE CONTENT-TYPE: best of 5 round trips, in seconds.
measure_curl() {
    local scenario=$1 server=$2 file=$3 type=$4 best=999 t
    for _ in 1 2 3 4 5; do
        t=$(curl -sf -o /dev/null -w '%{time_total}' -H "Content-Type: $type" -H "X-Tensor-Shape: $(( $(stat -c %s "$file") / 4 ))" \
            --data-binary @"$file" "${url[$server]}/ops/leaky_relu")
        best=$(python3 -c "print(min($best, $t))")
    done
    printf '%s\t%s\t%s\t-\t-\t-\t-\t%s\t0\n' "$scenario" "$server" "$best" "$(thread_count "${pid[$server]}")" >>"$rows"
}

wrk_scenarios=(
    "GET /healthz c64|64|/healthz|"
    "1 KiB binary POST c64|64|/ops/leaky_relu|bench/post_binary_1k.lua"
    "1 MiB binary POST c8|8|/ops/leaky_relu|bench/post_binary_1m.lua"
    "1 KiB binary POST, 1 keep-alive connection|1|/ops/leaky_relu|bench/post_binary_1k.lua"
)
for _ in $(seq "$rounds"); do
    for scenario in "${wrk_scenarios[@]}"; do
        IFS='|' read -r name connections path script <<<"$scenario"
        for server in "${servers[@]}"; do measure_wrk "$name" "$server" "$connections" "$path" "$script"; done
    done
done
for server in "${servers[@]}"; do measure_wrk "GET /healthz, burst of 1,000 connections" "$server" 1000 /healthz; done
before=$(peak_rss_kib "${pid[ours]}")
for server in "${servers[@]}"; do measure_curl "64 MiB float32 round trip (curl), s" "$server" "$work/f32_64mib.bin" application/octet-stream; done
after=$(peak_rss_kib "${pid[ours]}")
json_scenario="1 Mi-float JSON, 21.6 MB (curl), s"
measure_curl "$json_scenario" ours "$work/json_1mi.json" application/json
if [ "$with_fastapi" = 1 ]; then
    # uvicorn binds after it prints, so the peer counts as started once /healthz answers.
    fastapi_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    start fastapi .build/bench-fastapi-venv/bin/python bench/peers/fastapi-peer/app.py "$fastapi_port"
    until curl -sf "${url[fastapi]}/healthz" >/dev/null; do sleep 0.2; done
    hummingbird=("${pid[peer]:-}" "${url[peer]:-}")
    pid[peer]=${pid[fastapi]}
    url[peer]=${url[fastapi]}
    measure_curl "$json_scenario" peer "$work/json_1mi.json" application/json
    # FastAPI leaves (it would take CPU from the pinned rows); "peer" is Hummingbird again.
    kill "${pid[fastapi]}"
    pid[peer]=${hummingbird[0]}
    url[peer]=${hummingbird[1]}
fi

python3 - "$rows" "$(nproc)" <<'PY'
import statistics, sys
from collections import defaultdict
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
cores = int(sys.argv[2])
runs = defaultdict(list)
for scenario, server, value, p50, p99, switches, cpu, threads, errors in rows:
    runs[(scenario, server)].append(dict(value=float(value), p99=p99, switches=switches, cpu=cpu, threads=threads, errors=errors))
scenarios = list(dict.fromkeys(row[0] for row in rows))
def median_run(scenario, server):
    candidates = sorted(runs.get((scenario, server), []), key=lambda run: run["value"])
    return candidates[(len(candidates) - 1) // 2] if candidates else None
print(f"\n{'scenario':44} {'ours':>10} {'quiet':>10} {'peer':>10} {'ratio':>6} {'p99 ours/peer':>17} {'cs/req ours/peer':>17} {'CPU µs/req':>13} {'threads':>9} {'errors':>7}")
for scenario in scenarios:
    ours, quiet, peer = median_run(scenario, "ours"), median_run(scenario, "quiet"), median_run(scenario, "peer")
    seconds = scenario.endswith(", s")
    ratio = "-"
    if peer:
        ratio = f"{(peer['value'] / ours['value']) if seconds else (ours['value'] / peer['value']):.2f}"
    def pair(key):
        return f"{ours[key]}/{peer[key] if peer else '-'}"
    value = lambda run: "-" if run is None else (f"{run['value']:.4f}" if seconds else f"{run['value']:.0f}")
    print(f"{scenario:44} {value(ours):>10} {value(quiet):>10} {value(peer):>10} {ratio:>6} {pair('p99'):>17} {pair('switches'):>17} {pair('cpu'):>13} {pair('threads'):>9} {pair('errors'):>7}")
for scenario in scenarios:
    ours_runs, peer_runs = runs.get((scenario, "ours"), []), runs.get((scenario, "peer"), [])
    if len(ours_runs) > 1 and len(peer_runs) == len(ours_runs):
        print(f"{scenario}: ratio by round " + " ".join(f"{a['value'] / b['value']:.2f}" for a, b in zip(ours_runs, peer_runs)))
print(f"ratio: ours (default flags, access log on) / peer for rates, peer/ours for seconds (higher is better for us); quiet: ours with --log-level warning. Thread bound for ours: 2 × {cores} cores + workers + 8.")
print("peer: Hummingbird 2 for every row but the JSON one, whose peer is FastAPI + orjson + NumPy.")
PY
echo "peak RSS of ours (VmHWM): $(( before / 1024 )) MiB before the 64 MiB round trips, $(( after / 1024 )) MiB after (+$(( (after - before) / 1024 )) MiB for a 64 MiB body)"
if python3 -c "import tritonclient.http" 2>/dev/null; then
    python3 bench/shared_memory.py "${url[ours]#http://}"
else
    echo "shared memory vs HTTP skipped: pip install 'tritonclient[http]' numpy" >&2
fi

# MARK: - The floor, pinned: each server on core 0, wrk on core 1; CPU µs and system calls per request.
if [ "$with_nginx" = 1 ]; then
    nginx_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$work/nginx.conf" <<NGINX
user root;
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log $work/nginx-access.log;
    client_body_temp_path $work/nginx-body;
    proxy_temp_path $work/nginx-proxy;
    fastcgi_temp_path $work/nginx-fastcgi;
    uwsgi_temp_path $work/nginx-uwsgi;
    scgi_temp_path $work/nginx-scgi;
    server {
        listen 127.0.0.1:$nginx_port;
        location = /healthz { default_type application/json; return 200 '{"status":"ok"}'; }
    }
}
NGINX
    nginx -c "$work/nginx.conf" -p "$work" &
    pid[nginx]=$!
    pids+=("$!")
    url[nginx]="http://127.0.0.1:$nginx_port"
    until curl -sf "${url[nginx]}/healthz" >/dev/null; do
        kill -0 "${pid[nginx]}" 2>/dev/null || { cat "$work/nginx-error.log" >&2; exit 1; }
        sleep 0.1
    done
fi
# A server's processes: nginx is a master and its worker.
server_pids() { if [ "$1" = nginx ]; then echo "${pid[nginx]} $(pgrep -P "${pid[nginx]}" | tr '\n' ' ')"; else echo "${pid[$1]}"; fi; }
ticks_of() { local total=0 p; for p in $(server_pids "$1"); do total=$(( total + $(cpu_ticks "$p") )); done; echo "$total"; }
pin() { local p; for p in $(server_pids "$1"); do taskset -a -p -c "$2" "$p" >/dev/null; done; }
pinned="$work/pinned.tsv"
: >"$pinned"
# measure_pinned SCENARIO SERVER PATH [SCRIPT]: wrk -t1 -c64 on core 1 against SERVER on core 0.
measure_pinned() {
    local scenario=$1 server=$2 path=$3 script=${4:-}
    local args=(-t1 -c64 -d"${seconds}s")
    [ -n "$script" ] && args+=(-s "$script")
    pin "$server" 0
    local ticks out requests rps syscalls
    ticks=$(ticks_of "$server")
    rm -f "$work/perf.txt"
    perf stat -e raw_syscalls:sys_enter -x, -o "$work/perf.txt" -p "$(server_pids "$server" | tr ' ' ',' | sed 's/,*$//')" \
        -- sleep "$(( seconds + 1 ))" &
    local perf_pid=$!
    out=$(taskset -c 1 wrk "${args[@]}" "${url[$server]}$path")
    ticks=$(( $(ticks_of "$server") - ticks ))
    wait "$perf_pid" || { echo "perf stat failed (perf_event_paranoid, or no tracefs): no system-call count" >&2; }
    syscalls=$(awk -F, '/raw_syscalls/ && $1 ~ /^[0-9]+$/ {print $1}' "$work/perf.txt" 2>/dev/null || true)
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    pin "$server" "0-$(( $(nproc) - 1 ))"
    printf '%s\t%s\t%s\t%s\t%s\n' "$scenario" "$server" "$rps" \
        "$(python3 -c "print(f'{$ticks * 1e6 / $ticks_per_second / max($requests, 1):.1f}')")" \
        "$( [ -n "$syscalls" ] && python3 -c "print(f'{$syscalls / max($requests, 1):.2f}')" || echo nan)" >>"$pinned"
}
floor_servers=(ours quiet)
[ "$with_peer" = 1 ] && floor_servers+=(peer)
for _ in $(seq "$rounds"); do
    for server in "${floor_servers[@]}"; do measure_pinned "GET /healthz" "$server" /healthz; done
    [ "$with_nginx" = 1 ] && measure_pinned "GET /healthz" nginx /healthz
    for server in "${floor_servers[@]}"; do measure_pinned "1 KiB binary POST" "$server" /ops/leaky_relu bench/post_binary_1k.lua; done
done
python3 - "$pinned" "$chart" "$(lscpu | sed -n 's/^Model name: *//p')" <<'PY'
import statistics, sys
from collections import defaultdict
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
chart, cpu = sys.argv[2], sys.argv[3]
runs = defaultdict(list)
for scenario, server, rps, cpu_us, syscalls in rows:
    runs[(scenario, server)].append((float(rps), float(cpu_us), float(syscalls)))
names = {"ours": "ours, default flags", "quiet": "ours, --log-level warning", "peer": "Hummingbird 2", "nginx": "nginx, access log on"}
floor = runs.get(("GET /healthz", "nginx"))
floor_cpu = statistics.median(r[1] for r in floor) if floor else None
print(f"\npinned (server on core 0, wrk -t1 -c64 on core 1), medians of rounds; CPU: {cpu}")
print(f"{'scenario':20} {'server':28} {'req/s':>9} {'CPU µs/req':>11} {'syscalls/req':>13} {'CPU / nginx /healthz':>21}")
bars = []
for (scenario, server), values in runs.items():
    rps, cpu_us, syscalls = (statistics.median(v[i] for v in values) for i in range(3))
    versus = f"{cpu_us / floor_cpu:.2f}" if floor_cpu else "-"
    print(f"{scenario:20} {names[server]:28} {rps:9.0f} {cpu_us:11.1f} {syscalls:13.2f} {versus:>21}")
    bars.append((f"{scenario} — {names[server]}", cpu_us))
quiet = runs.get(("GET /healthz", "quiet"))
ours = runs.get(("GET /healthz", "ours"))
if quiet and ours:
    cost = statistics.median(r[1] for r in ours) / statistics.median(r[1] for r in quiet) - 1
    print(f"the access log costs {cost * 100:.0f} % of /healthz's CPU (default flags against --log-level warning)")
# The chart: server CPU per request, one bar each, shortest is best.
width, bar_height, left = 760, 26, 330
scale = (width - left - 70) / max(value for _, value in bars)
height = 60 + len(bars) * (bar_height + 8)
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="13">',
       f'<text x="10" y="22" font-size="15" font-weight="bold">Server CPU per request, µs (lower is better)</text>',
       f'<text x="10" y="42" fill="#555">pinned to one core, wrk -c64 on the other; {cpu}</text>']
for index, (label, value) in enumerate(bars):
    y = 56 + index * (bar_height + 8)
    colour = "#2b6cb0" if "ours" in label else "#a0aec0"
    svg.append(f'<text x="{left - 8}" y="{y + 18}" text-anchor="end">{label}</text>')
    svg.append(f'<rect x="{left}" y="{y}" width="{value * scale:.1f}" height="{bar_height}" fill="{colour}"/>')
    svg.append(f'<text x="{left + value * scale + 6:.1f}" y="{y + 18}">{value:.1f}</text>')
svg.append("</svg>")
open(chart, "w").write("\n".join(svg) + "\n")
print(f"chart: {chart}")
PY
