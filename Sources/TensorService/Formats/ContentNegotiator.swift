import TensorHTTP

/// Picks the answer's format from `Accept` (RFC 9110 §12.5.1), q-values honoured and `q=0` excluding.
package enum ContentNegotiator {
    package struct MediaRange: Equatable {
        var type: String
        var subtype: String
        var quality: Double

        /// 2 for an exact match, 1 for `type/*`, 0 for `*/*`, nil for no match.
        func specificity(for mediaType: String) -> Int? {
            let parts = mediaType.split(separator: "/", maxSplits: 1).map(String.init)
            if type == "*" && subtype == "*" { return 0 }
            guard type == parts[0] else { return nil }
            if subtype == "*" { return 1 }
            return subtype == parts[1] ? 2 : nil
        }
    }

    /// Parses an Accept value; malformed elements are skipped, as clients expect of a lenient server.
    package static func parseAccept(_ value: String) -> [MediaRange] {
        AcceptList.parse(value).compactMap { element in
            let range = element.value.split(separator: "/", maxSplits: 1).map(String.init)
            guard range.count == 2, !range[0].isEmpty, !range[1].isEmpty else { return nil }
            return MediaRange(type: range[0], subtype: range[1], quality: element.quality)
        }
    }

    /// The quality the client gives `mediaType`: that of the most specific matching range, 0 if none matches.
    package static func quality(of mediaType: String, in ranges: [MediaRange]) -> Double {
        var best: (specificity: Int, quality: Double)?
        for range in ranges {
            guard let specificity = range.specificity(for: mediaType) else { continue }
            if best == nil || specificity > best!.specificity { best = (specificity, range.quality) }
        }
        return best?.quality ?? 0
    }

    /// The best of `candidates` (in order of preference on ties) for `accept`; nil when none is acceptable.
    /// No Accept header at all means anything goes, so the first candidate wins.
    package static func choose<Format>(
        _ candidates: [Format], mediaType: (Format) -> String, accept: String?
    ) -> Format? {
        guard let accept, !accept.trimmingSpaces.isEmpty else { return candidates.first }
        let ranges = parseAccept(accept)
        var best: (format: Format, quality: Double)?
        for candidate in candidates {
            let q = quality(of: mediaType(candidate), in: ranges)
            if q > 0 && (best == nil || q > best!.quality) { best = (candidate, q) }
        }
        return best?.format
    }
}
