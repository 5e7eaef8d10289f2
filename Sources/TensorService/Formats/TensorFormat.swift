import Foundation

/// The wire formats a tensor can arrive and leave in.
package enum TensorFormat: String, CaseIterable, Sendable {
    case json = "application/json"
    case octetStream = "application/octet-stream"
    case npy = "application/x-npy"

    package var mediaType: String { rawValue }

    /// The format named by a Content-Type value; parameters such as `charset` are ignored.
    package init?(contentType: String) {
        let essence = contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        guard let essence, let format = TensorFormat(rawValue: essence) else { return nil }
        self = format
    }
}
