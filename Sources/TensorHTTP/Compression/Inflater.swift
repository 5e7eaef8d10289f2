import CZlib
import TensorMemory

/// Why a compressed body could not be inflated.
package enum InflateError: Error, Equatable, Sendable {
    /// The inflated body would pass the limit; inflating stopped there.
    case tooLarge(limit: Int)
    /// Not a valid stream of the coding, or cut short.
    case corrupt(String)
    /// The server's in-flight budget refused the inflated bytes: not now (`.busy`) or never (`.exceedsLimit`).
    case overBudget(bytes: Int, refusal: Admission)
}

/// Inflates a gzip or deflate body as a stream, never producing more than `limit` bytes: a body built to expand
/// without bound (a "gzip bomb") costs at most the limit's worth of work and memory.
package enum Inflater {
    /// `admit` is asked for each growth of the output before it is allocated (a refusal: `.overBudget`).
    package static func inflate(
        _ input: UnsafeRawBufferPointer, coding: ContentCoding, limit: Int, admit: MemoryAdmission = admitAnything
    ) throws(InflateError) -> ByteBuffer {
        // A second attempt (raw deflate after the zlib wrapper was refused) reuses what the first reserved: its buffer
        // is gone by then.
        let reservation = AttemptReservation(admit: admit)
        do {
            // windowBits: 15 + 16 reads gzip, 15 reads zlib, -15 reads raw deflate.
            return try run(input, windowBits: coding == .gzip ? 31 : 15, limit: limit, admit: reservation.admit)
        } catch .corrupt(let why) where coding == .deflate {
            reservation.beginAttempt()
            do {
                return try run(input, windowBits: -15, limit: limit, admit: reservation.admit)
            } catch .corrupt {
                throw .corrupt(why)
            }
        }
    }

    private static func run(
        _ input: UnsafeRawBufferPointer, windowBits: Int32, limit: Int, admit: (Int) -> Admission
    ) throws(InflateError) -> ByteBuffer {
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("the decompressor could not start")
        }
        defer { inflateEnd(&stream) }
        // Start near a typical ratio, then grow geometrically; never past the limit (+1 to detect passing it).
        let initial = min(max(input.count * 4, 4096), limit + 1)
        let admitted = admit(initial)
        guard admitted == .granted else { throw .overBudget(bytes: initial, refusal: admitted) }
        let output = ByteBuffer(capacity: initial)
        var consumed = 0
        while true {
            if output.count == output.capacity {
                guard output.capacity <= limit else { throw .tooLarge(limit: limit) }
                let grown = min(output.capacity * 2, limit + 1)
                let admitted = admit(grown - output.capacity)
                guard admitted == .granted else { throw .overBudget(bytes: grown - output.capacity, refusal: admitted) }
                output.reserve(grown)
            }
            let chunk = min(input.count - consumed, Int(UInt32.max))
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self).advanced(by: consumed))
            stream.avail_in = UInt32(chunk)
            stream.next_out = (output.base + output.count).assumingMemoryBound(to: UInt8.self)
            let space = output.capacity - output.count
            stream.avail_out = UInt32(min(space, Int(UInt32.max)))
            let status = CZlib.inflate(&stream, Z_NO_FLUSH)
            consumed += chunk - Int(stream.avail_in)
            output.count += min(space, Int(UInt32.max)) - Int(stream.avail_out)
            if output.count > limit { throw .tooLarge(limit: limit) }
            switch status {
            case Z_STREAM_END:
                if consumed == input.count { return output }
                // RFC 1952 §2.2: a gzip file is a series of members; each is inflated in turn, into the same limit.
                guard windowBits == 31 else { throw .corrupt("bytes follow the end of the compressed stream") }
                guard inflateReset(&stream) == Z_OK else { throw .corrupt("the decompressor could not restart") }
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                // No progress possible: with output space left, the input ended early.
                if output.count < output.capacity { throw .corrupt("the compressed stream is truncated") }
            default:
                throw .corrupt(stream.msg.map { String(cString: $0) } ?? "zlib error \(status)")
            }
        }
    }
}

/// Bytes reserved across inflate attempts: each attempt asks only for what it needs beyond the earlier ones' share.
private final class AttemptReservation {
    private let ask: MemoryAdmission
    private var reserved = 0
    private var inUse = 0

    init(admit: MemoryAdmission) { ask = admit }

    func beginAttempt() { inUse = 0 }

    func admit(_ bytes: Int) -> Admission {
        let needed = inUse + bytes - reserved
        if needed > 0 {
            let admitted = ask(needed)
            guard admitted == .granted else { return admitted }
            reserved += needed
        }
        inUse += bytes
        return .granted
    }
}
