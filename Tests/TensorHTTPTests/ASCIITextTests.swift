import Testing
import TensorHTTP

@Suite struct ASCIITextTests {
    @Test func lowercasesOnlyASCIICapitals() {
        #expect("Content-Type".asciiLowercased == "content-type")
        #expect("already-lower".asciiLowercased == "already-lower")
        // Non-ASCII letters are not tokens; they pass through untouched rather than being case-mapped.
        #expect("ÄPPLICATION/JSON".asciiLowercased == "Äpplication/json")
        #expect(Substring("X-Tensor-SHAPE").asciiLowercased == "x-tensor-shape")
    }

    @Test func trimsSpacesAndTabsOnly() {
        #expect(" \t application/json \t".trimmingSpaces == "application/json")
        #expect("   ".trimmingSpaces == "")
        #expect("".trimmingSpaces == "")
        #expect("a b".trimmingSpaces == "a b")
        // A non-breaking space is not HTTP whitespace (RFC 9110 §5.6.3).
        #expect("\u{00A0}x\u{00A0}".trimmingSpaces == "\u{00A0}x\u{00A0}")
        #expect("x\r\n".trimmingSpaces == "x\r\n")
    }

    @Test func comparesIgnoringASCIICase() {
        #expect(Substring("Q").equalsIgnoringASCIICase("q"))
        #expect(Substring("GZip").equalsIgnoringASCIICase("gzip"))
        #expect(!Substring("gzi").equalsIgnoringASCIICase("gzip"))
        #expect(!Substring("É").equalsIgnoringASCIICase("é"))
        #expect(!Substring("application/jsoN ").equalsIgnoringASCIICase("application/json"))
        #expect(Substring(" Application/JSON ".dropFirst().dropLast()).equalsIgnoringASCIICase("application/json"), "a slice of a larger string")
    }

    @Test func headerLookupsIgnoreCase() {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Connection", value: " Keep-Alive ,, close")
        #expect(headers["CONTENT-TYPE"] == "application/json")
        #expect(headers.tokens("connection") == ["keep-alive", "close"])
        #expect(headers.tokens("expect") == [])
    }
}
