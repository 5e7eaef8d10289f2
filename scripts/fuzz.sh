#!/usr/bin/env bash
# Builds one libFuzzer target with AddressSanitizer and runs it for SECONDS over its committed seed corpus.
#   scripts/fuzz.sh http|grpc|json|octet|npy|kserve|protobuf SECONDS
# Exits non-zero on a crash, leak or timeout; the input that caused it is left in fuzz-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh http|grpc|json|octet|npy|kserve|protobuf SECONDS}
seconds=${2:-60}
export SWIFT_BACKTRACE=enable=no

build=.build-fuzz/$target
mkdir -p "$build/obj" fuzz-artifacts/"$target"
module=TensorCodecs
case "$target" in http | grpc) module=TensorHTTP ;; esac
swift_flags=(-sanitize=fuzzer,address -parse-as-library -O -g -package-name tensor_service -module-name "$module"
    -Xcc -fmodule-map-file=Sources/CNumberText/include/module.modulemap -I Sources/CNumberText/include)

codec_sources() {
    find Sources/TensorCodecs -name '*.swift' | sort
}

# The codecs import TensorKernels: build it as a module of its own (Swift and C), instrumented the same way.
build_kernels() {
    mkdir -p "$build/kernels"
    for source in Sources/CTensorKernels/*.c; do
        clang -c -O1 -g -fsanitize=fuzzer-no-link,address -I Sources/CTensorKernels/include "$source" \
            -o "$build/kernels/$(basename "$source" .c).o"
        objects+=("$build/kernels/$(basename "$source" .c).o")
    done
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -package-name tensor_service -module-name TensorKernels -emit-module -emit-library -static \
        -Xcc -fmodule-map-file=Sources/CTensorKernels/include/module.modulemap -I Sources/CTensorKernels/include \
        -emit-module-path "$build/kernels/TensorKernels.swiftmodule" -o "$build/kernels/libTensorKernels.a" \
        Sources/TensorKernels/*.swift
    objects+=("$build/kernels/libTensorKernels.a")
    swift_flags+=(-I "$build/kernels" -Xcc -fmodule-map-file=Sources/CTensorKernels/include/module.modulemap)
}

# Everything fuzzed imports TensorMemory (the budget): built as a module of its own, instrumented the same way.
build_memory() {
    mkdir -p "$build/memory"
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -package-name tensor_service -module-name TensorMemory -emit-module -emit-library -static \
        -emit-module-path "$build/memory/TensorMemory.swiftmodule" -o "$build/memory/libTensorMemory.a" \
        Sources/TensorMemory/*.swift
    objects+=("$build/memory/libTensorMemory.a")
    swift_flags+=(-I "$build/memory")
}

case "$target" in
http)
    sources=$(ls Sources/TensorHTTP/Parser/*.swift Sources/TensorHTTP/Buffers/ByteBuffer.swift Sources/TensorHTTP/Buffers/BufferPool.swift \
        Sources/TensorHTTP/Buffers/InputBuffer.swift)
    harness=Tests/Fuzz/Harness/FuzzHTTP.swift
    c_sources=""
    ;;
grpc)
    # The gRPC message framing with what it uses: buffers, the budget, zlib for compressed messages.
    sources=$(ls Sources/TensorHTTP/GRPC/GRPCMessageReader.swift Sources/TensorHTTP/GRPC/GRPCMessage.swift \
        Sources/TensorHTTP/GRPC/GRPCStatus.swift Sources/TensorHTTP/Buffers/ByteBuffer.swift Sources/TensorHTTP/Buffers/BufferPool.swift \
        Sources/TensorHTTP/Compression/*.swift Sources/TensorHTTP/HTTPResponse.swift Sources/TensorHTTP/ExchangeTiming.swift \
        Sources/TensorHTTP/ExchangeRecord.swift Sources/TensorHTTP/RequestID.swift)
    harness=Tests/Fuzz/Harness/FuzzGRPCFraming.swift
    swift_flags+=(-Xcc -fmodule-map-file=Sources/CZlib/module.modulemap)
    c_sources=""
    ;;
json | octet | npy | kserve | protobuf)
    sources=$(codec_sources)
    case "$target" in
    json) harness=Tests/Fuzz/Harness/FuzzJSON.swift ;;
    octet) harness=Tests/Fuzz/Harness/FuzzOctet.swift ;;
    npy) harness=Tests/Fuzz/Harness/FuzzNPY.swift ;;
    kserve) harness=Tests/Fuzz/Harness/FuzzKServe.swift ;;
    protobuf) harness=Tests/Fuzz/Harness/FuzzProtobuf.swift ;;
    esac
    c_sources=$(ls Sources/CNumberText/*.c)
    ;;
*)
    echo "unknown fuzz target: $target" >&2
    exit 2
    ;;
esac

objects=()
build_memory
if [ -n "$c_sources" ]; then
    build_kernels
    # The codecs' float16/bfloat16 digit records are generated at build time, as the package's plugin does.
    swiftc -O Sources/make-narrow-digits/*.swift -o "$build/make-narrow-digits"
    "$build/make-narrow-digits" "$build/NarrowDigits+Records.swift"
    sources="$sources $build/NarrowDigits+Records.swift"
fi
for source in $c_sources; do
    object="$build/obj/$(basename "$source" .c).o"
    clang -c -O1 -g -fsanitize=fuzzer-no-link,address -I Sources/CNumberText/include "$source" -o "$object"
    objects+=("$object")
done
# The sources are compiled into one module with the harness, so `package` and internal API are in reach.
# shellcheck disable=SC2086
swiftc "${swift_flags[@]}" $sources "$harness" "${objects[@]}" -o "$build/fuzz-$target"

corpus=$build/corpus
rm -rf "$corpus"
cp -r Tests/Fuzz/Corpus/"$target" "$corpus"
"$build/fuzz-$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix=fuzz-artifacts/"$target"/ -print_final_stats=1
