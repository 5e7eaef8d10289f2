import TensorMemory

/// What the application decided about a gRPC call from its headers (its `:path` names the method).
package enum GRPCCallDecision {
    /// End the call at once with this status (an unknown method is `.unimplemented`).
    case reject(GRPCStatus)
    case call(any GRPCCall)
}

/// The application's side of one gRPC call: messages in, answers out through `GRPCOutput`.
///
/// The transport calls these on the connection's event loop, in order; the call may answer from any thread, and
/// must end every call with one `finish`. Answers leave in the order they are sent.
package protocol GRPCCall: Sendable {
    /// A request message arrived.
    func received(_ message: GRPCMessage, output: GRPCOutput)
    /// The client sent its last message (half-close).
    func inputEnded(output: GRPCOutput)
    /// The stream was reset, the connection closed, or the transport ended the call with an error already: no
    /// answer will be sent any more, and work for it may stop.
    func cancelled()
}

/// Where a call's answers go: each `send` is one response message, `finish` sends the trailers. Callable from any
/// thread; the work is carried to the connection's event loop. After the stream is gone, both do nothing.
package final class GRPCOutput: Sendable {
    private let loop: EventLoop
    private let stream: Int32
    private let target: WeakConnection
    /// How large answers may be compressed (`send(_:compressed:)`): the request's own coding when the client
    /// accepts it back, else nil.
    package let encoding: ContentCoding?

    init(loop: EventLoop, stream: Int32, connection: HTTP2Connection, encoding: ContentCoding? = nil) {
        self.loop = loop
        self.stream = stream
        target = WeakConnection(connection)
        self.encoding = encoding
    }

    /// Sends one response message made of `segments` (a tensor may be a segment of the request's own buffer);
    /// `compressed` when they are already compressed with `encoding`. `budget` is released once the message has left.
    package func send(_ segments: [BodySegment], compressed: Bool = false, releasing budget: RequestBudget? = nil) {
        let (stream, target) = (stream, target)
        let accepted = loop.execute {
            target.connection?.sendMessage(segments, on: stream, compressed: compressed, releasing: budget)
        }
        if !accepted { budget?.releaseAll() }
    }

    /// Ends the call with `status`.
    package func finish(_ status: GRPCStatus) {
        let (stream, target) = (stream, target)
        loop.execute { target.connection?.finishCall(status, on: stream) }
    }
}

/// The connection, not kept alive by the answers of its calls.
final class WeakConnection: @unchecked Sendable {
    // @unchecked Sendable: `connection` is read only on the connection's event loop (inside `loop.execute`).
    weak var connection: HTTP2Connection?

    init(_ connection: HTTP2Connection) { self.connection = connection }
}
