import Dispatch
import Synchronization
import Logging
import TensorHTTP

/// Sees every answer go out: tags it with `X-Request-Id`, counts it in the metrics and writes its access-log line.
package struct RequestObserver: Sendable {
    let metrics: ServiceMetrics
    let accessLogger: Logger

    /// What is known of a request when its answer is ready.
    struct Exchange {
        var method: String
        var route: String
        var requestID: String
        var bytesIn: Int
        var startNanoseconds: UInt64
    }

    /// Starts timing a request whose route is not known yet (an error, possibly before any route matched).
    func begin(_ head: HTTPRequestHead?, bodyBytes: Int) -> Exchange {
        let route = head.flatMap { try? Route.match($0.path) }.map(\.rawValue) ?? "unmatched"
        return Exchange(
            method: head.map { Self.methodLabel($0.method) } ?? "-", route: route, requestID: Self.requestID(from: head), bytesIn: bodyBytes,
            startNanoseconds: DispatchTime.now().uptimeNanoseconds)
    }

    /// Starts timing a request routed to `route`.
    func begin(_ head: HTTPRequestHead, route: Route, bodyBytes: Int) -> Exchange {
        Exchange(
            method: Self.methodLabel(head.method), route: route.rawValue, requestID: Self.requestID(from: head), bytesIn: bodyBytes,
            startNanoseconds: DispatchTime.now().uptimeNanoseconds)
    }

    /// Adds the request id to `response`, records it, logs it, and returns it.
    func finish(_ exchange: Exchange, _ response: HTTPResponse) -> HTTPResponse {
        var response = response
        response.headers.append((name: "X-Request-Id", value: exchange.requestID))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - exchange.startNanoseconds) / 1e9
        metrics.recordRequest(method: exchange.method, route: exchange.route, status: response.status, seconds: seconds)
        accessLogger.info(
            "request",
            metadata: [
                "method": "\(exchange.method)", "route": "\(exchange.route)", "status": "\(response.status)",
                "bytes_in": "\(exchange.bytesIn)", "bytes_out": "\(response.bodyCount)",
                "duration_ms": "\((seconds * 1e6).rounded() / 1e3)", "request_id": "\(exchange.requestID)",
            ])
        return response
    }

    /// A method name as a metrics label: any token is a valid method, so unknown ones share one label rather than
    /// let a client create time series at will.
    static func methodLabel(_ method: String) -> String {
        ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"].contains(method) ? method : "other"
    }

    /// The client's `X-Request-Id` when it is a sane token, else a new random one.
    static func requestID(from head: HTTPRequestHead?) -> String {
        if let given = head?.headers["x-request-id"], !given.isEmpty, given.utf8.count <= 128,
            given.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        {
            return given
        }
        // A random prefix per process and a counter: unique across replicas without a system call per request.
        let counter = UInt64(bitPattern: Int64(sequence.wrappingAdd(1, ordering: .relaxed).newValue))
        return String(unsafeUninitializedCapacity: 32) { text in
            writeHex(processPrefix, into: UnsafeMutableBufferPointer(rebasing: text[0..<16]))
            writeHex(counter, into: UnsafeMutableBufferPointer(rebasing: text[16..<32]))
            return 32
        }
    }

    private static let processPrefix = UInt64.random(in: .min ... .max)
    private static let sequence = Atomic<Int>(0)

    /// Sixteen lowercase hex digits, most significant first.
    private static func writeHex(_ value: UInt64, into digits: UnsafeMutableBufferPointer<UInt8>) {
        let alphabet: StaticString = "0123456789abcdef"
        for index in 0..<16 {
            let nibble = Int(truncatingIfNeeded: value >> UInt64(60 - 4 * index)) & 0xF
            digits[index] = alphabet.utf8Start[nibble]
        }
    }
}
