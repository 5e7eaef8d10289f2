import TensorMemory

/// One gRPC request or response message, whole and decompressed: the bytes `0..<buffer.count` of its own buffer,
/// which the call may read and write in place (a tensor in it is computed where it was received).
package struct GRPCMessage: Sendable {
    package var buffer: ByteBuffer
    /// The in-flight budget the message holds; give it with the answer to `GRPCOutput.send`, which releases it once
    /// the answer has left.
    package var budget: RequestBudget?

    package init(buffer: ByteBuffer, budget: RequestBudget? = nil) {
        self.buffer = buffer
        self.budget = budget
    }
}
