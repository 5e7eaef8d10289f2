#if canImport(Glibc)
import Glibc
#endif

/// Best-of timing: the fastest of several trials, each long enough to swamp the clock's resolution.
enum Stopwatch {
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// Seconds per call of `body`, the minimum over `trials` trials of at least `minimumSeconds` each.
    static func secondsPerCall(trials: Int = 5, minimumSeconds: Double = 0.05, _ body: () -> Void) -> Double {
        body()
        var iterations = 1
        while true {
            let start = now()
            for _ in 0..<iterations { body() }
            if now() - start >= minimumSeconds / 4 { break }
            iterations *= 2
        }
        iterations = max(1, iterations * 4)
        var best = Double.infinity
        for _ in 0..<trials {
            let start = now()
            for _ in 0..<iterations { body() }
            best = min(best, (now() - start) / Double(iterations))
        }
        return best
    }
}
