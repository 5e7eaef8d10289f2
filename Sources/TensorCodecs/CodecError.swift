import TensorMemory

/// Why a body could not be turned into a tensor, or a tensor into an answer.
public struct CodecError: Error, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// Malformed input: bad JSON, ragged data, bad shape or header, byte counts that disagree (400).
        case malformed
        /// A real dtype that is not floating point: integer, bool, complex (422).
        case notFloatingPoint
        /// The answer cannot be written in the format asked for (406).
        case notRepresentable
        /// Bigger than a limit allows (413).
        case tooLarge
        /// The memory it needs is not available now: the server's in-flight budget is spent (503, retry).
        case overBudget
        /// The memory it needs is more than the server's whole in-flight budget: it can never be served here (413,
        /// never a retry).
        case exceedsBudget
    }

    public var kind: Kind
    /// What was wrong, and where: `data[1][2]: expected a number`.
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    static func malformed(_ detail: String) -> CodecError { CodecError(.malformed, detail) }

    /// Asks `admit` for `bytes` about to be allocated for the request; refused, it is `refusal(_:bytes:for:)`.
    public static func admitting(_ bytes: Int, for what: String, _ admit: MemoryAdmission) throws(CodecError) {
        let outcome = admit(bytes)
        if outcome != .granted { throw refusal(outcome, bytes: bytes, for: what) }
    }

    /// Why `bytes` for `what` were refused: `.overBudget` (503 with Retry-After) while other requests hold the
    /// budget, `.exceedsBudget` (413) when this request alone would need more than all of it, which no retry mends.
    public static func refusal(_ outcome: Admission, bytes: Int, for what: String) -> CodecError {
        guard case .exceedsLimit(let limit) = outcome else {
            return CodecError(.overBudget, "the server cannot hold the \(bytes) bytes of \(what) now; retry shortly")
        }
        return CodecError(
            .exceedsBudget,
            "\(what) needs \(bytes) more bytes, past the server's whole in-flight memory budget of \(limit) bytes; "
                + "it can be served only with a larger --max-inflight-bytes")
    }
}

