import Foundation
import Testing
import TensorTestSupport

/// Checks an error answer: its status, problem+json body with the four RFC 9457 members, and the type.
func expectProblem(
    _ response: RawHTTPClient.Response, status: Int, type: String, detailContains: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status == status, "\(response)", sourceLocation: sourceLocation)
    #expect(response.header("content-type") == "application/problem+json", sourceLocation: sourceLocation)
    let json = response.json ?? [:]
    #expect(json["type"] as? String == "https://tensor-service.dev/problems/" + type, "\(response)", sourceLocation: sourceLocation)
    #expect(json["status"] as? Int == status, sourceLocation: sourceLocation)
    #expect((json["title"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
    let detail = json["detail"] as? String ?? ""
    #expect(!detail.isEmpty, sourceLocation: sourceLocation)
    if let detailContains {
        #expect(detail.contains(detailContains), "detail: \(detail)", sourceLocation: sourceLocation)
    }
}

/// A good request that must succeed on a fresh connection: proof the server still serves after a bad one.
func expectServerStillServes(port: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let client = try RawHTTPClient(port: port)
    let response = try client.request(
        "POST", "/ops/leaky_relu", headers: [("Content-Type", "application/json")], body: Array(#"{"data": [-1, 1]}"#.utf8))
    #expect(response.status == 200, sourceLocation: sourceLocation)
    #expect(response.bodyText == #"{"dtype":"float32","shape":[2],"data":[-0.01,1.0]}"#, sourceLocation: sourceLocation)
}

func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

func values<T>(_ bytes: [UInt8], as: T.Type) -> [T] {
    bytes.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
}
