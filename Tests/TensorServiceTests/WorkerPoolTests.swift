import Dispatch
import Foundation
import Synchronization
import Testing
import TensorKernels
import TensorTestSupport
@testable import TensorService

@Suite struct WorkerPoolTests {
    @Test func refusesPastTheQueueBound() {
        let pool = WorkerPool(threadCount: 1, maxQueue: 2)
        defer { pool.stop() }
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        #expect(pool.submit { started.signal(); gate.wait() } == .accepted)
        started.wait()
        #expect(pool.submit {} == .accepted)
        #expect(pool.submit {} == .accepted)
        #expect(pool.queueDepth == 2)
        #expect(pool.submit {} == .rejected)
        gate.signal()
    }

    @Test("stop waits for the job in hand, drops the queued ones, and returns with no worker left")
    func stopWaitsForWorkersAndDropsTheQueue() {
        let pool = WorkerPool(threadCount: 1, maxQueue: 4)
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let finished = Mutex<[String]>([])
        #expect(pool.submit { started.signal(); gate.wait(); finished.withLock { $0.append("running") } } == .accepted)
        started.wait()
        for _ in 0..<3 { #expect(pool.submit { finished.withLock { $0.append("queued") } } == .accepted) }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) { gate.signal() }
        pool.stop()
        // Not a timing assertion: whenever the gate opens, stop returns only after the running job ended.
        #expect(finished.withLock { $0 } == ["running"])
        #expect(pool.submit {} == .rejected)
    }

    @Test func runsASmallJobInPlaceOnlyWhenIdle() {
        let pool = WorkerPool(threadCount: 1, maxQueue: 2)
        defer { pool.stop() }
        var ranHere = false
        #expect(pool.runHereIfIdle { ranHere = true })
        #expect(ranHere)

        // The one worker is busy: the job is refused, not run.
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        #expect(pool.submit { started.signal(); gate.wait() } == .accepted)
        started.wait()
        #expect(!pool.runHereIfIdle { Issue.record("ran while the pool was full") })

        // A job waits in the queue: a caller must not overtake it.
        let waitingRan = DispatchSemaphore(value: 0)
        #expect(pool.submit { waitingRan.signal() } == .accepted)
        #expect(!pool.runHereIfIdle { Issue.record("overtook a waiting job") })
        gate.signal()
        waitingRan.wait()

        // Idle again once the worker has returned from its last job.
        var ranAfterwards = false
        #expect(eventually { pool.runHereIfIdle { ranAfterwards = true } })
        #expect(ranAfterwards)
    }

    @Test("A split tensor equals the single-thread kernel around every chunk boundary", arguments: DType.allCases)
    func parallelSplitIsBitIdentical(dtype: DType) {
        let pool = WorkerPool(threadCount: 3, maxQueue: 8)
        defer { pool.stop() }
        let grain = 1000
        for count in [grain - 1, grain, grain + 1, 2 * grain - 1, 2 * grain + 17, 3 * grain + 5, 10 * grain + 63] {
            var generator = SplitMix64(seed: UInt64(count))
            let input = (0..<count * dtype.itemSize).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            var single = input, split = input
            single.withUnsafeMutableBytes { LeakyReLU.apply(dtype, to: $0.baseAddress!, count: count, slope: -0.3) }
            let done = DispatchSemaphore(value: 0)
            split.withUnsafeMutableBytes { raw in
                let base = UnsafeSendablePointer(base: raw.baseAddress!)
                _ = pool.submit {
                    ParallelKernel.apply(dtype, to: base.base, count: count, slope: -0.3, pool: pool, grainElements: grain)
                    done.signal()
                }
                done.wait()
            }
            #expect(single == split, "\(dtype) count \(count)")
        }
    }

    @Test func plansCoverTheTensorOnCacheLineBoundaries() {
        let plan = ChunkPlan(count: 1_000_003, itemSize: 4, maxPieces: 4, grainElements: 1000)
        #expect(plan.ranges.count == 4)
        #expect(plan.ranges.first?.lowerBound == 0 && plan.ranges.last?.upperBound == 1_000_003)
        for (a, b) in zip(plan.ranges, plan.ranges.dropFirst()) {
            #expect(a.upperBound == b.lowerBound)
            #expect(b.lowerBound * 4 % 64 == 0)
        }
        #expect(ChunkPlan(count: 500, itemSize: 4, maxPieces: 4, grainElements: 1000).ranges == [0..<500])
        #expect(ChunkPlan(count: 0, itemSize: 2, maxPieces: 4).ranges == [0..<0])
    }
}

private struct UnsafeSendablePointer: @unchecked Sendable {
    // @unchecked Sendable: the test waits for the job before the buffer goes out of scope.
    let base: UnsafeMutableRawPointer
}

@Suite struct WorkerPoolAdmissionTests {
    @Test("--max-queue 0: a job is taken while a worker is free and refused only when none is")
    func zeroQueueTakesJobsForFreeWorkers() {
        let pool = WorkerPool(threadCount: 2, maxQueue: 0)
        defer { pool.stop() }
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        #expect(pool.submit { started.signal(); gate.wait() } == .accepted)
        #expect(pool.submit { started.signal(); gate.wait() } == .accepted, "the second worker is free")
        #expect(started.wait(timeout: .now() + 30) == .success)
        #expect(started.wait(timeout: .now() + 30) == .success)
        #expect(pool.submit {} == .rejected, "both workers are busy and nothing may wait")
        gate.signal()
        gate.signal()
        let done = DispatchSemaphore(value: 0)
        // Once a worker is free again, a job is taken (the pool may need a moment to count its workers free).
        var accepted = false
        for _ in 0..<10_000 where !accepted {
            accepted = pool.submit { done.signal() } == .accepted
            if !accepted { usleep(1000) }
        }
        #expect(accepted)
        done.wait()
    }

    @Test("Small queues do not refuse while workers are free, however fast jobs arrive")
    func smallQueueCountsFreeWorkers() {
        let pool = WorkerPool(threadCount: 3, maxQueue: 1)
        defer { pool.stop() }
        let gate = DispatchSemaphore(value: 0)
        // Three workers free and one queue slot: four jobs submitted at once are all taken.
        for _ in 0..<4 { #expect(pool.submit { gate.wait() } == .accepted) }
        #expect(pool.submit {} == .rejected)
        for _ in 0..<4 { gate.signal() }
    }
}
