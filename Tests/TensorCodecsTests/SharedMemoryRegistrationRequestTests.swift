import Testing
@testable import TensorCodecs

/// The shared-memory register body, read by the codecs' own JSON scanner.
@Suite struct SharedMemoryRegistrationRequestTests {
    private func decode(_ text: String) throws(CodecError) -> SharedMemoryRegistrationRequest {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { raw in
            Result { () throws(CodecError) in try SharedMemoryRegistrationRequest.decode(raw) }
        }.get()
    }

    @Test("key, offset and byte_size in any order, offset optional, unknown fields skipped, whole numbers as written")
    func reads() throws {
        #expect(try decode(#"{"key": "/input", "offset": 16, "byte_size": 64}"#)
            == SharedMemoryRegistrationRequest(key: "/input", offset: 16, byteSize: 64))
        #expect(try decode(#" {"byte_size":4096,"key":"/a\u002fb","extra":{"x":[1,2,{"y":null}]}} "#)
            == SharedMemoryRegistrationRequest(key: "/a/b", offset: 0, byteSize: 4096))
        #expect(try decode(#"{"key":"k","byte_size":4.0e2,"offset":-1}"#) == SharedMemoryRegistrationRequest(key: "k", offset: -1, byteSize: 400))
        #expect(try decode(#"{"key":"k","offset":null,"byte_size":1}"#) == SharedMemoryRegistrationRequest(key: "k", offset: 0, byteSize: 1))
    }

    @Test("Each mistake says what is wrong")
    func errors() {
        let cases: [(String, String)] = [
            (#"{"key": "/a"}"#, "has no 'byte_size' field"),
            (#"{"byte_size": 4}"#, "has no 'key' field"),
            (#"{"key": 7, "byte_size": 4}"#, "key is not a string"),
            (#"{"key": "/a", "byte_size": true}"#, "byte_size at byte"),
            (#"{"key": "/a", "byte_size": 1.5}"#, "is not an integer"),
            (#"{"key": "/a", "byte_size": 99999999999999999999}"#, "byte_size at byte"),
            (#"{"key": "/a", "byte_size": 4} trailing"#, "nothing may follow"),
            (#"["key"]"#, "'{'"),
            (#"{"key": "/a" "byte_size": 4}"#, "','"),
            (#"{"key": "/a", "/secret-name" 4}"#, "':' after a member name in the register request"),
        ]
        for (text, expected) in cases {
            do {
                _ = try decode(text)
                Issue.record("no error for \(text)")
            } catch {
                #expect(error.kind == .malformed && error.detail.contains(expected), "\(text): \(error.detail)")
            }
        }
    }
}
