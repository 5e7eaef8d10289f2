import Foundation
import Synchronization
import TensorHTTP

import Glibc

/// Log lines on their way to one descriptor (stderr), written in batches by a thread of their own.
///
/// Why a thread: a log reader that stops reading (a container's log pipeline backing up, a full disk, a stalled
/// terminal) makes `write` block, and a line written on an event loop then stops every connection of that loop,
/// and SIGTERM's own "draining" line with them. Here any thread only copies its line into a bounded buffer under a
/// short lock; the writer thread takes the whole buffer at once, at least every `batchInterval` or as soon as
/// `batchBytes` wait, so a busy server makes a few writes a second instead of one per request. When the buffer is
/// full (the reader is stalled) lines are dropped and counted, never waited for: memory stays bounded and the
/// service keeps serving. `flush(timeout:)` writes what is left at a clean stop, giving up at its deadline when
/// nobody reads.
package final class LogSink: @unchecked Sendable {
    // @unchecked Sendable: `pending`, `spare`, `isWriting`, `flushRequests` and `isStopping` are touched only between
    // pthread_mutex_lock and unlock of `mutex`; the counters are atomic; the rest is immutable.
    /// The process's standard error, where the service's logs go.
    package static let standardError = LogSink(descriptor: 2)

    package let descriptor: Int32
    /// Bytes buffered at most: lines past it are dropped while the reader is stalled.
    package let capacityBytes: Int
    /// The writer wakes for this many bytes without waiting for `batchInterval`.
    package let batchBytes: Int
    package let batchInterval: Duration

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Signalled for the writer: lines arrived in an empty buffer, a batch is full, a flush is asked for.
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Broadcast by the writer after each write, for `flush`.
    private let written = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var pending: [UInt8] = []
    private var spare: [UInt8] = []
    private var isWriting = false
    private var flushRequests = 0
    private let dropped = Atomic<Int>(0)
    private let writtenLines = Atomic<Int>(0)

    package init(descriptor: Int32, capacityBytes: Int = 1 << 20, batchBytes: Int = 64 << 10, batchInterval: Duration = .milliseconds(100)) {
        self.descriptor = descriptor
        self.capacityBytes = capacityBytes
        self.batchBytes = batchBytes
        self.batchInterval = batchInterval
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Timed waits measure monotonic time: a clock step must not stretch or cut a batch interval.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(wake, &attributes)
        pthread_cond_init(written, &attributes)
        pthread_condattr_destroy(&attributes)
        pending.reserveCapacity(batchBytes * 2)
        let thread = Thread { [self] in runWriter() }
        thread.name = "tensor-log"
        thread.start()
    }

    /// Lines dropped because the buffer was full (the reader stalled) or the write failed (a full disk).
    package var droppedLines: Int { dropped.load(ordering: .relaxed) }

    /// Lines written so far.
    package var writtenLineCount: Int { writtenLines.load(ordering: .relaxed) }

    /// Queues one line (its bytes, newline included) without ever blocking on the output; drops it when full.
    package func append(_ line: UnsafeRawBufferPointer) {
        pthread_mutex_lock(mutex)
        guard pending.count + line.count <= capacityBytes else {
            pthread_mutex_unlock(mutex)
            dropped.add(1, ordering: .relaxed)
            return
        }
        let wasEmpty = pending.isEmpty
        // As typed bytes: the array then copies them in one go rather than element by element.
        line.withMemoryRebound(to: UInt8.self) { pending.append(contentsOf: $0) }
        // Wake the writer to start a batch, or to write a full one now; in between it is waiting for the interval
        // and needs no signal, so a busy server wakes it a few times a second.
        let mustWake = wasEmpty || (pending.count >= batchBytes && pending.count - line.count < batchBytes)
        pthread_mutex_unlock(mutex)
        if mustWake { pthread_cond_signal(wake) }
    }

    package func append(_ line: [UInt8]) { line.withUnsafeBytes { append($0) } }

    /// Writes everything queued so far; returns false when `timeout` passed first (nobody reads the output).
    @discardableResult
    package func flush(timeout: Duration) -> Bool {
        var deadline = Self.monotonicTime(after: timeout)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        flushRequests += 1
        defer { flushRequests -= 1 }
        pthread_cond_signal(wake)
        while !pending.isEmpty || isWriting {
            if pthread_cond_timedwait(written, mutex, &deadline) == ETIMEDOUT { return pending.isEmpty && !isWriting }
        }
        return true
    }

    private func runWriter() {
        // Process signals (SIGTERM) are for the main thread's sigwait: a thread started before the mask was set
        // would otherwise take them, and their default action ends the process.
        Syscall.blockAllSignalsInThisThread()
        pthread_mutex_lock(mutex)
        while true {
            while pending.isEmpty { pthread_cond_wait(wake, mutex) }
            // Gather a batch: until it is full, a flush is asked for, or the interval has passed.
            var deadline = Self.monotonicTime(after: batchInterval)
            while pending.count < batchBytes && flushRequests == 0 {
                if pthread_cond_timedwait(wake, mutex, &deadline) == ETIMEDOUT { break }
            }
            swap(&pending, &spare)
            isWriting = true
            pthread_mutex_unlock(mutex)
            writeAll(spare)
            let lines = spare.withUnsafeBytes { Self.lineCount($0) }
            writtenLines.add(lines, ordering: .relaxed)
            spare.removeAll(keepingCapacity: true)
            pthread_mutex_lock(mutex)
            isWriting = false
            pthread_cond_broadcast(written)
        }
    }

    /// Writes `bytes` whole, blocking as long as the reader needs (this thread holds no lock meanwhile). A failed
    /// write (a full disk, a closed pipe) drops the rest of the batch, counted by its lines.
    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            let written = Syscall.writeAll(descriptor, raw)
            guard written < raw.count else { return }
            let lost = Self.lineCount(UnsafeRawBufferPointer(rebasing: raw[written...]))
            dropped.add(lost, ordering: .relaxed)
            writtenLines.subtract(lost, ordering: .relaxed)
        }
    }

    /// The newlines in `bytes`, found with memchr (a batch is 64 KiB or more: a byte-by-byte count shows in profiles).
    static func lineCount(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard var cursor = bytes.baseAddress else { return 0 }
        let end = cursor + bytes.count
        var lines = 0
        while cursor < end, let hit = memchr(cursor, 0x0A, end - cursor) {
            lines += 1
            cursor = UnsafeRawPointer(hit) + 1
        }
        return lines
    }

    private static func monotonicTime(after duration: Duration) -> timespec {
        let now = Syscall.monotonicClock()
        let (seconds, attoseconds) = duration.components
        var total = Int64(now.tv_nsec) + attoseconds / 1_000_000_000
        var wholeSeconds = Int64(now.tv_sec) + seconds
        wholeSeconds += total / 1_000_000_000
        total %= 1_000_000_000
        return timespec(tv_sec: Int(wholeSeconds), tv_nsec: Int(total))
    }
}
