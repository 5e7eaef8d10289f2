#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) and fails on the first crash, leak or timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
for target in http json octet npy kserve; do
    echo "== fuzz $target ($seconds s)"
    scripts/fuzz.sh "$target" "$seconds" 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|SUMMARY|Deadly|crash|leak|timeout" || true
    test "${PIPESTATUS[0]}" -eq 0
done
echo "fuzzing: every target ran its budget clean"
