import Dispatch
import Logging
import TensorCodecs
import TensorHTTP

/// What every gRPC call of the service carries: its method, its client, when it began; it turns errors into
/// statuses and counts and logs the call when it ends.
struct GRPCCallContext: Sendable {
    let method: String
    let clientAddress: String
    let userAgent: String
    let started: UInt64
    let service: ServiceHandler

    init(head: HTTPRequestHead, service: ServiceHandler) {
        method = String(head.path.prefix(RequestObserver.maxLoggedTextBytes))
        clientAddress = head.clientAddress
        userAgent = String((head.headers["user-agent"] ?? "").prefix(RequestObserver.maxLoggedTextBytes))
        started = DispatchTime.now().uptimeNanoseconds
        self.service = service
    }

    /// Ends the call: counted, logged, then the trailers sent.
    func finish(_ status: GRPCStatus, output: GRPCOutput, messagesIn: Int, bytesIn: Int, bytesOut: Int) {
        service.observeCall(self, status: status, messagesIn: messagesIn, bytesIn: bytesIn, bytesOut: bytesOut)
        output.finish(status)
    }

    /// The status for an error a call met: the service's problems map onto gRPC's codes, anything else is INTERNAL
    /// (our bug, logged in full) with a generic message.
    func status(for error: any Error) -> GRPCStatus {
        switch error {
        case let status as GRPCStatus:
            return status
        case let codec as CodecError:
            switch codec.kind {
            case .malformed, .notFloatingPoint, .notRepresentable: return GRPCStatus(.invalidArgument, codec.detail)
            case .tooLarge, .overBudget, .exceedsBudget: return GRPCStatus(.resourceExhausted, codec.detail)
            }
        case let problem as any ProblemConvertible:
            switch problem.status {
            case 404: return GRPCStatus(.notFound, problem.detail)
            case 413: return GRPCStatus(.resourceExhausted, problem.detail)
            case 503: return GRPCStatus(.resourceExhausted, problem.detail)
            case 500...: return GRPCStatus(.internalError, problem.detail)
            default: return GRPCStatus(.invalidArgument, problem.detail)
            }
        default:
            service.logger.error("unexpected error", metadata: ["error": "\(error)", "method": "\(method)"])
            return GRPCStatus(.internalError, "The server failed; this is a bug.")
        }
    }
}
