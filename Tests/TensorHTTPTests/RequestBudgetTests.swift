import Dispatch
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

    @Test("Reopened for the next request, a share is empty and open again, and what it held was given back")
    func reopened() {
        let budget = InflightBudget(limit: 100)
        let request = RequestBudget(budget: budget)
        #expect(request.reserve(40) == .granted)
        request.end()
        request.reopen()
        #expect(budget.heldBytes == 0 && request.bytes == 0 && !request.isEnded)
        #expect(request.grow(to: 30) == .granted)
        #expect(budget.heldBytes == 30)
    }

    @Test("Shares taken and given back from many threads at once never pass the budget, and all comes back")
    func concurrentShares() {
        let budget = InflightBudget(limit: 1000)
        let requests = (0..<4).map { _ in RequestBudget(budget: budget) }
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let request = requests[index % 4]
            for step in 0..<2000 {
                switch step % 4 {
                case 0: _ = request.reserve(7)
                case 1: _ = request.grow(to: 60)
                case 2: request.release(5)
                default: #expect(budget.heldBytes <= budget.limit)
                }
            }
        }
        let held = requests.reduce(0) { $0 + $1.bytes }
        #expect(budget.heldBytes == held, "every byte held by a request is held in the budget, and no more")
        for request in requests { request.releaseAll() }
        #expect(budget.heldBytes == 0)
    }
}
