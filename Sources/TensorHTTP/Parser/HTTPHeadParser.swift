/// Parses a request line and header section (RFC 9112 §2–§6) from bytes that end with the blank line.
package enum HTTPHeadParser {
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
    ///
    /// Works on the bytes where they lie: the only allocations are the strings of the head itself (short ones are
    /// stored inline) and its field list, unless `reusing` brings the storage of an earlier head nothing holds now.
    package static func parse(
        _ bytes: UnsafeRawBufferPointer, maxBodyBytes: Int, reusing headers: consuming HTTPHeaders = HTTPHeaders(reservingCapacity: 8)
    ) throws(HTTPRequestError) -> HTTPRequestHead {
        var lines = LineCursor(bytes: bytes)
        var requestLine: Range<Int>?
        while let line = lines.next() {
            if !line.isEmpty {
                requestLine = line
                break
            }
        }
        guard let requestLine else { throw .malformedRequestLine("it is empty") }
        let (method, target, minor) = try parseRequestLine(bytes, requestLine)

        headers.removeAllKeepingCapacity()
        while let line = lines.next() {
            // No count of its own: the head's byte limit bounds the fields (16 KiB holds well over 1,000).
            if line.isEmpty { continue }
            let (name, value) = try parseField(bytes, line)
            headers.add(lowercasedName: name, value: value)
        }
        if minor >= 1 && headers.count("host") != 1 { throw .missingHost }
        let framing = try parseFraming(method: method, minor: minor, headers: headers, maxBodyBytes: maxBodyBytes)
        return HTTPRequestHead(method: method, target: target, versionMinor: minor, headers: headers, framing: framing)
    }

    /// The head's lines as byte ranges, without their CRLF or bare LF.
    private struct LineCursor {
        let bytes: UnsafeRawBufferPointer
        var start = 0

        mutating func next() -> Range<Int>? {
            var index = start
            while index < bytes.count && bytes[index] != 0x0A { index += 1 }
            guard index < bytes.count else { return nil }
            var end = index
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            defer { start = index + 1 }
            return start..<end
        }
    }

    private static func parseRequestLine(
        _ bytes: UnsafeRawBufferPointer, _ line: Range<Int>
    ) throws(HTTPRequestError) -> (String, String, Int) {
        // RFC 9112 §3: request-line = method SP request-target SP HTTP-version, single spaces.
        guard let firstSpace = line.first(where: { bytes[$0] == 0x20 }),
            let secondSpace = (firstSpace + 1..<line.upperBound).first(where: { bytes[$0] == 0x20 }),
            !(secondSpace + 1..<line.upperBound).contains(where: { bytes[$0] == 0x20 })
        else { throw .malformedRequestLine("expected METHOD SP target SP HTTP/1.1") }
        let method = line.lowerBound..<firstSpace, target = firstSpace + 1..<secondSpace
        let version = UnsafeRawBufferPointer(rebasing: bytes[secondSpace + 1..<line.upperBound])
        guard !method.isEmpty, method.allSatisfy({ isTokenByte(bytes[$0]) }) else {
            throw .malformedRequestLine("the method is not a token")
        }
        guard !target.isEmpty, target.allSatisfy({ bytes[$0] > 0x20 && bytes[$0] < 0x7F }) else {
            throw .malformedRequestLine("the request-target has a forbidden byte")
        }
        // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT
        guard version.count == 8, version.prefix(5).elementsEqual("HTTP/".utf8), isDigit(version[5]), version[6] == 0x2E,
            isDigit(version[7])
        else {
            throw .malformedRequestLine("the version is not HTTP/x.y")
        }
        guard version[5] == 0x31 else { throw .unsupportedVersion(String(decoding: version, as: UTF8.self)) }
        // A higher minor version is answered as 1.1 (RFC 9112 §2.6).
        return (string(bytes, method), string(bytes, target), Int(version[7] - 0x30))
    }

    private static func parseField(
        _ bytes: UnsafeRawBufferPointer, _ line: Range<Int>
    ) throws(HTTPRequestError) -> (String, String) {
        if bytes[line.lowerBound] == 0x20 || bytes[line.lowerBound] == 0x09 {
            throw .malformedHeader("obsolete line folding is not accepted")
        }
        guard let colon = line.first(where: { bytes[$0] == 0x3A }) else { throw .malformedHeader("a field has no colon") }
        let name = line.lowerBound..<colon
        // RFC 9112 §5.1: no whitespace between the field name and the colon.
        guard !name.isEmpty, name.allSatisfy({ isTokenByte(bytes[$0]) }) else {
            throw .malformedHeader("field name \"\(string(bytes, name.prefix(64)))\" is not a token")
        }
        var valueStart = colon + 1
        var valueEnd = line.upperBound
        while valueStart < valueEnd && (bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09) { valueStart += 1 }
        while valueEnd > valueStart && (bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09) { valueEnd -= 1 }
        let value = valueStart..<valueEnd
        guard value.allSatisfy({ bytes[$0] == 0x09 || (bytes[$0] >= 0x20 && bytes[$0] != 0x7F) }) else {
            throw .malformedHeader("field \"\(string(bytes, name))\" has a control character")
        }
        return (string(bytes, name, lowercasingASCII: true), commonValue(bytes, value) ?? string(bytes, value))
    }

    /// Field values past a `String`'s 15 inline bytes that nearly every tensor request sends: shared, so a request
    /// sending them makes no string of its own for them.
    private static let commonValues: [(bytes: [UInt8], text: String)] = [
        "application/octet-stream", "application/json", "application/x-npy", "application/grpc",
        "application/problem+json",
    ].map { (Array($0.utf8), $0) }

    /// Compared as bytes, lengths first: stepping a `String`'s UTF-8 view costs tens of instructions a byte.
    private static func commonValue(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String? {
        guard range.count > 15 else { return nil }
        let value = UnsafeRawBufferPointer(rebasing: bytes[range])
        for common in commonValues where common.bytes.count == value.count {
            if common.bytes.withUnsafeBytes({ $0.elementsEqual(value) }) { return common.text }
        }
        return nil
    }

    /// The bytes in `range` as a string; invalid UTF-8 (obs-text) is repaired, as `String(decoding:)` does.
    private static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, lowercasingASCII: Bool = false) -> String {
        String(unsafeUninitializedCapacity: range.count) { buffer in
            for offset in 0..<range.count {
                let byte = bytes[range.lowerBound + offset]
                buffer[offset] = lowercasingASCII && byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            }
            return range.count
        }
    }

    private static func parseFraming(
        method: String, minor: Int, headers: HTTPHeaders, maxBodyBytes: Int
    ) throws(HTTPRequestError) -> BodyFraming {
        // The usual case, one Content-Length of digits, without arrays; anything else takes the general path below.
        if headers.count("content-length") == 1 && !headers.contains("transfer-encoding"),
            let single = headers["content-length"], !single.isEmpty, single.utf8.count <= 18, single.utf8.allSatisfy(isDigit),
            let length = Int(single)
        {
            if length > maxBodyBytes { throw .bodyTooLarge(limit: maxBodyBytes) }
            return length == 0 ? .none : .length(length)
        }
        // Arrays only when the fields are there: a GET has neither.
        let lengths = headers.contains("content-length") ? headers.values("content-length") : []
        if headers.contains("transfer-encoding") {
            let codings = headers.tokens("transfer-encoding")
            // Present but empty says nothing a front proxy and this server would agree on.
            guard !codings.isEmpty else { throw .malformedHeader("Transfer-Encoding is empty") }
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
        if method == "POST" || method == "PUT" || method == "PATCH" { throw .lengthRequired }
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
