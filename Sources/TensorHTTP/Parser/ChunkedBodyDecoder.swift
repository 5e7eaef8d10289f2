/// Decodes a `Transfer-Encoding: chunked` body (RFC 9112 §7.1) incrementally into a `ByteBuffer`.
///
/// Chunk extensions are ignored and trailer fields are read and dropped. The decoded size is held to
/// `maxBodyBytes`; size lines and the trailer section are held to `maxLineBytes` so framing cannot grow unbounded.
package struct ChunkedBodyDecoder {
    private enum State {
        case sizeLine
        case data(remaining: Int)
        case dataEnd
        case trailers
        case done
    }

    private var state = State.sizeLine
    private let maxBodyBytes: Int
    private let maxLineBytes: Int
    private var trailerBytes = 0

    package init(maxBodyBytes: Int, maxLineBytes: Int = 16 * 1024) {
        self.maxBodyBytes = maxBodyBytes
        self.maxLineBytes = maxLineBytes
    }

    /// Consumes what it can from `input`, appending chunk data to `body`; returns true when the body is complete.
    package mutating func decode(_ input: inout InputBuffer, into body: ByteBuffer) throws(HTTPRequestError) -> Bool {
        while true {
            switch state {
            case .sizeLine:
                guard let line = try takeLine(&input) else { return false }
                let size = try Self.parseSize(line)
                if size > maxBodyBytes - body.count { throw .bodyTooLarge(limit: maxBodyBytes) }
                state = size == 0 ? .trailers : .data(remaining: size)
            case .data(let remaining):
                let available = min(remaining, input.readableCount)
                guard available > 0 else { return false }
                body.append(UnsafeRawBufferPointer(rebasing: input.readable.prefix(available)))
                input.consume(available)
                state = remaining == available ? .dataEnd : .data(remaining: remaining - available)
            case .dataEnd:
                guard let line = try takeLine(&input) else { return false }
                guard line.isEmpty else { throw .invalidChunk("chunk data is longer than its size") }
                state = .sizeLine
            case .trailers:
                guard let line = try takeLine(&input) else { return false }
                trailerBytes += line.count + 2
                if trailerBytes > maxLineBytes { throw .headTooLarge(limit: maxLineBytes) }
                if line.isEmpty {
                    state = .done
                    return true
                }
            case .done:
                return true
            }
        }
    }

    /// One line without its CRLF (or bare LF), or nil when the line has not fully arrived.
    private func takeLine(_ input: inout InputBuffer) throws(HTTPRequestError) -> [UInt8]? {
        let bytes = input.readable
        guard let newline = bytes.firstIndex(of: 0x0A) else {
            if bytes.count > maxLineBytes { throw .invalidChunk("a framing line exceeds \(maxLineBytes) bytes") }
            return nil
        }
        // RFC 9112 §7.1: chunk framing ends each line with CRLF. A bare LF is refused: a front proxy may split the
        // body differently on it (a request smuggling seam); the head, by contrast, may use bare LFs (§2.2).
        guard newline > 0 && bytes[newline - 1] == 0x0D else {
            throw .invalidChunk("a chunk framing line must end with CRLF")
        }
        let end = newline - 1
        let line = Array(bytes[0..<end])
        input.consume(newline + 1)
        return line
    }

    private static func parseSize(_ line: [UInt8]) throws(HTTPRequestError) -> Int {
        let sizeEnd = line.firstIndex { $0 == 0x3B || $0 == 0x20 || $0 == 0x09 } ?? line.count
        let digits = line[0..<sizeEnd]
        guard !digits.isEmpty else { throw .invalidChunk("a chunk size is missing") }
        guard digits.count <= 15 else { throw .invalidChunk("a chunk size is too large") }
        // RFC 9112 §7.1.1: after the size only whitespace and a chunk extension (";name[=value]") may follow;
        // anything else ("8 junk") is a framing a proxy may read otherwise, so it is refused, not ignored.
        let rest = line[sizeEnd...].drop { $0 == 0x20 || $0 == 0x09 }
        guard rest.isEmpty || rest.first == 0x3B else {
            throw .invalidChunk("chunk size line \"\(String(decoding: line.prefix(40), as: UTF8.self))\" has bytes after the size")
        }
        var size = 0
        for byte in digits {
            let value: Int
            switch byte {
            case 0x30...0x39: value = Int(byte - 0x30)
            case 0x41...0x46: value = Int(byte - 0x41 + 10)
            case 0x61...0x66: value = Int(byte - 0x61 + 10)
            default: throw .invalidChunk("chunk size \"\(String(decoding: digits, as: UTF8.self))\" is not hexadecimal")
            }
            size = size * 16 + value
        }
        return size
    }
}
