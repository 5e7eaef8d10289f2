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

    /// What is known of a request when its answer is ready (a value carried by the answer, handed back when it has
    /// left).
    typealias Exchange = ExchangeRecord

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

    /// Adds the request id and the exchange's record to `response` and returns it; once its last byte is written
    /// (or its connection closed), `exchangeFinished` counts it in the metrics and logs it, timed from the request's
    /// first byte.
    func finish(_ exchange: consuming Exchange, _ response: consuming HTTPResponse) -> HTTPResponse {
        // Consumed and moved, not copied: an answer with its record is a few hundred bytes.
        exchange.status = response.status
        exchange.bytesOut = exchange.isHead ? 0 : response.bodyCount
        response.requestID = exchange.requestID
        response.record = consume exchange
        return response
    }

    /// An answer has left, or its connection closed first.
    func exchangeFinished(_ record: ExchangeRecord, timing: ExchangeTiming) {
        metrics.recordRequest(method: record.method, route: record.route, status: record.status, seconds: timing.seconds)
        if let accessLog { return accessLog.log(record, timing: timing) }
        accessLogger.info(
            "request",
            metadata: [
                "method": .string(record.method), "route": .string(record.route), "path": .string(record.target),
                "status": .stringConvertible(record.status), "bytes_in": .stringConvertible(record.bytesIn),
                "bytes_out": .stringConvertible(record.bytesOut),
                "duration_ms": .stringConvertible((timing.seconds * 1e6).rounded() / 1e3),
                "complete": .stringConvertible(timing.isComplete), "request_id": .string(record.requestID.description),
                "client": .string(record.clientAddress), "user_agent": .string(record.userAgent),
            ])
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
        switch method {
        case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE": method
        default: "other"
        }
    }

    /// The client's `X-Request-Id` when it is a sane token, else a new random one.
    static func requestID(from head: HTTPRequestHead?) -> RequestID {
        if let given = head?.headers["x-request-id"], !given.isEmpty, given.utf8.count <= 128,
            given.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        {
            return .given(given)
        }
        let counter = UInt64(bitPattern: Int64(sequence.wrappingAdd(1, ordering: .relaxed).newValue))
        return .made(prefix: processPrefix, counter: counter)
    }

    private static let processPrefix = UInt64.random(in: .min ... .max)
    private static let sequence = Atomic<Int>(0)
}
