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
    }

    public var kind: Kind
    /// What was wrong, and where: `data[1][2]: expected a number`.
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    static func malformed(_ detail: String) -> CodecError { CodecError(.malformed, detail) }
}
