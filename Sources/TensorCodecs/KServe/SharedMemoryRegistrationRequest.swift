/// The body of Triton's system shared-memory register request, `{"key": "/name", "offset": 0, "byte_size": 64}`,
/// read with the scanner every other JSON body goes through. `offset` may be left out or null (0); unknown fields are
/// skipped. Errors never repeat the client's text (a field name could carry a key).
public struct SharedMemoryRegistrationRequest: Equatable, Sendable {
    public var key: String
    public var offset: Int
    public var byteSize: Int

    public static func decode(_ body: UnsafeRawBufferPointer) throws(CodecError) -> SharedMemoryRegistrationRequest {
        var scanner = JSONScanner(body)
        var key: String?
        var offset: Int?
        var byteSize: Int?
        // Its errors never name a member: a client's field name could be a key.
        let wording = JSONScanner.Wording(opening: "the register request", context: " in the register request")
        try scanner.forEachMember(wording) { name, _, scanner throws(CodecError) in
            switch name {
            case "key":
                guard scanner.current == UInt8(ascii: "\"") else { throw .malformed("key is not a string") }
                key = try scanner.readString()
            case "offset" where scanner.current == UInt8(ascii: "n"):
                try scanner.literal("null")
            case "offset": offset = try scanner.readInteger(name: "offset")
            case "byte_size": byteSize = try scanner.readInteger(name: "byte_size")
            default: try scanner.skipValue()
            }
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw scanner.error("nothing may follow the register request") }
        guard let key else { throw .malformed("Shared memory register request has no 'key' field") }
        guard let byteSize else { throw .malformed("Shared memory register request has no 'byte_size' field") }
        return SharedMemoryRegistrationRequest(key: key, offset: offset ?? 0, byteSize: byteSize)
    }
}
