/// Parses a request line and header section (RFC 9112 §2–§6) from bytes that end with the blank line.
package enum HTTPHeadParser {
    /// Most header fields a request may carry; past it the head is "too large" whatever its byte count.
    package static let maxFieldCount = 128

    /// The length of the head at the start of `bytes`, through its terminating blank line, or nil if incomplete.
    /// Lines end in CRLF; a bare LF is accepted too (RFC 9112 §2.2). Empty lines before the request line are
    /// skipped by `parse`, not counted as the end.
    package static func headLength(in bytes: UnsafeRawBufferPointer, searchFrom start: Int = 0) -> Int? {
        var index = max(0, start)
        let count = bytes.count
        // Leading empty lines (a client's stray CRLF after a previous body) are not a head terminator.
        var seenContent = false
        var scan = 0
        while scan < min(index, count) {
            if bytes[scan] != 0x0D && bytes[scan] != 0x0A { seenContent = true; break }
            scan += 1
        }
        while index < count {
            let byte = bytes[index]
            if byte == 0x0A {
                if seenContent {
                    if index + 1 < count && bytes[index + 1] == 0x0A { return index + 2 }
                    if index + 2 < count && bytes[index + 1] == 0x0D && bytes[index + 2] == 0x0A { return index + 3 }
                }
            } else if byte != 0x0D {
                seenContent = true
            }
            index += 1
        }
        return nil
    }

    /// Parses a complete head. `maxBodyBytes` turns an oversized Content-Length into `.bodyTooLarge` at once.
    package static func parse(_ bytes: UnsafeRawBufferPointer, maxBodyBytes: Int) throws(HTTPRequestError) -> HTTPRequestHead {
        var lines = splitLines(bytes)
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        guard let requestLine = lines.first else { throw .malformedRequestLine("it is empty") }
        let (method, target, minor) = try parseRequestLine(requestLine)

        var headers = HTTPHeaders()
        for line in lines.dropFirst() where !line.isEmpty {
            if headers.fields.count >= maxFieldCount { throw .headTooLarge(limit: maxFieldCount) }
            let (name, value) = try parseField(line)
            headers.add(name: name, value: value)
        }
        if minor >= 1 && headers.values("host").count != 1 { throw .missingHost }
        let framing = try parseFraming(method: method, minor: minor, headers: headers, maxBodyBytes: maxBodyBytes)
        return HTTPRequestHead(method: method, target: target, versionMinor: minor, headers: headers, framing: framing)
    }

    private static func splitLines(_ bytes: UnsafeRawBufferPointer) -> [ArraySlice<UInt8>] {
        let all = Array(bytes)
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        for index in all.indices where all[index] == 0x0A {
            var end = index
            if end > start && all[end - 1] == 0x0D { end -= 1 }
            lines.append(all[start..<end])
            start = index + 1
        }
        return lines
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPRequestError) -> (String, String, Int) {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformedRequestLine("expected METHOD SP target SP HTTP/1.1") }
        let method = parts[0], target = parts[1], version = parts[2]
        guard !method.isEmpty, method.allSatisfy(isTokenByte) else { throw .malformedRequestLine("the method is not a token") }
        guard !target.isEmpty, target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .malformedRequestLine("the request-target has a forbidden byte")
        }
        // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT
        let text = Array(version)
        guard text.count == 8, text[0..<5].elementsEqual("HTTP/".utf8), isDigit(text[5]), text[6] == 0x2E, isDigit(text[7]) else {
            throw .malformedRequestLine("the version is not HTTP/x.y")
        }
        guard text[5] == 0x31 else { throw .unsupportedVersion(String(decoding: text, as: UTF8.self)) }
        // A higher minor version is answered as 1.1 (RFC 9112 §2.6).
        return (String(decoding: method, as: UTF8.self), String(decoding: target, as: UTF8.self), Int(text[7] - 0x30))
    }

    private static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPRequestError) -> (String, String) {
        if line.first == 0x20 || line.first == 0x09 { throw .malformedHeader("obsolete line folding is not accepted") }
        guard let colon = line.firstIndex(of: 0x3A) else { throw .malformedHeader("a field has no colon") }
        let name = line[line.startIndex..<colon]
        // RFC 9112 §5.1: no whitespace between the field name and the colon.
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
            throw .malformedHeader("field name \"\(String(decoding: name.prefix(64), as: UTF8.self))\" is not a token")
        }
        var value = line[(colon + 1)...]
        while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw .malformedHeader("field \"\(String(decoding: name, as: UTF8.self))\" has a control character")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    private static func parseFraming(
        method: String, minor: Int, headers: HTTPHeaders, maxBodyBytes: Int
    ) throws(HTTPRequestError) -> BodyFraming {
        let codings = headers.tokens("transfer-encoding")
        let lengths = headers.values("content-length")
        if !codings.isEmpty {
            // RFC 9112 §6.1: Transfer-Encoding with Content-Length is an error; chunked must be the final coding.
            guard lengths.isEmpty else { throw .conflictingFraming }
            guard minor >= 1 else { throw .malformedHeader("Transfer-Encoding is not defined for HTTP/1.0") }
            guard codings == ["chunked"] else { throw .unsupportedTransferEncoding(codings.joined(separator: ", ")) }
            return .chunked
        }
        if !lengths.isEmpty {
            // Several equal values ("5, 5" or two fields) are one length; different ones are an error (§6.3).
            let values = lengths.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }.map(\.trimmingSpaces)
            guard let first = values.first, values.allSatisfy({ $0 == first }),
                !first.isEmpty, first.utf8.allSatisfy(isDigit)
            else { throw .invalidContentLength(lengths.joined(separator: ", ")) }
            guard first.utf8.count <= 18, let length = Int(first) else { throw .bodyTooLarge(limit: maxBodyBytes) }
            if length > maxBodyBytes { throw .bodyTooLarge(limit: maxBodyBytes) }
            return length == 0 ? .none : .length(length)
        }
        if ["POST", "PUT", "PATCH"].contains(method) { throw .lengthRequired }
        return .none
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// RFC 9110 §5.6.2 tchar.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }
}
