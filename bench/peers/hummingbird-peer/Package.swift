// swift-tools-version:6.2
import Foundation
import PackageDescription

// A path dependency is named after its folder, which is whatever the repository was cloned as.
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../..").standardized

// The peer the server benchmark compares against: the same two endpoints on Hummingbird 2 (SwiftNIO), computing
// with this repository's own TensorKernels library, so only the transport differs. Built by bench/run.sh only.
let package = Package(
    name: "hummingbird-peer",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
        .package(path: repository.path),
    ],
    targets: [
        .executableTarget(
            name: "hummingbird-peer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "TensorKernels", package: repository.lastPathComponent),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
