import Testing
@testable import TensorHTTP

@Suite struct RequestBudgetTests {
    @Test("A request's share grows and is given back whole; nothing can be taken after that")
    func growsThenReleasesOnce() {
        let budget = InflightBudget(limit: 100)
        let request = RequestBudget(budget: budget)
        #expect(request.grow(to: 40))
        #expect(request.reserve(50))
        #expect(!request.reserve(11), "past the limit nothing is taken")
        #expect(budget.heldBytes == 90 && request.bytes == 90)
        #expect(request.grow(to: 20), "a smaller total changes nothing")
        request.releaseAll()
        #expect(budget.heldBytes == 0)
        #expect(!request.reserve(1), "a worker finishing after the connection closed cannot leak a reservation")
        #expect(budget.heldBytes == 0)
    }

    @Test func requestsShareOneBudget() {
        let budget = InflightBudget(limit: 100)
        let first = RequestBudget(budget: budget)
        let second = RequestBudget(budget: budget)
        #expect(first.reserve(60))
        #expect(!second.reserve(60))
        first.releaseAll()
        #expect(second.reserve(60))
    }
}
