/// What the server asks of the application. Called on the connection's event loop, which serves many other
/// connections: keep it short there and move real work (decoding, kernels) to a worker, unless it takes less time
/// than the hand-off would.
package protocol HTTPHandler: Sendable {
    /// Looks at the head of a request with a body before the body is read, so the body is read only when it will
    /// be used (and `Expect: 100-continue` gets an error at once).
    func prepare(_ head: HTTPRequestHead) -> HeadDecision

    /// Answers a whole request. `context` is what `prepare` returned for it, or nil when the request had no body
    /// and was not prepared. `respond` must be called exactly once, from any thread.
    func handle(
        _ request: consuming HTTPRequest, context: (any Sendable)?, respond: @escaping @Sendable (HTTPResponse) -> Void)

    /// Renders a transport error (malformed request, timeout, limits) for the client; `head` is there when known.
    func errorResponse(for error: HTTPRequestError, head: HTTPRequestHead?) -> HTTPResponse

    /// The answer to a pipelined request that was not started before the server began to drain.
    func drainingResponse() -> HTTPResponse
}

/// What a handler decided from a request's head.
package enum HeadDecision {
    /// Send this answer at once (no `100 Continue`; the body is never read) and close the connection.
    case answer(HTTPResponse)
    /// Read the body; `context` goes back to `handle` with the whole request, so the head is examined once.
    case proceed(context: (any Sendable)?)
}
