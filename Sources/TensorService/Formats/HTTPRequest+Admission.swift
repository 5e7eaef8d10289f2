import TensorHTTP
import TensorMemory

extension HTTPRequest {
    /// What the codecs ask before allocating for this request: its budget, or anything when it has none.
    var admission: MemoryAdmission { MemoryAdmission(budget: budget) }
}

extension GRPCMessage {
    var admission: MemoryAdmission { MemoryAdmission(budget: budget) }
}
