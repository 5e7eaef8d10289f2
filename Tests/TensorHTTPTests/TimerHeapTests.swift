import Testing
@testable import TensorHTTP

@Suite struct TimerHeapTests {
    @Test("Entries come out earliest first, only once due, however they went in")
    func popsInDeadlineOrderWhenDue() {
        var heap = TimerHeap()
        #expect(heap.isEmpty && heap.earliestDeadline == nil)
        var generator = SystemRandomNumberGenerator()
        let deadlines = (0..<500).map { _ in UInt64.random(in: 1...10_000, using: &generator) }
        for (index, deadline) in deadlines.enumerated() { heap.insert(.init(deadline: deadline, handlerID: UInt64(index))) }
        #expect(heap.earliestDeadline == deadlines.min())
        #expect(heap.popDue(now: deadlines.min()! - 1) == nil, "nothing is due before the earliest deadline")
        var popped: [UInt64] = []
        while let entry = heap.popDue(now: 5_000) { popped.append(entry.deadline) }
        #expect(popped == deadlines.filter { $0 <= 5_000 }.sorted())
        while let entry = heap.popDue(now: .max) { popped.append(entry.deadline) }
        #expect(popped == deadlines.sorted() && heap.isEmpty)
    }

    @Test("Equal deadlines for several handlers all fire; a handler may have several entries")
    func duplicatesAllFire() {
        var heap = TimerHeap()
        for id in [7, 7, 8, 9] as [UInt64] { heap.insert(.init(deadline: 100, handlerID: id)) }
        heap.insert(.init(deadline: 50, handlerID: 7))
        var fired: [UInt64] = []
        while let entry = heap.popDue(now: 100) { fired.append(entry.handlerID) }
        #expect(fired.first == 7 && fired.sorted() == [7, 7, 7, 8, 9])
    }
}
