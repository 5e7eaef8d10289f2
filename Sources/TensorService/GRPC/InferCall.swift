import Dispatch
import TensorCodecs
import TensorHTTP
import TensorKernels
import TensorMemory

/// ModelInfer (one message, one answer) and ModelStreamInfer (a bidirectional stream: each message answered in
/// order, with its id; a message that fails is answered with `error_message` and the stream goes on).
///
/// Each message is decoded, computed and encoded on the worker pool (a small one where it arrived while the pool is
/// idle), one at a time per call so a stream's answers keep its order. Its tensor is computed in the message's own
/// buffer and answered from there: `raw_output_contents` is a segment of the buffer the request arrived in.
final class InferCall: GRPCCall, Sendable {
    private let context: GRPCCallContext
    private let isStream: Bool
    /// `grpc-timeout` as a monotonic deadline.
    private let deadline: UInt64?
    private let state = Locked(State())

    private struct State {
        var waiting: [GRPCMessage] = []
        var isRunning = false
        var isInputEnded = false
        var isCancelled = false
        var isFinished = false
        var messagesIn = 0
        var bytesIn = 0
        var bytesOut = 0
        /// The first failure of a unary call, or of the transport.
        var failure: GRPCStatus?
    }

    /// Answers smaller than this go out uncompressed even when the client compressed its request (each message
    /// says whether it is).
    static let minimumCompressedBytes = 1024

    init(context: GRPCCallContext, isStream: Bool, deadline: UInt64?) {
        self.context = context
        self.isStream = isStream
        self.deadline = deadline
    }

    func received(_ message: GRPCMessage, output: GRPCOutput) {
        let accepted = state.withLock { state -> Bool in
            guard !state.isCancelled, !state.isFinished, isStream || state.messagesIn == 0 else { return false }
            state.messagesIn += 1
            state.bytesIn += message.buffer.count
            state.waiting.append(message)
            return true
        }
        guard accepted else {
            message.budget?.releaseAll()
            return
        }
        runNext(output)
    }

    func inputEnded(output: GRPCOutput) {
        state.withLock { $0.isInputEnded = true }
        finishIfDone(output)
    }

