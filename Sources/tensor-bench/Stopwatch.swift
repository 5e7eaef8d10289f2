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

    /// Seconds per call of `body`, the minimum over `trials` trials of at least `minimumSeconds` each. A call of a
    /// millisecond or more is timed on its own, and the fastest of all the calls that fit in that time is taken:
    /// on a shared machine a burst of other work then spoils single calls, not whole trials.
    static func secondsPerCall(trials: Int = 5, minimumSeconds: Double = 0.05, _ body: () -> Void) -> Double {
        let first = now()
        body()
        if now() - first >= 0.001 {
            var best = Double.infinity
            let end = now() + Double(trials) * minimumSeconds
            repeat {
                let start = now()
                body()
                best = min(best, now() - start)
            } while now() < end
            return best
        }
        let iterations = 4 * callsLasting(minimumSeconds / 4, body)
        var best = Double.infinity
        for _ in 0..<trials { best = min(best, secondsPerCall(of: body, calls: iterations)) }
        return best
    }

    /// How many calls in a row take `seconds` or more: doubled from one until they do.
    static func callsLasting(_ seconds: Double, _ body: () -> Void) -> Int {
        var calls = 1
        while secondsPerCall(of: body, calls: calls) * Double(calls) < seconds { calls *= 2 }
        return calls
    }

    /// The mean seconds of `calls` calls in a row.
    static func secondsPerCall(of body: () -> Void, calls: Int) -> Double {
        let start = now()
        for _ in 0..<calls { body() }
        return (now() - start) / Double(calls)
    }
}

extension Stopwatch {
    /// `reference` and `subject` timed in alternation, round by round, so a slow phase of the machine slows both:
    /// the median over rounds of each one's seconds per call, and the median of the per-round ratios
    /// reference/subject (above 1: the subject is faster).
    static func paired(
        rounds: Int = 15, secondsPerRound: Double = 0.01, reference: () -> Void, subject: () -> Void
    ) -> (reference: Double, subject: Double, ratio: Double) {
        reference()
        subject()
        let iterations = callsLasting(secondsPerRound / 2, reference)
        var referenceTimes: [Double] = [], subjectTimes: [Double] = [], ratios: [Double] = []
        for round in 0..<rounds {
            // Alternate which goes first, so neither always follows the other's cache state.
            func time(_ body: () -> Void) -> Double { secondsPerCall(of: body, calls: iterations) }
            var times = [0.0, 0.0]
            if round % 2 == 0 {
                times[0] = time(reference)
                times[1] = time(subject)
            } else {
                times[1] = time(subject)
                times[0] = time(reference)
            }
            referenceTimes.append(times[0])
            subjectTimes.append(times[1])
            ratios.append(times[0] / times[1])
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return (median(referenceTimes), median(subjectTimes), median(ratios))
    }
}
