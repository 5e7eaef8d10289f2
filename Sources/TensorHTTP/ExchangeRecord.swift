/// What the handler noted of an exchange when it answered, for its metrics and access-log line. It travels in the
/// answer (`HTTPResponse.record`) and comes back to the handler (`HTTPHandler.exchangeFinished`) once the answer's
/// last byte has left, or its connection closed first: a value, so noting an exchange costs no allocation (a closure
/// capturing the same fields would cost one per request).
package struct ExchangeRecord: Sendable, Equatable {
    /// The method as a metrics label.
    package var method: String
    /// The route it was served by, or `unmatched`.
    package var route: String
    package var requestID: RequestID
    package var bytesIn: Int
    package var clientAddress: String
    package var userAgent: String
    /// The request target as sent (cut to a bound by the handler).
    package var target: String
    package var isHead: Bool
    /// The answer's status and body bytes (0 for HEAD), set when it is given.
    package var status = 0
    package var bytesOut = 0

    package init(
        method: String, route: String, requestID: RequestID, bytesIn: Int, clientAddress: String, userAgent: String,
        target: String, isHead: Bool
    ) {
        self.method = method
        self.route = route
        self.requestID = requestID
        self.bytesIn = bytesIn
        self.clientAddress = clientAddress
        self.userAgent = userAgent
        self.target = target
        self.isHead = isHead
    }
}
