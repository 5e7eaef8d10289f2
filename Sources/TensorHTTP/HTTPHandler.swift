/// What the server asks of the application. Called on a connection's I/O queue: keep it short there and move
/// real work (decoding, kernels) to a worker, unless it takes less time than the hand-off would.
package protocol HTTPHandler: Sendable {
    /// Looks at a head before its body is read. Returning an answer sends it at once (no `100 Continue`, the body
    /// is never read) and closes the connection; nil reads the body.
    func answerEarly(_ head: HTTPRequestHead) -> HTTPResponse?

    /// Answers a whole request. `respond` must be called exactly once, from any thread.
    func handle(_ request: consuming HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void)

    /// Renders a transport error (malformed request, timeout, limits) for the client; `head` is there when known.
    func errorResponse(for error: HTTPRequestError, head: HTTPRequestHead?) -> HTTPResponse

    /// The answer to a pipelined request that was not started before the server began to drain.
    func drainingResponse() -> HTTPResponse
}
