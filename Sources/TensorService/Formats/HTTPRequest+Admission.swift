import TensorCodecs
import TensorHTTP

extension RequestBudget {
    /// What the codecs ask before allocating for a request: a reservation from its share of the in-flight budget,
    /// so the budget bounds the memory a request holds at its peak, not just its body.
    var admission: MemoryAdmission {
        { [self] bytes in
            switch reserve(bytes) {
            case .granted: .granted
            case .busy: .busy
            case .exceedsLimit(let limit): .exceedsLimit(limit)
            }
        }
    }
}

extension HTTPRequest {
    var admission: MemoryAdmission { budget?.admission ?? admitAnything }
}

extension GRPCMessage {
    var admission: MemoryAdmission { budget?.admission ?? admitAnything }
}
