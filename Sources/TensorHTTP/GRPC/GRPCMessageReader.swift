import TensorMemory

/// Cuts a gRPC stream's DATA bytes into messages: a 1-byte compressed flag, a 4-byte big-endian length, then the
/// message (gRPC over HTTP/2, "Length-Prefixed-Message").
///
/// Each message gets a buffer of its own, sized from its length prefix and reserved from the in-flight budget before
/// a byte of it is kept, so a peer that claims 2 GiB gets RESOURCE_EXHAUSTED, not an allocation. A compressed
/// message is inflated (gzip or deflate, as the call's `grpc-encoding` says) within the same limits.
package struct GRPCMessageReader {
    /// Largest message, compressed or not (`--max-body-bytes`).
    package let maxMessageBytes: Int
    /// The call's `grpc-encoding`; nil for identity.
    package let encoding: ContentCoding?
    private let budget: InflightBudget?
    private var prefix: [UInt8] = []
    private var current: (buffer: ByteBuffer, budget: RequestBudget?, length: Int, isCompressed: Bool)?

    package init(maxMessageBytes: Int, encoding: ContentCoding?, budget: InflightBudget?) {
        self.maxMessageBytes = maxMessageBytes
        self.encoding = encoding
        self.budget = budget
        prefix.reserveCapacity(5)
    }

    /// True when no message is partly read: the stream may end here.
    package var isAtMessageBoundary: Bool { prefix.isEmpty && current == nil }

    /// Takes `bytes` and returns the messages they complete; a status ends the call.
    package mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(GRPCStatus) -> [GRPCMessage] {
        var messages: [GRPCMessage] = []
        var rest = bytes[...]
        while !rest.isEmpty {
            if current == nil {
                let wanted = min(5 - prefix.count, rest.count)
                prefix += rest.prefix(wanted)
                rest = rest.dropFirst(wanted)
                guard prefix.count == 5 else { break }
                try begin()
                if let message = try completeIfWhole() { messages.append(message) }
                continue
            }
            guard let (buffer, _, length, _) = current else { break }
            let wanted = min(length - buffer.count, rest.count)
            buffer.append(UnsafeRawBufferPointer(rebasing: rest.prefix(wanted)))
            rest = rest.dropFirst(wanted)
            if let message = try completeIfWhole() { messages.append(message) }
        }
        return messages
    }

    /// A whole prefix: checks the length against the limits and reserves it.
    private mutating func begin() throws(GRPCStatus) {
        let flag = prefix[0]
        let length = Int(prefix[1]) << 24 | Int(prefix[2]) << 16 | Int(prefix[3]) << 8 | Int(prefix[4])
        prefix.removeAll(keepingCapacity: true)
        guard flag <= 1 else { throw GRPCStatus(.internalError, "a message's compressed flag is \(flag); it is 0 or 1") }
        if flag == 1 && encoding == nil {
            throw GRPCStatus(.internalError, "a compressed message arrived without grpc-encoding")
        }
        guard length <= maxMessageBytes else {
            throw GRPCStatus(
                .resourceExhausted,
                "a message of \(length) bytes is larger than the server's limit of \(maxMessageBytes) (--max-body-bytes)")
        }
        let reservation = budget.map { RequestBudget(budget: $0) }
        if let reservation {
            switch reservation.grow(to: length) {
            case .granted: break
            case .busy:
                throw GRPCStatus(.resourceExhausted, "the server holds as many messages as its memory budget allows; retry shortly")
            case .exceedsLimit(let limit):
                throw GRPCStatus(
                    .resourceExhausted,
                    "a message of \(length) bytes is larger than the server's whole in-flight memory budget of \(limit) bytes (--max-inflight-bytes)")
            }
        }
        current = (ByteBuffer(capacity: length), reservation, length, flag == 1)
    }

    private mutating func completeIfWhole() throws(GRPCStatus) -> GRPCMessage? {
        guard let (buffer, reservation, length, isCompressed) = current, buffer.count == length else { return nil }
        current = nil
        guard isCompressed, let encoding else { return GRPCMessage(buffer: buffer, budget: reservation) }
        do {
            let inflated = try Inflater.inflate(
                UnsafeRawBufferPointer(buffer.bytes), coding: encoding, limit: maxMessageBytes,
                admit: MemoryAdmission(budget: reservation))
            return GRPCMessage(buffer: inflated, budget: reservation)
        } catch {
            switch error {
            case .tooLarge:
                throw GRPCStatus(.resourceExhausted, "a message inflates past the server's limit of \(maxMessageBytes) bytes (--max-body-bytes)")
            case .overBudget:
                throw GRPCStatus(.resourceExhausted, "the server cannot hold the inflated message now; retry shortly")
            case .corrupt(let why):
                throw GRPCStatus(.internalError, "a \(encoding.rawValue) message cannot be inflated: \(why)")
            }
        }
    }
}
