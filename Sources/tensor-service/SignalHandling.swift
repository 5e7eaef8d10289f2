import Dispatch
import Foundation

/// SIGTERM and SIGINT start a drain; the process exits 0 once it is over.
enum SignalHandling {
    // Written once, in `onTermination`, before any source is resumed; read afterwards on `queue` only.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func onTermination(_ drain: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "tensor-service.signals")
        sources = [SIGTERM, SIGINT].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
        }
        for source in sources {
            source.setEventHandler {
                // The first of SIGTERM and SIGINT starts the one drain; a second signal, of either kind, changes
                // nothing: the grace period bounds the wait. (Both sources run on `queue`, one at a time.)
                for source in sources { source.cancel() }
                DispatchQueue.global().async {
                    drain()
                    exit(0)
                }
            }
            source.resume()
        }
    }
}
