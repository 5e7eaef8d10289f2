import Dispatch
import Foundation

/// SIGTERM and SIGINT start a drain; the process exits 0 once it is over.
enum SignalHandling {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func onTermination(_ drain: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "tensor-service.signals")
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler {
                // A second signal while draining changes nothing: the grace period bounds the wait.
                source.cancel()
                DispatchQueue.global().async {
                    drain()
                    exit(0)
                }
            }
            source.resume()
            sources.append(source)
        }
    }
}
