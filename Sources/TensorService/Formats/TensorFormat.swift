import TensorHTTP

/// The wire formats a tensor can arrive and leave in.
package enum TensorFormat: String, CaseIterable, Sendable {
    case json = "application/json"
    case octetStream = "application/octet-stream"
    case npy = "application/x-npy"

    package var mediaType: String { rawValue }

    /// The format named by a Content-Type value; parameters such as `charset` are ignored.
    package init?(contentType: String) {
        let essence = contentType.utf8.firstIndex(of: UInt8(ascii: ";")).map { contentType[..<$0] } ?? contentType[...]
        let trimmed = essence.trimmingSpaces
        guard let format = TensorFormat.allCases.first(where: { trimmed.equalsIgnoringASCIICase($0.rawValue) }) else {
            return nil
        }
        self = format
    }
}
