#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) and fails on the first crash, leak or timeout.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
mkdir -p fuzz-artifacts
for target in http grpc json octet npy kserve protobuf; do
    echo "== fuzz $target ($seconds s)"
    log=fuzz-artifacts/$target.log
    scripts/fuzz.sh "$target" "$seconds" >"$log" 2>&1
    status=$?
    grep -E "^stat::(number_of_executed_units|peak_rss_mb)" "$log"
    if [ "$status" -ne 0 ]; then
        tail -40 "$log"
        echo "fuzz target $target failed (exit $status); the input is in fuzz-artifacts/$target/" >&2
        exit 1
    fi
done
echo "fuzzing: every target ran its budget clean"
