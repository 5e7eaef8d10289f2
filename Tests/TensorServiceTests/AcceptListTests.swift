import Testing
@testable import TensorService

/// `Accept` and `Accept-Encoding` weights read by one parser, per RFC 9110 §12.4.2.
@Suite struct AcceptListTests {
    @Test(arguments: [
        ("1", 1.0), ("1.", 1.0), ("1.000", 1.0), ("0", 0.0), ("0.5", 0.5), ("0.125", 0.125), ("0.", 0.0),
    ])
    func validWeights(text: String, value: Double) {
        #expect(AcceptList.qvalue(text) == value)
    }

    @Test(arguments: ["5", "1.5", "1.001", "0.1234", "-0", "x", "", ".5", "0.5e1", "2"])
    func invalidWeights(text: String) {
        #expect(AcceptList.qvalue(text) == nil)
    }

    @Test("An element with a malformed weight is dropped; other parameters are ignored")
    func elements() {
        #expect(AcceptList.parse("gzip;q=5, deflate;q=0.5") == [.init(value: "deflate", quality: 0.5)])
        #expect(AcceptList.parse("Application/JSON; charset=utf-8; Q=0.2, */*;q=0") == [
            .init(value: "application/json", quality: 0.2), .init(value: "*/*", quality: 0),
        ])
    }

    @Test("Both headers follow the same rules: gzip;q=5 grants nothing")
    func bothHeadersAgree() {
        #expect(AcceptEncoding.preferredCoding("gzip;q=5") == nil)
        #expect(AcceptEncoding.preferredCoding("gzip;q=5, deflate") == .deflate)
        #expect(AcceptEncoding.preferredCoding("gzip;q=0.001") == .gzip)
        #expect(ContentNegotiator.parseAccept("application/json;q=5").isEmpty)
        #expect(ContentNegotiator.choose(["application/json"], mediaType: { $0 }, accept: "application/json;q=1.5") == nil)
    }
}
