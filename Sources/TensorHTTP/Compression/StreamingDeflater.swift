import CZlib

/// One gzip or zlib-wrapped deflate stream written piece by piece, for an answer made while it is sent: each call
/// compresses one piece and returns what zlib produced for it (without a flush, so the ratio is that of the whole).
/// Level 1, as `Deflater`. Used by one thread at a time.
package final class StreamingDeflater {
    private var stream = z_stream()
    private var isFinished = false
    private var isOpen = false

    /// Nil when zlib cannot get the memory for its state (a tight cgroup): the answer then goes out plain.
    package init?(coding: ContentCoding, level: Int32 = 1) {
        // windowBits: 15 + 16 writes a gzip wrapper, 15 a zlib one.
        guard deflateInit2_(&stream, level, Z_DEFLATED, coding == .gzip ? 31 : 15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return nil
        }
        isOpen = true
    }

    deinit { if isOpen { deflateEnd(&stream) } }

    /// Memory a stream holds while it compresses, besides its input and output: zlib's window and hash tables
    /// (about 256 KiB at these settings) and the output buffer of one call (at most 1 MiB).
    package static let workingBytes = 256 * 1024 + (1 << 20)

    /// The most bytes `compress` can return for `count` bytes of input (zlib's bound, and room for the trailer).
    package static func bound(for count: Int) -> Int { count + count / 1000 + 64 }

    /// Compresses `piece`; `isLast` ends the stream (its trailer is in the bytes returned).
    package func compress(_ piece: [UInt8], isLast: Bool) -> [UInt8] {
        precondition(!isFinished, "a finished deflate stream takes no more input")
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: max(16 * 1024, min(Self.bound(for: piece.count), 1 << 20)))
        let flush = isLast ? Z_FINISH : Z_NO_FLUSH
        piece.withUnsafeBytes { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
            stream.avail_in = UInt32(input.count)
            var result: Int32
            repeat {
                var produced = 0
                (result, produced) = chunk.withUnsafeMutableBytes { room -> (Int32, Int) in
                    stream.next_out = room.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    stream.avail_out = UInt32(room.count)
                    let result = deflate(&stream, flush)
                    return (result, room.count - Int(stream.avail_out))
                }
                precondition(result == Z_OK || result == Z_STREAM_END || result == Z_BUF_ERROR, "zlib's deflate failed")
                output.append(contentsOf: chunk[0..<produced])
                // Without a flush zlib has taken all input once it leaves output room; Z_FINISH is done at Z_STREAM_END.
            } while isLast ? result != Z_STREAM_END : stream.avail_out == 0
        }
        stream.next_in = nil
        if isLast { isFinished = true }
        return output
    }
}
