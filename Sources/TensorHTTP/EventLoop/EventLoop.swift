import CLinux
import Dispatch
import Foundation
import Synchronization

import Glibc
import TensorMemory

/// One thread that waits in `epoll_wait` and runs everything for the descriptors registered with it.
///
/// Why not a `DispatchSource` per connection on a serial queue: every readable event then travels from
/// Dispatch's own epoll thread to a pool thread (two wake-ups) and is re-armed with `epoll_ctl`, which measured
/// 1.8 context switches per `/healthz` request and 2.4 per 1 KiB POST (README, "Transport"). Here the thread
/// that waits is the thread that parses, computes small tensors and writes the answer: with many busy
/// connections one `epoll_wait` returns many ready descriptors and no thread changes hands between them.
/// Descriptors are registered once, edge-triggered, for reading and writing; nothing is re-armed per request.
///
/// Work from other threads (a worker's finished answer, a drain) arrives through `execute`, which wakes the loop
/// through an eventfd only when the loop is asleep and no wake-up is pending: a busy loop is never signalled.
/// Timers are a heap read for `epoll_wait`'s timeout. All handler state is confined to the loop's thread.
package final class EventLoop: @unchecked Sendable {
    // @unchecked Sendable: `handlers`, `timers`, `nextHandlerID` and `events` are touched only on the loop's thread
    // (checked by `assertInLoop`); `inbox` is behind its lock; the rest is immutable or atomic.
    package typealias Task = @Sendable () -> Void

    private let epoll: Int32
    private let wakeup: Int32
    private var handlers: [UInt64: any EventLoopHandler] = [:]
    private var nextHandlerID: UInt64 = 1
    private var timers = TimerHeap()
    /// The task queue's other buffer, touched on the loop's thread only (see `runQueuedTasks`).
    private var spareTasks: [Task] = []
    private let inbox = Locked(Inbox())
    /// The loop thread's pthread identity, for `isCurrent`; 0 until it runs.
    private let threadIdentity = Atomic<UInt>(0)
    /// Left once the loop's thread has ended; any number of `stop` callers wait on it.
    private let running = DispatchGroup()
    private let name: String
    /// Read space shared by the loop's HTTP/2 connections: each hands what it read to libnghttp2, which takes all of
    /// it, before the loop moves on, so one buffer serves them all, and it can be large (1 MiB: a big tensor arrives
    /// in few reads) without costing that much per connection.
    package let scratch: UnsafeMutableRawBufferPointer

    private struct Inbox {
        var tasks: [Task] = []
        /// The loop is in (or about to enter) a blocking `epoll_wait`.
        var isSleeping = false
        /// The eventfd has been signalled and not yet read: a further signal would add nothing.
        var isWakeupPending = false
        var isStopping = false
    }

    /// The eventfd's epoll data; handler IDs start at 1.
    private static let wakeupID: UInt64 = 0
    private static let batchSize = 256

    package init(name: String) throws(SystemError) {
        self.name = name
        // Both descriptors are made before either is stored: once the object is whole, `deinit` closes them.
        let epoll = try Syscall.makeEpoll()
        let wakeup: Int32
        do {
            wakeup = try Syscall.makeEventCounter()
        } catch {
            Syscall.close(epoll)
            throw error
        }
        do {
            try Syscall.epollControl(
                epoll, EPOLL_CTL_ADD, wakeup, events: EPOLLIN.rawValue | EPOLLET.rawValue, data: Self.wakeupID)
        } catch {
            Syscall.close(wakeup)
            Syscall.close(epoll)
            throw error
        }
        self.epoll = epoll
        self.wakeup = wakeup
        scratch = .allocate(byteCount: 1 << 20, alignment: 64)
        running.enter()
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    // The descriptors are closed here, not when the loop's thread ends: `execute` and `stop` signal the eventfd
    // after leaving the inbox lock, so a caller may write to it just after the loop has seen the stop and ended.
    // Every such caller holds a reference, so the descriptor outlives every write (closing it at the end of `run`
    // made that write fail with EBADF, which `Syscall` treats as a bug and stops the process).
    deinit {
        Syscall.close(wakeup)
        Syscall.close(epoll)
        scratch.deallocate()
    }

    /// The eventfd that wakes the loop; for tests of its lifetime.
    package var wakeupDescriptor: Int32 { wakeup }

    /// True on the loop's own thread.
    package var isCurrent: Bool { threadIdentity.load(ordering: .relaxed) == UInt(pthread_self()) }

    package func assertInLoop() {
        precondition(isCurrent, "\(name): called off its event loop")
    }

    /// Runs `task` on the loop's thread, after what is already queued; callable from any thread. Returns false (and
    /// drops the task) once the loop is stopping.
    @discardableResult
    package func execute(_ task: @escaping Task) -> Bool {
        let (accepted, mustWake) = inbox.withLock { inbox -> (Bool, Bool) in
            guard !inbox.isStopping else { return (false, false) }
            inbox.tasks.append(task)
            guard inbox.isSleeping && !inbox.isWakeupPending else { return (true, false) }
            inbox.isWakeupPending = true
            return (true, true)
        }
        if mustWake { Syscall.signalEventCounter(wakeup) }
        return accepted
    }

    /// Runs `task` on the loop and waits for it; from the loop itself, runs it at once. A stopping loop runs nothing.
    package func executeAndWait(_ task: @escaping Task) {
        if isCurrent { return task() }
        let done = DispatchSemaphore(value: 0)
        let accepted = execute {
            task()
            done.signal()
        }
        if accepted { done.wait() }
    }

    // MARK: - Registration (on the loop only)

    /// Watches `descriptor` for reading and writing, edge-triggered, for its whole life; returns the handler's ID.
    package func register(_ descriptor: Int32, handler: any EventLoopHandler) throws(SystemError) -> UInt64 {
        assertInLoop()
        let id = nextHandlerID
        nextHandlerID += 1
        let events = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
        try Syscall.epollControl(epoll, EPOLL_CTL_ADD, descriptor, events: events, data: id)
        handlers[id] = handler
        return id
    }

    /// Forgets a handler. Its descriptor must be closed (or removed with `unwatch`) by the caller; events already
    /// collected for it in this round are dropped.
    package func deregister(_ id: UInt64) {
        assertInLoop()
        handlers[id] = nil
    }

    /// Stops watching a descriptor that stays open (a listener being handed back).
    package func unwatch(_ descriptor: Int32) {
        assertInLoop()
        _ = try? Syscall.epollControl(epoll, EPOLL_CTL_DEL, descriptor, events: 0, data: 0)
    }

    /// Calls the handler's `handleTimer(deadline:)` once `deadline` (monotonic nanoseconds) has come.
    package func scheduleTimer(for id: UInt64, at deadline: UInt64) {
        assertInLoop()
        timers.insert(.init(deadline: deadline, handlerID: id))
    }

    /// Ends the loop after the tasks already queued; waits for its thread unless called on it. Idempotent.
    package func stop() {
        let mustWake = inbox.withLock { inbox -> Bool in
            guard !inbox.isStopping else { return false }
            inbox.isStopping = true
            let mustWake = !inbox.isWakeupPending
            inbox.isWakeupPending = true
            return mustWake
        }
        if mustWake { Syscall.signalEventCounter(wakeup) }
        if !isCurrent { running.wait() }
    }

    package static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    // MARK: - The loop

    private func run() {
        threadIdentity.store(UInt(pthread_self()), ordering: .relaxed)
        let events = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: Self.batchSize)
        defer {
            events.deallocate()
            handlers.removeAll()
            running.leave()
        }
        while true {
            var timeout = timeoutMilliseconds()
            if timeout != 0 {
                // Announce the sleep under the lock, so a task queued after this point signals the eventfd.
                let mayBlock = inbox.withLock { inbox -> Bool in
                    guard inbox.tasks.isEmpty && !inbox.isStopping else { return false }
                    inbox.isSleeping = true
                    return true
                }
                if !mayBlock { timeout = 0 }
            }
            let count: Int
            do {
                count = try Syscall.epollWait(epoll, events, timeoutMilliseconds: timeout)
            } catch {
                preconditionFailure("\(name): \(error)")
            }
            if timeout != 0 { inbox.withLock { $0.isSleeping = false } }
            // Tasks first: one queued before these events arrived (a drain) must see the connection before they do.
            guard runQueuedTasks() else { return }
            for index in 0..<count {
                let event = events[index]
                if event.data.u64 == Self.wakeupID {
                    Syscall.resetEventCounter(wakeup)
                    inbox.withLock { $0.isWakeupPending = false }
                } else if let handler = handlers[event.data.u64] {
                    handler.handleEvents(Self.eventSet(event.events))
                }
            }
            fireDueTimers()
        }
    }

    /// Runs the tasks queued so far (not those they queue); false once the loop is told to stop.
    private func runQueuedTasks() -> Bool {
        // The queue and a spare trade places, so neither is reallocated per turn.
        var tasks: [Task] = []
        swap(&tasks, &spareTasks)
        let isStopping = inbox.withLock { inbox in
            swap(&inbox.tasks, &tasks)
            return inbox.isStopping
        }
        for task in tasks { task() }
        tasks.removeAll(keepingCapacity: true)
        spareTasks = tasks
        return !isStopping
    }

    private func fireDueTimers() {
        guard !timers.isEmpty else { return }
        let now = Self.now()
        while let entry = timers.popDue(now: now) {
            handlers[entry.handlerID]?.handleTimer(deadline: entry.deadline)
        }
    }

    /// How long `epoll_wait` may sleep: until the earliest timer (rounded up to a millisecond), else forever.
    private func timeoutMilliseconds() -> Int32 {
        guard let deadline = timers.earliestDeadline else { return -1 }
        let now = Self.now()
        guard deadline > now else { return 0 }
        return Int32(clamping: (deadline - now + 999_999) / 1_000_000)
    }

    private static func eventSet(_ flags: UInt32) -> EventSet {
        var set: EventSet = []
        if flags & EPOLLIN.rawValue != 0 { set.insert(.readable) }
        if flags & EPOLLOUT.rawValue != 0 { set.insert(.writable) }
        if flags & EPOLLRDHUP.rawValue != 0 { set.insert(.readHangup) }
        if flags & EPOLLHUP.rawValue != 0 { set.insert(.hangup) }
        if flags & EPOLLERR.rawValue != 0 { set.insert(.error) }
        return set
    }
}
