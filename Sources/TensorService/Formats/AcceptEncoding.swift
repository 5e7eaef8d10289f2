import Foundation

/// Whether a client takes gzip answers, from `Accept-Encoding` (RFC 9110 §12.5.3): q-values honoured, `q=0`
/// excludes, `*` stands for any coding not named.
enum AcceptEncoding {
    static func acceptsGzip(_ value: String?) -> Bool {
        guard let value else { return false }
        var gzip: Double?
        var wildcard: Double?
        for element in value.split(separator: ",") {
            let parts = element.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first, !coding.isEmpty else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 1
            }
            if coding == "gzip" || coding == "x-gzip" { gzip = quality }
            if coding == "*" { wildcard = quality }
        }
        return (gzip ?? wildcard ?? 0) > 0
    }
}
