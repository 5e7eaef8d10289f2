#!/usr/bin/env bash
# Compiles the portable kernels for arm64 (baseline ARMv8-A: NEON, no FP16 arithmetic) with the toolchain's clang
# and checks that every loop is vectorized: each tk_scalar_* function must use vector registers (v0.4s, .2d, .8h …).
# Needs no arm64 machine or sysroot: the kernels use only stddef/stdint/stdbool and memcpy, declared in a stub.
# Also compiles the JSON reader's comma scan, whose portable path must build there without x86 intrinsics.
#   scripts/check-arm64-codegen.sh [OUTPUT.s]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp --suffix=.s)}
stub=$(mktemp -d)
trap 'rm -rf "$stub"' EXIT
printf '#pragma once\n#include <stddef.h>\nvoid *memcpy(void *, const void *, size_t);\n' >"$stub/string.h"
builtin=$(clang -print-resource-dir)/include
clang --target=aarch64-linux-gnu -nostdlibinc -isystem "$stub" -isystem "$builtin" -O2 -S -o "$out" \
    -I Sources/CTensorKernels/include Sources/CTensorKernels/kernels_scalar.c
clang --target=aarch64-linux-gnu -nostdlibinc -isystem "$stub" -isystem "$builtin" -O2 -c -o /dev/null \
    -I Sources/CNumberText/include Sources/CNumberText/json_scan.c
status=0
for function in $(grep -oE '^tk_scalar_[a-z0-9_]+:' "$out" | tr -d ':'); do
    vector=$(awk "/^$function:/,/\\.Lfunc_end/" "$out" | grep -cE '\sv[0-9]+\.(2d|4s|8h|4h|16b|8b)' || true)
    printf '%-26s %4d vector instructions\n' "$function" "$vector"
    [ "$vector" -gt 0 ] || status=1
done
[ "$status" = 0 ] || echo "a portable loop is not vectorized for arm64" >&2
exit "$status"
