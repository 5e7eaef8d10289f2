/// Something registered with an `EventLoop`: a descriptor's readiness and the timers it asked for come to it.
///
/// Both methods are called on the loop's thread only.
package protocol EventLoopHandler: AnyObject {
    /// The descriptor reported `events` (edge-triggered: each is reported once per change).
    func handleEvents(_ events: EventSet)
    /// A deadline this handler scheduled with `EventLoop.scheduleTimer` has come.
    func handleTimer(deadline: UInt64)
}

/// The readiness epoll reported for one descriptor.
package struct EventSet: OptionSet, Sendable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }

    package static let readable = EventSet(rawValue: 1 << 0)
    package static let writable = EventSet(rawValue: 1 << 1)
    /// The peer sent FIN (it may still read).
    package static let readHangup = EventSet(rawValue: 1 << 2)
    /// Both directions are shut or the connection was reset: nothing more will be read or written.
    package static let hangup = EventSet(rawValue: 1 << 3)
    package static let error = EventSet(rawValue: 1 << 4)
}
