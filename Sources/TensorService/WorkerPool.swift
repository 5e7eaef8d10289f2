import Dispatch
import Foundation
import Synchronization
import TensorHTTP
import TensorMemory

/// Fixed threads that run kernels and codecs, fed by a bounded queue.
///
/// Why not Dispatch's global queues: they grow threads when work blocks and have no bound, so a burst of large
/// tensors would queue without limit. Here `submit` refuses past `maxQueue` (the service answers 503), and the
/// number of threads computing at once is exactly `threadCount`. Large tensors are split with `parallelFor`,
/// whose pieces jump the queue, and whose caller computes pieces too, so waiting can never deadlock the pool.
///
/// A small job may instead run on the submitting thread through `runHereIfIdle`, only while fewer than
/// `threadCount` jobs are running and none is waiting: waking a worker and handing the answer back costs more
/// than a tensor of a few KiB takes to compute (see the README's performance notes), and when the pool is busy the
/// job queues like any other, so the bound and the 503s hold. (The count is checked without the lock: a caller and
/// a worker starting at the same instant may run one job more than `threadCount` for that job's few microseconds.)
package final class WorkerPool: Sendable {
    package enum SubmitResult: Equatable, Sendable {
        case accepted
        case rejected
    }

    package typealias Job = @Sendable () -> Void

    package let threadCount: Int
    package let maxQueue: Int
    /// Guards both queues; `wakeups` counts the jobs and helpers waiting in them.
    private let state = Locked(State())
    private let wakeups = DispatchSemaphore(value: 0)
    /// Jobs running now, on workers or on callers; read without the lock by `runHereIfIdle`.
    private let runningJobs = Atomic<Int>(0)
    /// Jobs accepted and not yet started: a caller must not overtake them.
    private let waitingJobs = Atomic<Int>(0)
    /// Worker threads running a job or a piece of one now (jobs run in place on callers are not counted here).
    private let busyWorkers = Atomic<Int>(0)
    /// Entered by each worker thread while it runs; `stop` waits for all of them.
    private let running = DispatchGroup()

    private struct State {
        var jobs = JobRing()
        /// Pieces of split tensors; taken before any new job.
        var helpers: [Job] = []
        var isStopped = false
    }

    package init(threadCount: Int, maxQueue: Int) {
        precondition(threadCount > 0 && maxQueue >= 0)
        self.threadCount = threadCount
        self.maxQueue = maxQueue
        for index in 0..<threadCount {
            running.enter()
            let thread = Thread { [self] in
                runWorker()
                running.leave()
            }
            thread.name = "tensor-worker-\(index)"
            thread.start()
        }
    }

    /// Jobs waiting for a thread.
    package var queueDepth: Int { state.withLock { $0.jobs.count } }

    /// Queues `job`, or refuses when every worker thread is busy and `maxQueue` more jobs already wait. With
    /// `maxQueue` 0 a job is taken when a worker thread is free to start it.
    /// `continuing` work of a request already admitted (the next piece of an answer being sent) is queued past
    /// `maxQueue`: the limit bounds how many requests are taken on, not how those finish.
    package func submit(_ job: @escaping Job, continuing: Bool = false) -> SubmitResult {
        let accepted = state.withLock { state -> Bool in
            // Jobs in the queue go first to the worker threads free now; only the rest count against maxQueue.
            let freeWorkers = max(0, threadCount - busyWorkers.load(ordering: .relaxed))
            guard !state.isStopped, continuing || state.jobs.count < maxQueue + freeWorkers else { return false }
            state.jobs.append(job)
            // Counted under the lock, so a worker that takes the job cannot uncount it first.
            waitingJobs.add(1, ordering: .relaxed)
            return true
        }
        guard accepted else { return .rejected }
        wakeups.signal()
        return .accepted
    }

    /// Runs `job` on the calling thread, now, if the pool has room for one more running job and nothing is
    /// waiting; returns false (without running it) otherwise. For jobs of a few microseconds only.
    package func runHereIfIdle(_ job: () -> Void) -> Bool {
        guard waitingJobs.load(ordering: .relaxed) == 0 else { return false }
        var running = runningJobs.load(ordering: .relaxed)
        while running < threadCount {
            let (exchanged, original) = runningJobs.compareExchange(
                expected: running, desired: running + 1, ordering: .relaxed)
            if exchanged {
                job()
                runningJobs.subtract(1, ordering: .relaxed)
                return true
            }
            running = original
        }
        return false
    }

    /// Runs `body` once per range, on this thread and on idle workers, and returns when all have finished.
    /// Call it from a job; ranges must be independent.
    package func parallelFor(_ ranges: [Range<Int>], _ body: @escaping @Sendable (Range<Int>) -> Void) {
        guard ranges.count > 1 else {
            ranges.first.map(body)
            return
        }
        let task = ParallelTask(ranges: ranges, body: body)
        let helpers = min(ranges.count - 1, threadCount - 1)
        if helpers > 0 {
            state.withLock { state in
                for _ in 0..<helpers { state.helpers.append { task.runPieces() } }
            }
            for _ in 0..<helpers { wakeups.signal() }
        }
        task.runPieces()
        task.waitForAll()
    }

    /// Lets the threads finish what they hold and waits for them to end, at most until `deadline`; queued jobs are
    /// dropped. For tests and shutdown (the process then exits with no worker still running). Not from a job.
    /// Returns false when a job was still running at the deadline.
    @discardableResult
    package func stop(waitingUntil deadline: DispatchTime = .distantFuture) -> Bool {
        let dropped = state.withLock { state -> JobRing in
            state.isStopped = true
            defer { state.jobs = JobRing() }
            return state.jobs
        }
        waitingJobs.subtract(dropped.count, ordering: .relaxed)
        for _ in 0..<threadCount { wakeups.signal() }
        let ended = running.wait(timeout: deadline) == .success
        // Released here, outside the lock: a job's captures (its request, its connection) may take a while to free.
        withExtendedLifetime(dropped) {}
        return ended
    }

    private func runWorker() {
        while true {
            wakeups.wait()
            let (job, isPiece) = state.withLock { state -> (Job?, Bool) in
                if !state.helpers.isEmpty {
                    busyWorkers.add(1, ordering: .relaxed)
                    return (state.helpers.removeFirst(), true)
                }
                guard let job = state.jobs.popFirst() else { return (nil, false) }
                // Counted under the lock, so `submit` never sees a job neither queued nor running.
                busyWorkers.add(1, ordering: .relaxed)
                runningJobs.add(1, ordering: .relaxed)
                waitingJobs.subtract(1, ordering: .relaxed)
                return (job, false)
            }
            if let job, isPiece {
                job()
                busyWorkers.subtract(1, ordering: .relaxed)
            } else if let job {
                job()
                runningJobs.subtract(1, ordering: .relaxed)
                busyWorkers.subtract(1, ordering: .relaxed)
            } else if state.withLock({ $0.isStopped }) {
                return
            }
        }
    }
}

