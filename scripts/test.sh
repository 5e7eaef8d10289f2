#!/usr/bin/env bash
# Builds every configuration once and runs every test: Swift tests (debug), the same under the thread and the
# address sanitizers, and the end-to-end tests against the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the tests need besides Swift, checked before ten minutes of builds rather than after.
missing=()
for tool in curl openssl promtool; do command -v "$tool" >/dev/null || missing+=("$tool"); done
python3 - <<'PY' 2>/dev/null || missing+=("Python packages of Tests/e2e/requirements.txt")
import importlib
for module in ["kubernetes_validate", "numpy", "openapi_spec_validator", "prometheus_client", "pytest", "yaml",
               "requests", "schemathesis", "tritonclient.http", "tritonclient.grpc", "grpc_health.v1.health_pb2"]:
    importlib.import_module(module)
PY
if [ ${#missing[@]} -gt 0 ]; then
    printf 'missing: %s\n' "${missing[@]}" >&2
    echo "install them with: apt-get install -y curl openssl prometheus python3-venv && python3 -m venv .build/venv && . .build/venv/bin/activate && pip install -r Tests/e2e/requirements.txt" >&2
    exit 2
fi

# Generated sources that are committed must be what their generator writes; the portable kernels must vectorize
# for arm64 too.
python3 scripts/generate-powers-of-ten.py --check
scripts/check-arm64-codegen.sh >/dev/null

# A crash must fail fast; Swift's backtracer can otherwise spend minutes on it.
export SWIFT_BACKTRACE=enable=no
strict=(-Xswiftc -warnings-as-errors)

echo "== swift test (debug)"
swift build --build-tests "${strict[@]}"
swift test --skip-build

echo "== swift test --sanitize=thread"
swift build --build-tests --sanitize=thread --scratch-path .build-tsan "${strict[@]}"
TSAN_OPTIONS=halt_on_error=1 swift test --skip-build --sanitize=thread --scratch-path .build-tsan

echo "== swift test --sanitize=address"
# The build runs the embed-openapi plugin tool, instrumented too; its exit-time allocations are not the service's.
ASAN_OPTIONS=detect_leaks=0 swift build --build-tests --sanitize=address --scratch-path .build-asan "${strict[@]}"
LSAN_OPTIONS=suppressions=scripts/lsan.supp swift test --skip-build --sanitize=address --scratch-path .build-asan

echo "== end to end (the static release binary the container ships)"
SWIFT_BUILD_FLAGS="${strict[*]}" deploy/build-release.sh
TENSOR_SERVICE_BIN=.build/dist/tensor-service python3 -m pytest -q Tests/e2e

echo "== number text on millions of inputs (release): reading against strtod, writing against description"
swift build -c release --static-swift-stdlib --product tensor-bench "${strict[@]}"
bench="$(swift build -c release --static-swift-stdlib --show-bin-path)/tensor-bench"
"$bench" verify-decimals
"$bench" verify-shortest
