import TensorMemory

/// What one HTTP/1.1 request carries through its connection, from its head to its answer's last byte; a new value
/// begins once the answer has left (`HTTPConnection.answerWritten`) or the connection closed.
struct Exchange {
    /// The request's head, once parsed (or the head of a request refused before it was whole).
    var head: HTTPRequestHead?
    /// What the handler decided from the head, until the body is whole and the request handed over.
    var prepared: (any PreparedExchange)?
    /// The request's share of the in-flight budget (nil for a request without a body).
    var budget: RequestBudget?
    /// An answer the handler gave while still inside `handle` (small work computed on the loop's thread).
    var answerGivenInline: HTTPResponse?
    /// The record of the answer being written, with when its request began.
    var completion: (record: ExchangeRecord, firstByte: UInt64)?

    /// Whether the request asked for the head alone.
    var isHeadRequest: Bool { head?.method == "HEAD" }

    /// The answer's record and timing, once: the connection hands them to the handler.
    mutating func takeCompletion(now: UInt64, isComplete: Bool) -> (ExchangeRecord, ExchangeTiming)? {
        guard let (record, firstByte) = completion.take() else { return nil }
        return (record, ExchangeTiming(firstByte: firstByte, finished: now, isComplete: isComplete))
    }
}
