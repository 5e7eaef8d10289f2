import TensorCodecs
import TensorHTTP

extension HTTPRequest {
    /// What the codecs ask before allocating for this request: a reservation from its share of the in-flight
    /// budget, so the budget bounds the memory a request holds at its peak, not just its body.
    var admission: MemoryAdmission {
        guard let budget else { return admitAnything }
        return { bytes in
            switch budget.reserve(bytes) {
            case .granted: .granted
            case .busy: .busy
            case .exceedsLimit(let limit): .exceedsLimit(limit)
            }
        }
    }
}
