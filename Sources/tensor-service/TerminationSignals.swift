import TensorHTTP

/// SIGTERM and SIGINT, taken by the main thread with `sigwait` instead of a handler.
///
/// Both are blocked before the first thread starts, so every thread inherits the mask and a signal that arrives at
/// any moment (even the instant the "listening on" line is printed) stays pending until the main thread takes it.
/// A Dispatch signal source registers asynchronously: a SIGTERM sent right after start could arrive before it and
/// be lost, leaving the process to run until it was killed.
enum TerminationSignals {
    /// Blocks SIGTERM and SIGINT in the calling thread and in every thread it starts afterwards.
    static func block() { Syscall.blockTerminationSignals() }

    /// Waits for SIGTERM or SIGINT; returns its number. A second one, sent during the drain, stays pending and
    /// changes nothing: the grace period bounds the wait.
    static func wait() -> Int32 { Syscall.waitForTerminationSignal() }
}
