import Glibc

/// The process-wide calls: signals, clocks, the core count, and the blocking write the log's own thread makes.
extension Syscall {
    /// A peer that closes while we write must fail that write (EPIPE), not end the process.
    package static func ignoreBrokenPipe() { signal(SIGPIPE, SIG_IGN) }

    /// User and system CPU seconds the process has used, or nil when the kernel would not say.
    package static func processCPUSeconds() -> Double? {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return nil }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The unit of the CPU times in /proc (USER_HZ).
    package static var clockTicksPerSecond: Int { Int(sysconf(Int32(_SC_CLK_TCK))) }

    /// Cores online, at least 1.
    package static var onlineCoreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    private static var terminationSignals: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }

    /// Blocks SIGTERM and SIGINT in the calling thread and in every thread it starts afterwards.
    package static func blockTerminationSignals() {
        var signals = terminationSignals
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    /// Waits for SIGTERM or SIGINT (blocked first); returns its number.
    package static func waitForTerminationSignal() -> Int32 {
        var signals = terminationSignals
        var received: Int32 = 0
        while sigwait(&signals, &received) != 0 {}
        return received
    }

    /// Blocks every signal in the calling thread: process signals are then taken by the thread that waits for them.
    package static func blockAllSignalsInThisThread() {
        var all = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, nil)
    }

    /// Writes `bytes` whole to a blocking descriptor, waiting as long as the reader needs; returns how many bytes left
    /// before a failure (all of them when none).
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count {
            let result = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if result > 0 {
                offset += result
            } else if !(result < 0 && errno == EINTR) {
                break
            }
        }
        return offset
    }

    /// The wall clock (for log timestamps).
    package static func wallClock() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return now
    }

    /// The monotonic clock as a `timespec` (for `pthread_cond_timedwait` on a monotonic condition).
    package static func monotonicClock() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now
    }
}