/// The pieces of one split tensor: threads claim pieces by index until none are left.
private final class ParallelTask: Sendable {
    let ranges: [Range<Int>]
    let body: @Sendable (Range<Int>) -> Void
    private let nextPiece = Atomic<Int>(0)
    private let finishedPieces = Atomic<Int>(0)
    private let allFinished = DispatchSemaphore(value: 0)

    init(ranges: [Range<Int>], body: @escaping @Sendable (Range<Int>) -> Void) {
        self.ranges = ranges
        self.body = body
    }

    func runPieces() {
        while true {
            let index = nextPiece.wrappingAdd(1, ordering: .relaxed).oldValue
            guard index < ranges.count else { return }
            body(ranges[index])
            // acquiringAndReleasing: the waiter must see every piece's writes.
            if finishedPieces.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue == ranges.count {
                allFinished.signal()
            }
        }
    }

    func waitForAll() { allFinished.wait() }
}

/// A FIFO of jobs in a ring, so taking the first job does not move the rest.
private struct JobRing {
    private var slots: [WorkerPool.Job?] = []
    private var head = 0
    private(set) var count = 0

    mutating func append(_ job: @escaping WorkerPool.Job) {
        if count == slots.count {
            var grown: [WorkerPool.Job?] = []
            grown.reserveCapacity(max(16, slots.count * 2))
            for offset in 0..<count { grown.append(slots[(head + offset) % slots.count]) }
            grown += Array(repeating: nil, count: max(16, slots.count * 2) - count)
            slots = grown
            head = 0
        }
        slots[(head + count) % slots.count] = job
        count += 1
    }

    mutating func popFirst() -> WorkerPool.Job? {
        guard count > 0 else { return nil }
        let job = slots[head]
        slots[head] = nil
        head = (head + 1) % slots.count
        count -= 1
        return job
    }
}
