import TensorCodecs
import TensorHTTP

/// A unary call answered on the event loop from its one request message: metadata, readiness, health, statistics,
/// shared-memory registration. Each takes microseconds, less than a hand-off to a worker.
final class UnaryCall: GRPCCall, @unchecked Sendable {
    // @unchecked Sendable: `hasAnswered` is touched only on the connection's event loop, where the transport calls
    // `received` and `inputEnded`.
    private let context: GRPCCallContext
    private let answer: @Sendable (UnsafeRawBufferPointer) throws -> [UInt8]
    private var hasAnswered = false

    init(context: GRPCCallContext, answer: @escaping @Sendable (UnsafeRawBufferPointer) throws -> [UInt8]) {
        self.context = context
        self.answer = answer
    }

    func received(_ message: GRPCMessage, output: GRPCOutput) {
        defer { message.budget?.releaseAll() }
        guard !hasAnswered else { return }
        hasAnswered = true
        let bytesIn = message.buffer.count
        do {
            let bytes = try answer(UnsafeRawBufferPointer(message.buffer.bytes))
            output.send([.bytes(bytes)])
            context.finish(.ok, output: output, messagesIn: 1, bytesIn: bytesIn, bytesOut: bytes.count)
        } catch {
            context.finish(context.status(for: error), output: output, messagesIn: 1, bytesIn: bytesIn, bytesOut: 0)
        }
    }

    func inputEnded(output: GRPCOutput) {
        guard !hasAnswered else { return }
        hasAnswered = true
        context.finish(GRPCStatus(.internalError, "a unary call ended without its request message"), output: output, messagesIn: 0, bytesIn: 0, bytesOut: 0)
    }

    func cancelled() {}
}

/// `grpc.health.v1.Health/Watch`: the status now, then NOT_SERVING when the server begins to drain (and the call
/// ends, so the drain need not wait for it).
final class HealthWatchCall: GRPCCall, @unchecked Sendable {
    // @unchecked Sendable: `hasStarted` is touched only on the connection's event loop.
    private let context: GRPCCallContext
    private var hasStarted = false

    init(context: GRPCCallContext) { self.context = context }

    func received(_ message: GRPCMessage, output: GRPCOutput) {
        defer { message.budget?.releaseAll() }
        guard !hasStarted else { return }
        hasStarted = true
        let name: String
        do {
            name = try GRPCMessages.healthService(UnsafeRawBufferPointer(message.buffer.bytes))
        } catch {
            return context.finish(context.status(for: error), output: output, messagesIn: 1, bytesIn: message.buffer.count, bytesOut: 0)
        }
        guard name.isEmpty || name == GRPCService.inferenceService else {
            return context.finish(
                GRPCStatus(.notFound, "unknown service \"\(name.prefix(64))\""), output: output, messagesIn: 1,
                bytesIn: message.buffer.count, bytesOut: 0)
        }
        context.service.healthWatchers.add(self, output: output)
    }

    /// The server drains: say so, and end the call.
    func drainBegan(output: GRPCOutput) {
        let bytes = GRPCMessages.health(serving: false)
        output.send([.bytes(bytes)])
        context.finish(.ok, output: output, messagesIn: 1, bytesIn: 0, bytesOut: bytes.count)
    }

    func inputEnded(output: GRPCOutput) {}

    func cancelled() { context.service.healthWatchers.remove(self) }
}
