import Foundation

/// Waits until `condition` holds or `timeout` passes, checking every 10 ms; returns whether it held. For state that
/// settles on another thread (a connection closing, a worker returning), not for timing.
package func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
