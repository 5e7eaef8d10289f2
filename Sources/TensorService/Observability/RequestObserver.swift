import Dispatch
import Synchronization
import Logging
import TensorHTTP

/// Sees every answer go out: tags it with `X-Request-Id`, counts it in the metrics and writes its access-log line.
package struct RequestObserver: Sendable {
    let metrics: ServiceMetrics
    let accessLogger: Logger
    /// The HTTP access line's fast path, when the logs go to the service's own sink; else `accessLogger` writes it.
    var accessLog: AccessLogWriter? = nil

    /// What is known of a request when its answer is ready.
    struct Exchange: Sendable {
        var method: String
        var route: String
        var requestID: String
        var bytesIn: Int
        var clientAddress: String
        var userAgent: String
        /// The request target as sent, cut to `maxLoggedTextBytes`.
        var target: String
        var isHead: Bool
    }

    /// Client-controlled text in a log line is cut to this many bytes, so a line stays bounded.
    static let maxLoggedTextBytes = 256

    /// Starts an exchange; `route` is what the request was routed to, nil when none (labelled `unmatched`).
    func begin(_ head: HTTPRequestHead?, route: Route?, bodyBytes: Int) -> Exchange {
        Exchange(
            method: head.map { Self.methodLabel($0.method) } ?? "-", route: route?.rawValue ?? "unmatched",
            requestID: Self.requestID(from: head),
            bytesIn: bodyBytes, clientAddress: head?.clientAddress ?? "",
            userAgent: Self.bounded(head?.headers["user-agent"] ?? ""), target: Self.bounded(head?.target ?? ""),
            isHead: head?.method == "HEAD")
    }

    /// Adds the request id to `response` and returns it; once its last byte is written (or its connection closed),
    /// the exchange is counted in the metrics and logged, timed from the request's first byte.
    func finish(_ exchange: Exchange, _ response: HTTPResponse) -> HTTPResponse {
        var response = response
        response.requestID = exchange.requestID
        let (metrics, accessLogger, accessLog, status) = (self.metrics, self.accessLogger, self.accessLog, response.status)
        let bytesOut = exchange.isHead ? 0 : response.bodyCount
        response.onWritten = { timing in
            metrics.recordRequest(method: exchange.method, route: exchange.route, status: status, seconds: timing.seconds)
            if let accessLog { return accessLog.log(exchange, status: status, bytesOut: bytesOut, timing: timing) }
            accessLogger.info(
                "request",
                metadata: [
                    "method": .string(exchange.method), "route": .string(exchange.route), "path": .string(exchange.target),
                    "status": .stringConvertible(status), "bytes_in": .stringConvertible(exchange.bytesIn),
                    "bytes_out": .stringConvertible(bytesOut),
                    "duration_ms": .stringConvertible((timing.seconds * 1e6).rounded() / 1e3),
                    "complete": .stringConvertible(timing.isComplete), "request_id": .string(exchange.requestID),
                    "client": .string(exchange.clientAddress), "user_agent": .string(exchange.userAgent),
                ])
        }
        return response
    }

    /// A gRPC call's end: `tensor_service_grpc_requests_total{method,code}` and an access-log line with
    /// `protocol` grpc, its method as the route and its gRPC code as the status.
    func finishCall(_ call: GRPCCallContext, status: GRPCStatus, messagesIn: Int, bytesIn: Int, bytesOut: Int, seconds: Double) {
        metrics.recordCall(method: call.method, code: status.code, seconds: seconds)
        accessLogger.info(
            "request",
            metadata: [
                "protocol": "grpc", "method": "POST", "route": .string(call.method), "status": .stringConvertible(status.code.rawValue),
                "messages_in": .stringConvertible(messagesIn), "bytes_in": .stringConvertible(bytesIn),
                "bytes_out": .stringConvertible(bytesOut), "duration_ms": .stringConvertible((seconds * 1e6).rounded() / 1e3),
                "complete": .stringConvertible(status.code == .ok), "client": .string(call.clientAddress),
                "user_agent": .string(call.userAgent),
            ])
    }

    private static func bounded(_ text: String) -> String {
        text.utf8.count <= maxLoggedTextBytes ? text : String(decoding: text.utf8.prefix(maxLoggedTextBytes), as: UTF8.self)
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
