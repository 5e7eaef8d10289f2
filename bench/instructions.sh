#!/usr/bin/env bash
# Instructions the server runs per request, counted by valgrind's callgrind: the same on any machine of the same
# instruction set, so a change's cost can be compared where wall-clock figures are noise (a shared VM swings
# ±20 %). Default flags (the access log on, into a file), one keep-alive connection, one worker: the difference of a
# short and a long run, divided by the requests between them, so startup and shutdown cancel out.
#   bench/instructions.sh [BINARY...]   (default: the release build; give two to compare, e.g. an older build)
# FLAGS adds server flags (FLAGS="--log-level warning": the same without the access log).
# Needs valgrind (apt-get install valgrind) and python3. Valgrind cannot read the binary's DWARF 5 debug info, so it
# runs a copy with the debug sections stripped (symbols kept, for callgrind_annotate).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "bench/instructions.sh needs valgrind (apt-get install valgrind)" >&2; exit 2; }
short=${SHORT:-200}
long=${LONG:-1700}
binaries=("$@")
[ ${#binaries[@]} -gt 0 ] || binaries=("$(deploy/build-release.sh | tail -1)")
work=$(mktemp -d)
server=
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

# count BINARY KIND N: total instructions of a server run that answers N requests of KIND.
count() {
    valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$1" --host 127.0.0.1 --port 0 --workers 1 ${FLAGS:-} \
        >"$work/out" 2>"$work/log" &
    server=$!
    for _ in $(seq 600); do
        grep -q listening "$work/out" && break
        kill -0 "$server" 2>/dev/null || { echo "the server did not start under valgrind" >&2; exit 1; }
        sleep 0.2
    done
    local port
    port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/out")
    python3 bench/keepalive_client.py 127.0.0.1 "$port" "$3" "$2"
    kill -TERM "$server"
    wait "$server" 2>/dev/null || true
    awk '/^(summary|totals):/ {print $2; exit}' "$work/cg"
}

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p')"
for binary in "${binaries[@]}"; do
    strip --strip-debug -o "$work/server" "$binary"
    for kind in healthz post; do
        a=$(count "$work/server" "$kind" "$short")
        b=$(count "$work/server" "$kind" "$long")
        printf '%-40s %-8s %8d instructions/request\n' "$binary" "$kind" $(( (b - a) / (long - short) ))
    done
done
