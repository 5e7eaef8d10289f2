#!/usr/bin/env bash
# Builds the release binary with the Swift runtime linked in statically, so the runtime image needs only the
# system libraries it lists with ldd (OpenSSL, zlib, libc). The container build and CI run this same script.
#   deploy/build-release.sh [OUTPUT_DIR]   (default .build/dist)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.build/dist}
swift build -c release --static-swift-stdlib --product tensor-service ${SWIFT_BUILD_FLAGS:-}
mkdir -p "$out"
cp "$(swift build -c release --static-swift-stdlib --show-bin-path)/tensor-service" "$out/tensor-service"
echo "$out/tensor-service"
