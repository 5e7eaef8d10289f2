import Synchronization

import Glibc

/// Why `accept4` failed, as the `reason` label of `tensor_service_accept_errors_total`.
package enum AcceptErrorReason: String, CaseIterable, Sendable {
    /// The process is out of descriptors (EMFILE).
    case processDescriptors = "process_descriptor_limit"
    /// The system is out of descriptors (ENFILE).
    case systemDescriptors = "system_descriptor_limit"
    /// The kernel had no memory for the socket (ENOBUFS, ENOMEM).
    case memory
    /// A waiting client accepted and closed at once, for want of a descriptor to serve it with.
    case shed
    /// Anything else that makes accepting pause.
    case other

    /// The reason for `code`, or nil for errors that belong to one client only and are retried at once: the
    /// connection was aborted, or a network error was pending on it (accept(2): treat those like EAGAIN).
    package init?(code: Int32) {
        switch code {
        case ECONNABORTED, EPROTO, EPERM, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH:
            return nil
        case EMFILE: self = .processDescriptors
        case ENFILE: self = .systemDescriptors
        case ENOBUFS, ENOMEM: self = .memory
        default: self = .other
        }
    }

    var isOutOfDescriptors: Bool { self == .processDescriptors || self == .systemDescriptors }
}

/// Failed accepts by reason, counted without a lock (one atomic per reason).
final class AcceptErrorCounts: Sendable {
    private let storage: [AcceptErrorCounter] = AcceptErrorReason.allCases.map { _ in AcceptErrorCounter() }

    func add(_ reason: AcceptErrorReason) {
        storage[AcceptErrorReason.allCases.firstIndex(of: reason)!].value.add(1, ordering: .relaxed)
    }

    var counts: [(reason: String, count: Int)] {
        zip(AcceptErrorReason.allCases, storage).map { ($0.rawValue, $1.value.load(ordering: .relaxed)) }
    }
}

private final class AcceptErrorCounter: Sendable {
    let value = Atomic<Int>(0)
}
