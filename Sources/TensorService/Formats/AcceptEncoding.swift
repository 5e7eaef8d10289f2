import TensorCodecs
import TensorHTTP
import TensorMemory

/// Which coding a client takes answers in, from `Accept-Encoding` (RFC 9110 §12.5.3): q-values honoured, `q=0`
/// excludes, `*` stands for any coding not named. gzip wins ties; deflate is there for clients such as tritonclient
/// that ask for it alone.
enum AcceptEncoding {
    static func preferredCoding(_ value: String?) -> ContentCoding? {
        guard let value else { return nil }
        var gzip: Double?
        var deflate: Double?
        var wildcard: Double?
        for element in AcceptList.parse(value) {
            let (coding, quality) = (element.value, element.quality)
            if coding == "gzip" || coding == "x-gzip" { gzip = quality }
            if coding == "deflate" { deflate = quality }
            if coding == "*" { wildcard = quality }
        }
        let gzipQuality = gzip ?? wildcard ?? 0, deflateQuality = deflate ?? wildcard ?? 0
        if gzipQuality > 0 && gzipQuality >= deflateQuality { return .gzip }
        return deflateQuality > 0 ? .deflate : nil
    }

    /// Compresses `response` in place when the client takes a coding and the answer is big enough to gain. The
    /// compressed copy is reserved first; when the budget has no room for it the answer goes out plain, which the
    /// client accepts too: a computed tensor is not thrown away with a 503 for want of room for a second copy.
    static func compress(
        _ response: inout HTTPResponse, coding: ContentCoding?, minimumBytes: Int = 1024,
        admit: MemoryAdmission = admitAnything
    ) {
        guard let coding, response.streamedBody == nil, response.bodyCount >= minimumBytes else { return }
        // zlib's deflateBound: the input plus about 0.1 % and a few bytes of framing.
        guard admit(response.bodyCount + response.bodyCount / 1000 + 64) == .granted else { return }
        response.body = [.bytes(Deflater.compress(response.body, totalCount: response.bodyCount, coding: coding))]
        response.headers.append((name: "Content-Encoding", value: coding.rawValue))
    }
}
