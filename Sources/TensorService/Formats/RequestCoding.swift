import TensorCodecs
import TensorHTTP
import TensorMemory

/// A request body's `Content-Encoding`: checked from the head, inflated on a worker.
enum RequestCoding {
    /// gzip, deflate, or nil for identity; anything else (or a stack of codings) is 415.
    static func parse(_ headers: HTTPHeaders) throws(ServiceError) -> ContentCoding? {
        let codings = headers.tokens("content-encoding").filter { $0 != "identity" }
        guard let first = codings.first else { return nil }
        guard codings.count == 1, let coding = ContentCoding(token: first) else {
            throw .unsupportedMediaType("Content-Encoding \(codings.joined(separator: ", ").prefix(64)) is not supported; use gzip or deflate.")
        }
        return coding
    }

    /// The body as sent, or inflated: 413 past `limit`, 400 when corrupt, 503 when the in-flight budget cannot
    /// hold the inflated bytes.
    static func inflate(
        _ body: ByteBuffer, coding: ContentCoding?, limit: Int, admit: MemoryAdmission
    ) throws -> ByteBuffer {
        guard let coding else { return body }
        do {
            return try Inflater.inflate(UnsafeRawBufferPointer(body.bytes), coding: coding, limit: limit, admit: admit)
        } catch .overBudget(let bytes, let refusal) {
            // "Not now" and "never" are answered differently (503, 413).
            throw CodecError.refusal(refusal, bytes: bytes, for: "the inflated body")
        } catch .tooLarge(let limit) {
            throw HTTPRequestError.bodyTooLarge(limit: limit)
        } catch .corrupt(let why) {
            throw ServiceError.badRequest("malformed-compressed-body", "The \(coding.rawValue) body cannot be inflated: \(why).")
        }
    }
}
