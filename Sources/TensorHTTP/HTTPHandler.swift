/// What the server asks of the application. Called on the connection's event loop, which serves many other
/// connections: keep it short there and move real work (decoding, kernels) to a worker, unless it takes less time
/// than the hand-off would.
package protocol HTTPHandler: Sendable {
    /// Decides, from its head alone, what a request is: answered at once, or handled once its body has arrived.
    /// Called once per request, before its body is read (so `Expect: 100-continue` gets an error at once).
    func prepare(_ head: HTTPRequestHead) -> HeadDecision

    /// Renders a transport error (malformed request, timeout, limits) for the client; `head` is there when known.
    func errorResponse(for error: HTTPRequestError, head: HTTPRequestHead?) -> HTTPResponse

    /// The answer to a pipelined request, whose head is `head`, that was not started before the server began to
    /// drain.
    func drainingResponse(head: HTTPRequestHead) -> HTTPResponse

    /// Decides what a gRPC call (an HTTP/2 request with content-type `application/grpc`) is, from its head: its
    /// `path` names the method. Called on the connection's event loop.
    func prepareCall(_ head: HTTPRequestHead) -> GRPCCallDecision

    /// An answer that carried a `record` has left (`timing.isComplete`) or its connection closed first. Called on the
    /// connection's event loop: keep it short (metrics, an access-log line).
    func exchangeFinished(_ record: ExchangeRecord, timing: ExchangeTiming)
}

extension HTTPHandler {
    package func exchangeFinished(_ record: ExchangeRecord, timing: ExchangeTiming) {}

    package func prepareCall(_ head: HTTPRequestHead) -> GRPCCallDecision {
        .reject(GRPCStatus(.unimplemented, "\(head.path.prefix(200)) is not served here"))
    }
}

/// What a handler decided from a request's head.
package enum HeadDecision {
    /// Send this answer at once. A body is never read: after a request that has one, the connection closes.
    case answer(HTTPResponse)
    /// Read the body, then give the whole request to this exchange, which carries what the head decided.
    case proceed(any PreparedExchange)
}

/// A request whose head has been examined: what it decided travels with it, typed, to the handling.
package protocol PreparedExchange: Sendable {
    /// Answers the whole request. `respond` must be called exactly once, from any thread.
    func handle(_ request: consuming HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void)
}
