/// Answers: queued behind their heads, written as the socket takes them, and reported to the handler
/// (`HTTPHandler.exchangeFinished`) once they have left.
extension HTTPConnection {
    /// An answer from the handler (inline or through the loop).
    func finishRequest(_ response: consuming HTTPResponse) {
        guard !machine.isClosed else { return reportUndelivered(response) }
        respond(response)
    }

    /// Queues a final answer; the machine decides whether the connection is kept after it. A HEAD request gets the
    /// head alone, with the Content-Length its GET would have.
    func respond(_ response: consuming HTTPResponse) {
        let now = EventLoop.now()
        let event = ConnectionStateMachine.Event.answerReady(
            now: now, keepAliveAllowed: exchange.head?.wantsKeepAlive ?? false,
            pipelinedInput: machine.isDraining && hasPipelinedInput)
        guard case .writeAnswer(let keepAlive) = machine.handle(event) else { return reportUndelivered(response) }
        if let record = response.record.take() { exchange.completion = (record, machine.requestStart ?? now) }
        ResponseHeadWriter.write(
            response, keepAlive: keepAlive, clientMinorVersion: exchange.head?.versionMinor ?? 1, into: &headBytes)
        let head = headBytes
        let isHead = exchange.isHeadRequest
        let body = isHead ? [] : response.body
        environment.statistics.recordSent(head.count + body.reduce(0) { $0 + $1.count })
        if let streamed = response.streamedBody {
            if isHead || streamed.byteCount == 0 {
                streamed.cancel()
            } else {
                outbound.enqueueInterim(head)
                beginStreaming(streamed)
                rearmTimer()
                return
            }
        }
        outbound.enqueueResponse(head: head, body: body)
        rearmTimer()
    }

    /// Writes as much as the socket takes; an answer that has fully left moves the connection on.
    func flush() {
        while !machine.isClosed && !outbound.isEmpty {
            let written: Int?
            do {
                written = try transport.write(outbound)
            } catch {
                environment.logger.debug("write failed", metadata: ["error": "\(error)"])
                close()
                return
            }
            guard let written else {
                isWritable = false
                return
            }
            _ = machine.handle(.wrote(now: EventLoop.now()))
            if outbound.consume(written) { answerWritten() }
            // Taken on every write, so that the last piece of an answer (written after `streaming` ended) is not
            // counted against the next one.
            let piecesSent = outbound.takePiecesSent()
            if streaming != nil {
                streaming?.piecesQueued -= piecesSent
                requestPiece()
            }
        }
    }

    /// The answer's last byte left: the request is over, and the next one (if the machine keeps the connection)
    /// begins with a new exchange.
    private func answerWritten() {
        let now = EventLoop.now()
        if let budget = exchange.budget {
            budget.releaseAll()
            spareBudget = budget
        }
        reportCompletion(now: now, isComplete: true)
        exchange = Exchange()
        let pipelinedInput = machine.isDraining && hasPipelinedInput
        carryOut(machine.handle(.answerSent(now: now, pipelinedInput: pipelinedInput)))
    }

    /// Tells the handler how the answer being written ended (outside any access to the exchange: the handler's code
    /// runs here).
    func reportCompletion(now: UInt64, isComplete: Bool) {
        guard let (record, timing) = exchange.takeCompletion(now: now, isComplete: isComplete) else { return }
        environment.handler.exchangeFinished(record, timing: timing)
    }

    /// An answer whose client left before it could be written: still counted and logged, as not delivered.
    func reportUndelivered(_ response: HTTPResponse) {
        guard let record = response.record else { return }
        let now = EventLoop.now()
        environment.handler.exchangeFinished(
            record, timing: ExchangeTiming(firstByte: machine.requestStart ?? now, finished: now, isComplete: false))
    }
}
