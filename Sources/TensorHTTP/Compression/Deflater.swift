import CZlib

/// Compresses answers. Level 1: on these tensors a higher level buys little size and costs much time.
package enum Deflater {
    package static func gzip(_ segments: [BodySegment], totalCount: Int, level: Int32 = 1) -> [UInt8] {
        compress(segments, totalCount: totalCount, coding: .gzip, level: level)
    }

    /// The segments as one gzip or zlib-wrapped deflate stream.
    package static func compress(_ segments: [BodySegment], totalCount: Int, coding: ContentCoding, level: Int32 = 1) -> [UInt8] {
        var stream = z_stream()
        // windowBits: 15 + 16 writes a gzip wrapper, 15 a zlib one.
        guard deflateInit2_(&stream, level, Z_DEFLATED, coding == .gzip ? 31 : 15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            preconditionFailure("zlib's deflateInit2 failed with valid arguments")
        }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(totalCount))) + 64
        return [UInt8](unsafeUninitializedCapacity: bound) { output, initialized in
            stream.next_out = output.baseAddress
            stream.avail_out = UInt32(bound)
            for (index, segment) in segments.enumerated() {
                let flush = index == segments.count - 1 ? Z_FINISH : Z_NO_FLUSH
                withBytes(segment) { bytes in
                    stream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
                    stream.avail_in = UInt32(bytes.count)
                    _ = deflate(&stream, flush)
                }
            }
            if segments.isEmpty { _ = deflate(&stream, Z_FINISH) }
            initialized = bound - Int(stream.avail_out)
        }
    }

    private static func withBytes(_ segment: BodySegment, _ body: (UnsafeRawBufferPointer) -> Void) {
        switch segment {
        case .bytes(let array): array.withUnsafeBytes(body)
        case .buffer(let buffer, let range): body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer.bytes)[range]))
        }
    }
}
