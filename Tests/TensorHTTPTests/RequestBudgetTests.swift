import TensorMemory
import Testing
@testable import TensorHTTP

@Suite struct RequestBudgetTests {
    @Test("A request's share grows and is given back whole; nothing can be taken after that")
    func growsThenReleasesOnce() {
        let budget = InflightBudget(limit: 100)
        let request = RequestBudget(budget: budget)
        #expect(request.grow(to: 40) == .granted)
        #expect(request.reserve(50) == .granted)
        #expect(request.reserve(61) == .exceedsLimit(100), "more than the whole budget can never be had")
        #expect(budget.heldBytes == 90 && request.bytes == 90)
        #expect(request.grow(to: 20) == .granted, "a smaller total changes nothing")
        request.releaseAll()
        #expect(budget.heldBytes == 0)
        #expect(request.reserve(1) == .busy, "a worker finishing after the answer cannot leak a reservation")
        #expect(budget.heldBytes == 0)
    }

    @Test("A body larger than the whole budget is refused as never fitting; one that fits later, as busy")
    func bodyGrowthSaysNeverOrNotNow() {
        let budget = InflightBudget(limit: 100)
        let other = RequestBudget(budget: budget)
        #expect(other.reserve(70) == .granted)
        let request = RequestBudget(budget: budget)
        #expect(request.grow(to: 50) == .busy)
        #expect(request.grow(to: 101) == .exceedsLimit(100))
        other.releaseAll()
        #expect(request.grow(to: 100) == .granted)
        #expect(budget.heldBytes == 100)
    }

    @Test func requestsShareOneBudget() {
        let budget = InflightBudget(limit: 100)
        let first = RequestBudget(budget: budget)
        let second = RequestBudget(budget: budget)
        #expect(first.reserve(60) == .granted)
        #expect(second.reserve(60) == .busy)
        first.releaseAll()
        #expect(second.reserve(60) == .granted)
    }

    @Test("A closed connection's request keeps its share until the last holder lets it go")
    func endedRequestsReleaseWhenLetGo() {
        let budget = InflightBudget(limit: 100)
        var request: RequestBudget? = RequestBudget(budget: budget)
        #expect(request?.reserve(30) == .granted)
        request?.end()
        #expect(request?.reserve(1) == .busy)
        #expect(budget.heldBytes == 30, "a worker may still be using it")
        request = nil
        #expect(budget.heldBytes == 0)
    }
}
