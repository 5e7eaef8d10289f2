import Dispatch
import Glibc
import Synchronization
import Testing

@testable import TensorHTTP

@Suite struct EventLoopTests {
    @Test("Tasks run on the loop's thread, in order; a stopped loop refuses more")
    func tasksRunInOrder() throws {
        let loop = try EventLoop(name: "test-loop")
        let seen = Mutex<[Int]>([])
        for index in 0..<100 {
            loop.execute {
                #expect(loop.isCurrent)
                seen.withLock { $0.append(index) }
            }
        }
        loop.executeAndWait {}
        #expect(seen.withLock { $0 } == Array(0..<100))
        loop.stop()
        #expect(!loop.execute {})
    }

    @Test("The eventfd stays open after the loop's thread ends, for a signal sent just after the stop was seen")
    func wakeupOutlivesTheThread() throws {
        let loop = try EventLoop(name: "test-loop")
        loop.stop()
        // `stop` has waited for the thread. A caller that left the inbox lock before the loop ended may still
        // write the eventfd now; a closed descriptor would make that write a process-ending EBADF.
        #expect(fcntl(loop.wakeupDescriptor, F_GETFD) != -1)
        loop.stop()
    }

    @Test("Stopping from many threads at once while tasks arrive ends the loop once, without a stray write")
    func concurrentStops() throws {
        for _ in 0..<50 {
            let loop = try EventLoop(name: "test-loop")
            DispatchQueue.concurrentPerform(iterations: 4) { index in
                if index % 2 == 0 { loop.stop() } else { for _ in 0..<20 { loop.execute {} } }
            }
            loop.stop()
        }
    }
}
