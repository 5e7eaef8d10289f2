// swift-tools-version:6.0
import PackageDescription

// One settings list for every Swift target, so the language mode and upcoming features never drift apart.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "tensor-service",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TensorKernels", targets: ["TensorKernels"]),
        .executable(name: "tensor-service", targets: ["tensor-service"]),
        .executable(name: "tensor-bench", targets: ["tensor-bench"]),
    ],
    // Exact versions: Package.resolved stays out of git (the package mirror's commit ids are not GitHub's), so the
    // versions are pinned here, and these tags exist on GitHub and the mirror alike.
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        // SIMD loops with runtime CPU dispatch: C gives us per-function target attributes and intrinsics.
        .target(name: "CTensorKernels"),
        .target(name: "TensorKernels", dependencies: ["CTensorKernels"], swiftSettings: swiftSettings),
        // The JSON codec's number text: scanning and correctly rounded reading (Eisel–Lemire), C-locale strtod for the
        // rare exact case, and the runtime's shortest float printer.
        .target(name: "CNumberText"),
        // The in-flight memory budget and the one answer to "may this request allocate?", shared by the transport
        // (bodies) and the codecs (tensors, answers).
        .target(name: "TensorMemory", swiftSettings: swiftSettings),
        .target(
            name: "TensorCodecs", dependencies: ["TensorKernels", "TensorMemory", "CNumberText"], swiftSettings: swiftSettings,
            plugins: ["EmbedNarrowDigits"]
        ),
        // Works out the shortest text of every float16 and bfloat16 value, at build time.
        .executableTarget(name: "make-narrow-digits", swiftSettings: swiftSettings),
        .plugin(name: "EmbedNarrowDigits", capability: .buildTool(), dependencies: ["make-narrow-digits"]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // glibc's malloc tuning (mallopt), which its Swift module does not export.
        .systemLibrary(name: "CMalloc"),
        // epoll, eventfd and accept4, which Glibc's Swift module leaves out.
        .systemLibrary(name: "CLinux"),
        // HTTP/2 framing, HPACK and flow control, driven by our event loops.
        .systemLibrary(name: "CNghttp2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        // A SIGBUS handler that keeps a client's shrunken shared-memory object from ending the process.
        .target(name: "CMappingGuard"),
        .target(
            name: "TensorHTTP",
            dependencies: [
                "TensorMemory", "CZlib", "COpenSSL", "CLinux", "CNghttp2", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TensorService",
            dependencies: [
                "TensorKernels", "TensorCodecs", "TensorHTTP", "TensorMemory", "CMappingGuard",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["EmbedOpenAPI"]
        ),
        .executableTarget(name: "embed-openapi", swiftSettings: swiftSettings),
        .plugin(name: "EmbedOpenAPI", capability: .buildTool(), dependencies: ["embed-openapi"]),
        .executableTarget(
            name: "tensor-service",
            dependencies: [
                "TensorService", "TensorHTTP", "TensorMemory", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tensor-bench",
            dependencies: [
                "TensorKernels", "TensorCodecs", "TensorService", "TensorTestSupport", "CNumberText",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TensorTestSupport",
            dependencies: [
                "TensorKernels", "TensorCodecs", "TensorHTTP", "TensorMemory", "TensorService",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TensorKernelsTests",
            dependencies: ["TensorKernels", "TensorTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TensorCodecsTests",
            dependencies: ["TensorCodecs", "TensorKernels", "TensorMemory", "TensorTestSupport"],
            exclude: ["Fixtures/make_fixtures.py"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TensorHTTPTests",
            dependencies: ["TensorHTTP", "TensorMemory", "TensorTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TensorServiceTests",
            dependencies: ["TensorService", "TensorHTTP", "TensorKernels", "TensorMemory", "TensorTestSupport"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
