import Testing
import Glibc
@testable import TensorHTTP

@Suite struct DescriptorBudgetTests {
    @Test("Connections fit in what the limit leaves after the descriptors open and kept")
    func clampsToWhatFits() {
        let container = DescriptorBudget(limit: 1024, inUse: 12, reserved: 16)
        #expect(container.connectionsThatFit == 996)
        #expect(container.clamp(1024) == 996, "podman's default nofile cannot hold the default --max-connections")
        #expect(container.clamp(100) == 100)
        #expect(DescriptorBudget(limit: 64, inUse: 12, reserved: 16).clamp(1024) == 36)
        #expect(DescriptorBudget(limit: 20, inUse: 12, reserved: 16).clamp(1024) == nil, "not even one fits")
        #expect(DescriptorBudget(limit: .max, inUse: 12, reserved: 16).clamp(1024) == 1024, "no limit")
    }

    @Test func acceptErrorsAreClassified() {
        #expect(AcceptErrorReason(code: EMFILE) == .processDescriptors)
        #expect(AcceptErrorReason(code: ENFILE) == .systemDescriptors)
        #expect(AcceptErrorReason(code: ENOBUFS) == .memory)
        #expect(AcceptErrorReason(code: ECONNABORTED) == nil, "one client's trouble: retried at once")
    }
}
