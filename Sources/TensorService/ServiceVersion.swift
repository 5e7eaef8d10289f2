/// The service's version: `--version`, `/v2`'s server metadata and the `tensor_service_build_info` metric.
package enum ServiceVersion {
    package static let current = "0.2.0"
}
