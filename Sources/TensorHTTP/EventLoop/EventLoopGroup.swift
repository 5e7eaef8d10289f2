import Synchronization


/// A fixed set of event loops, about one per core; connections are spread over them in turn.
///
/// The number of I/O threads is therefore set at start and does not grow with connections or load.
package final class EventLoopGroup: Sendable {
    package let loops: [EventLoop]
    private let nextIndex = Atomic<Int>(0)

    package init(count: Int, name: String = "tensor-io") throws(SystemError) {
        precondition(count > 0)
        var loops: [EventLoop] = []
        for index in 0..<count {
            do {
                loops.append(try EventLoop(name: "\(name)-\(index)"))
            } catch {
                for loop in loops { loop.stop() }
                throw error
            }
        }
        self.loops = loops
    }

    /// The number of cores this process may run on: the default loop count.
    package static var coreCount: Int { Syscall.onlineCoreCount }

    /// The loop for the next connection.
    package func next() -> EventLoop {
        loops[nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// Stops every loop and waits for their threads.
    package func shutdown() {
        for loop in loops { loop.stop() }
    }
}