    func cancelled() {
        let dropped = state.withLock { state -> [GRPCMessage] in
            state.isCancelled = true
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for message in dropped { message.budget?.releaseAll() }
    }

    /// Starts the next waiting message unless one is running.
    private func runNext(_ output: GRPCOutput) {
        let next = state.withLock { state -> GRPCMessage? in
            guard !state.isRunning, !state.isCancelled, !state.waiting.isEmpty else { return nil }
            state.isRunning = true
            return state.waiting.removeFirst()
        }
        guard let next else { return }
        let submitted = DispatchTime.now().uptimeNanoseconds
        let job: WorkerPool.Job = { [self] in
            answer(next, output: output, submitted: submitted)
            state.withLock { $0.isRunning = false }
            runNext(output)
            finishIfDone(output)
        }
        let pool = context.service.pool
        if next.buffer.count <= ServiceHandler.maxBodyBytesRunInPlace && pool.runHereIfIdle(job) { return }
        if pool.submit(job) == .rejected {
            let status = GRPCStatus(.resourceExhausted, "All \(pool.maxQueue) queue slots are taken; retry shortly.")
            reply(failure: status, for: next, output: output)
            state.withLock { $0.isRunning = false }
            runNext(output)
            finishIfDone(output)
        }
    }

    /// Decodes, computes and answers one message (on a worker).
    private func answer(_ message: GRPCMessage, output: GRPCOutput, submitted: UInt64) {
        let started = DispatchTime.now().uptimeNanoseconds
        if let deadline, started > deadline {
            return reply(failure: GRPCStatus(.deadlineExceeded, "the call's grpc-timeout passed before it was computed"), for: message, output: output)
        }
        if state.withLock({ $0.isCancelled }) {
            message.budget?.releaseAll()
            return
        }
        let service = context.service
        var timing = PipelineTiming()
        do {
            var clock = started
            let decoded = try KServeGRPCInferRequest.decode(UnsafeRawBufferPointer(message.buffer.bytes), admit: message.admission)
            try GRPCService.requireModel(name: decoded.modelName, version: decoded.modelVersion)
            let placement = try SharedMemoryPlacement(
                decoded.request, body: message.buffer, registry: service.sharedMemory, admit: message.admission)
            timing.input = PipelineTiming.lap(&clock)
            var tensor = placement.tensor
            tensor.compute(slope: decoded.request.negativeSlope ?? LeakyReLU.defaultSlope, pool: service.pool)
            try placement.finish(tensor)
            timing.infer = PipelineTiming.lap(&clock)
            service.metrics.recordElements(tensor.dtype, count: tensor.count)
            let response = KServeGRPCInferResponse(
                answering: decoded.request, with: tensor, modelName: Route.modelName, modelVersion: Route.modelVersion)
            timing.output = PipelineTiming.lap(&clock)
            if let deadline, DispatchTime.now().uptimeNanoseconds > deadline {
                throw GRPCStatus(.deadlineExceeded, "the call took longer than its grpc-timeout")
            }
            var segments: [BodySegment] = isStream ? [.bytes(response.streamPrefix)] : []
            segments.append(.bytes(response.head))
            if let tensor = response.tensor { segments.append(tensor.bodySegment) }
            var bytes = segments.reduce(0) { $0 + $1.count }
            var compressed = false
            // The compressed copy is admitted at its largest (the answer's size); without room it goes plain.
            if let coding = output.encoding, bytes >= Self.minimumCompressedBytes, message.admission(bytes) == .granted {
                segments = [.bytes(Deflater.compress(segments, totalCount: bytes, coding: coding))]
                bytes = segments[0].count
                compressed = true
            }
            state.withLock { $0.bytesOut += bytes }
            output.send(segments, compressed: compressed, releasing: message.budget)
            service.inferenceStatistics.recordSuccess(queue: started &- submitted, stages: timing)
            service.metrics.recordJob(route: .infer, waitedNanoseconds: started &- submitted, ranNanoseconds: DispatchTime.now().uptimeNanoseconds &- started)
        } catch {
            service.inferenceStatistics.recordFailure(nanoseconds: DispatchTime.now().uptimeNanoseconds &- submitted)
            reply(failure: context.status(for: error), for: message, output: output, id: Self.id(of: message))
        }
    }

    /// A message that failed: a stream answers it with `error_message` and goes on; a unary call ends with it.
    private func reply(failure status: GRPCStatus, for message: GRPCMessage, output: GRPCOutput, id: String? = nil) {
        message.budget?.releaseAll()
        if isStream {
            let bytes = KServeGRPCInferResponse.streamError(status.message, id: id)
            state.withLock { $0.bytesOut += bytes.count }
            output.send([.bytes(bytes)])
        } else {
            state.withLock { $0.failure = $0.failure ?? status }
        }
    }

    /// The request's `id`, for a stream's error answer, when the message can be read that far.
    private static func id(of message: GRPCMessage) -> String? {
        var reader = ProtoReader(UnsafeRawBufferPointer(message.buffer.bytes))
        while let field = try? reader.next() {
            if field.number == 3 { return try? reader.string(field) }
        }
        return nil
    }

    /// Ends the call once nothing is waiting or running: a unary call after its one answer, a stream after the
    /// client's half-close.
    private func finishIfDone(_ output: GRPCOutput) {
        let ending = state.withLock { state -> (GRPCStatus, Int, Int, Int)? in
            guard !state.isFinished, !state.isCancelled, !state.isRunning, state.waiting.isEmpty else { return nil }
            let unaryAnswered = !isStream && state.messagesIn == 1
            guard unaryAnswered || state.isInputEnded else { return nil }
            state.isFinished = true
            let status = state.failure
                ?? (state.messagesIn == 0 && !isStream ? GRPCStatus(.internalError, "a unary call ended without its request message") : .ok)
            return (status, state.messagesIn, state.bytesIn, state.bytesOut)
        }
        guard let (status, messages, bytesIn, bytesOut) = ending else { return }
        context.finish(status, output: output, messagesIn: messages, bytesIn: bytesIn, bytesOut: bytesOut)
    }
}
