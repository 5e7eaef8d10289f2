import Dispatch
import Foundation
import Logging
import Synchronization
import TensorMemory
import TensorTestSupport
import Testing

@testable import TensorHTTP

/// One `HTTPConnection` over a `socketpair`, on its own event loop, with a small handler and no listener or
/// service behind it: exact bytes in, exact answers out.
@Suite struct HTTPConnectionTests {
    @Test func answersARequestAndKeepsTheConnection() throws {
        let harness = try ConnectionHarness()
        let client = harness.client
        let first = try client.request("GET", "/hello")
        #expect(first.status == 200)
        #expect(first.bodyText == "GET /hello")
        #expect(first.header("content-length") == "10")
        #expect(first.header("connection") == nil)
        #expect(try client.request("GET", "/again").bodyText == "GET /again", "the connection is kept")
    }

    @Test("Pipelined requests are answered in order, across the turns a busy connection yields between")
    func pipelinedRequestsAreAnsweredInOrder() throws {
        let harness = try ConnectionHarness()
        let client = harness.client
        try client.send((1...100).map { "GET /\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
        for index in 1...100 { #expect(try client.readResponse().bodyText == "GET /\(index)") }
    }

    @Test("A client that sends its request and its FIN together is answered, then closed at once")
    func halfClosedClient() throws {
        let harness = try ConnectionHarness()
        let client = harness.client
        // The loop is held while both arrive, so one edge reports them together, as when a client's request and
        // FIN reach an idle connection at once.
        let (held, release) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        harness.loop.execute {
            held.signal()
            release.wait()
        }
        held.wait()
        try client.send("GET /last HTTP/1.1\r\nHost: x\r\n\r\n")
        shutdown(client.descriptor, Int32(SHUT_WR))
        release.signal()
        #expect(try client.readResponse().bodyText == "GET /last")
        #expect(harness.waitUntilClosed(), "closed on the end of the stream, not at the idle timeout")
    }

    @Test("A drain that begins while an answer is being written closes the connection once it has left")
    func drainWhileWriting() throws {
        let harness = try ConnectionHarness()
        let client = harness.client
        try client.send("POST /large HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody")
        #expect(harness.waitUntil { harness.handler.largeAnswersGiven.load(ordering: .relaxed) == 1 })
        harness.connection.beginDrain()
        let answer = try client.readResponse()
        #expect(answer.status == 200 && answer.body.count == 8 << 20)
        #expect(harness.waitUntilClosed(), "closed after the answer, not at the idle timeout")
    }

    @Test("HEAD gets its GET's status and Content-Length and no body; the next answer follows at once")
    func headHasNoBody() throws {
        let harness = try ConnectionHarness()
        let client = harness.client
        try client.send("HEAD /missing HTTP/1.1\r\nHost: x\r\n\r\nHEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        let missing = try client.readResponse(toHead: true)
        #expect(missing.status == 404)
        #expect(missing.header("content-length") == "9", "the error's own length, its body not sent")
        let head = try client.readResponse(toHead: true)
        #expect(head.status == 200)
        #expect(head.header("content-length") == "10")
        let get = try client.readResponse()
        #expect(get.status == 200)
        #expect(get.bodyText == "GET /hello", "no stray body bytes came before this answer")
    }

    @Test("An answer decided from the head keeps a body-less request's connection, and closes one with a body")
    func answersFromTheHead() throws {
        let harness = try ConnectionHarness()
        let client = harness.client
        #expect(try client.request("GET", "/refused").status == 403)
        #expect(try client.request("GET", "/still-here").bodyText == "GET /still-here")
        try client.send("POST /refused HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n")
        let refused = try client.readResponse()
        #expect(refused.status == 403 && refused.header("connection") == "close")
        #expect(client.isClosedByServer())
    }

    @Test func anAnswerFromAnotherThreadIsWritten() throws {
        let harness = try ConnectionHarness()
        let answer = try harness.client.request("POST", "/elsewhere", body: Array("tensor".utf8))
        #expect(answer.status == 200)
        #expect(answer.bodyText == "worker: tensor")
        #expect(harness.waitUntil { harness.budget.heldBytes == 0 }, "the body's budget is returned once the answer has left")
    }

    @Test("Connection: close is answered, then the server shuts its side")
    func closeIsHonoured() throws {
        let harness = try ConnectionHarness()
        let client = harness.client
        try client.send("GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let answer = try client.readResponse()
        #expect(answer.header("connection") == "close")
        #expect(client.isClosedByServer())
        client.close()
        #expect(harness.waitUntilClosed())
    }

    @Test("A malformed request gets its error, then the connection closes")
    func malformedRequest() throws {
        let harness = try ConnectionHarness()
        let client = harness.client
        try client.send("GET /x HTTP/1.1\r\nHost x\r\n\r\n")
        let answer = try client.readResponse()
        #expect(answer.status == 400)
        #expect(answer.header("connection") == "close")
        #expect(client.isClosedByServer())
    }

    @Test("A partial request meets the read timeout with 408; a silent connection is closed")
    func readTimeout() throws {
        let partial = try ConnectionHarness(readTimeout: .milliseconds(200))
        try partial.client.send("GET /slow HTTP/1.1\r\nHo")
        #expect(try partial.client.readResponse().status == 408)
        #expect(partial.client.isClosedByServer())
        let silent = try ConnectionHarness(readTimeout: .milliseconds(200))
        #expect(silent.client.isClosedByServer())
        #expect(silent.waitUntilClosed())
    }

    @Test("A client that resets while a large answer is being written frees the connection and its budget")
    func resetMidAnswer() throws {
        let harness = try ConnectionHarness()
        let client = harness.client
        // 8 MiB cannot fit in the socket buffers: the answer is still being written when the client goes.
        try client.send("POST /large HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody")
        #expect(harness.waitUntil { harness.handler.largeAnswersGiven.load(ordering: .relaxed) == 1 })
        client.close()
        #expect(harness.waitUntilClosed(), "the hang-up is seen while the answer waits for room, not at the idle timeout")
        #expect(harness.budget.heldBytes == 0)
    }

    @Test("A chunked body, with extensions and trailers, reaches the handler whole; the connection stays usable")
    func chunkedBody() throws {
        let harness = try ConnectionHarness()
        let client = harness.client
        try client.send(
            "POST /elsewhere HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\n{\"dat\r\n6;ext=1\r\na\": [-\r\n5\r\n1, 1]\r\n1\r\n}\r\n0\r\nX-Trailer: y\r\n\r\n")
        #expect(try client.readResponse().bodyText == #"worker: {"data": [-1, 1]}"#)
        #expect(try client.request("GET", "/next").bodyText == "GET /next")
        #expect(harness.waitUntil { harness.budget.heldBytes == 0 })
    }

    @Test("Expect: 100-continue gets the interim answer before the body is sent, then the final one")
    func expectContinue() throws {
        let harness = try ConnectionHarness()
        let client = harness.client
        try client.send("POST /elsewhere HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        #expect(try client.readResponse().status == 100)
        try client.send("body")
        let answer = try client.readResponse()
        #expect(answer.status == 200 && answer.bodyText == "worker: body")
        // A refusal decided from the head is the only answer: no 100 comes before it.
        try client.send("POST /refused HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        #expect(try client.readResponse().status == 403)
        #expect(client.isClosedByServer(), "its body was never read")
    }

    @Test("HTTP/1.0 closes after the answer unless it asks for keep-alive, which is then said back")
    func http10() throws {
        let plain = try ConnectionHarness()
        try plain.client.send("GET /old HTTP/1.0\r\n\r\n")
        let answer = try plain.client.readResponse()
        #expect(answer.status == 200 && answer.header("connection") == "close")
        #expect(plain.client.isClosedByServer())
        let kept = try ConnectionHarness()
        for _ in 0..<2 {
            try kept.client.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let response = try kept.client.readResponse()
            #expect(response.status == 200 && response.header("connection") == "keep-alive")
        }
    }

    @Test("A keep-alive connection left idle is closed at the idle timeout, without a word")
    func idleTimeout() throws {
        let harness = try ConnectionHarness(idleTimeout: .milliseconds(200))
        #expect(try harness.client.request("GET", "/once").status == 200)
        #expect(harness.client.isClosedByServer())
        #expect(harness.waitUntilClosed())
    }

    @Test("A request a worker still holds keeps its own budget share; shares nothing else holds are reused")
    func budgetShareHeldByAWorker() throws {
        let harness = try ConnectionHarness()
        let client = harness.client
        #expect(try client.request("POST", "/held", body: Array("held".utf8)).bodyText == "held")
        #expect(try client.request("POST", "/elsewhere", body: Array("next".utf8)).bodyText == "worker: next")
        harness.handler.heldRequest.withLock { $0 = nil }
        for index in 0..<3 {
            #expect(try client.request("POST", "/elsewhere", body: Array("\(index)".utf8)).bodyText == "worker: \(index)")
        }
        let shares = harness.handler.budgetShares.withLock { $0 }
        #expect(shares.count == 5)
        #expect(shares[1] != shares[0], "the share a worker still holds is not reopened for the next request")
        #expect(shares[2...].allSatisfy { $0 == shares[1] }, "a share nothing else holds serves the next request")
        #expect(harness.waitUntil { harness.budget.heldBytes == 0 })
    }

    @Test("Draining closes an idle connection and answers a request in flight before closing")
    func drain() throws {
        let idle = try ConnectionHarness()
        idle.connection.beginDrain()
        #expect(idle.client.isClosedByServer())
        let busy = try ConnectionHarness()
        try busy.client.send("POST /elsewhere HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab")
        #expect(busy.waitUntil { busy.budget.heldBytes == 4 }, "the head has been admitted")
        busy.connection.beginDrain()
        try busy.client.send("cd")
        let answer = try busy.client.readResponse()
        #expect(answer.bodyText == "worker: abcd")
        #expect(answer.header("connection") == "close")
        #expect(busy.client.isClosedByServer())
    }
}

/// A handler with a few behaviours the connection tests need, reachable by path.
private final class EchoHandler: HTTPHandler, PreparedExchange {
    let largeAnswersGiven = Atomic<Int>(0)
    /// A request kept after its answer, as a worker finishing late keeps it.
    let heldRequest = Mutex<HTTPRequest?>(nil)
    /// The budget share of every request with a body, in order.
    let budgetShares = Mutex<[ObjectIdentifier]>([])

    func prepare(_ head: HTTPRequestHead) -> HeadDecision {
        head.path == "/refused" ? .answer(HTTPResponse(status: 403, contentType: "text/plain", body: Array("no".utf8))) : .proceed(self)
    }

    func handle(_ request: consuming HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let head = request.head
        let body = request.body.array
        if let share = request.budget { budgetShares.withLock { $0.append(ObjectIdentifier(share)) } }
        switch head.path {
        case "/held":
            heldRequest.withLock { $0 = copy request }
            respond(HTTPResponse(status: 200, contentType: "text/plain", body: body))
        case "/missing":
            respond(HTTPResponse(status: 404, contentType: "text/plain", body: Array("not found".utf8)))
        case "/elsewhere":
            DispatchQueue.global().async {
                respond(HTTPResponse(status: 200, contentType: "text/plain", body: Array("worker: ".utf8) + body))
            }
        case "/large":
            respond(HTTPResponse(status: 200, contentType: "application/octet-stream", body: [UInt8](repeating: 7, count: 8 << 20)))
            largeAnswersGiven.add(1, ordering: .relaxed)
        default:
            let method = head.method == "HEAD" ? "GET" : head.method
            respond(HTTPResponse(status: 200, contentType: "text/plain", body: Array("\(method) \(head.path)".utf8)))
        }
    }

    func errorResponse(for error: HTTPRequestError, head: HTTPRequestHead?) -> HTTPResponse {
        HTTPResponse(status: error.status, contentType: "text/plain", body: Array("\(error)".utf8))
    }

    func drainingResponse(head: HTTPRequestHead) -> HTTPResponse { HTTPResponse(status: 503, contentType: "text/plain", body: Array("draining".utf8)) }
}

/// A started connection on one end of a socket pair and a blocking client on the other.
private final class ConnectionHarness {
    let loop: EventLoop
    let connection: HTTPConnection
    let client: RawHTTPClient
    let handler = EchoHandler()
    let budget = InflightBudget(limit: 1 << 30)
    private let closed = DispatchSemaphore(value: 0)

    init(readTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(30)) throws {
        loop = try EventLoop(name: "test-loop")
        let (server, client) = try Syscall.socketPair()
        let closed = self.closed
        var environment = ConnectionEnvironment(
            handler: handler, budget: budget, limits: .init(maxBodyBytes: 1 << 20), readTimeout: readTimeout,
            idleTimeout: idleTimeout, logger: Logger(label: "test"), statistics: .init(budget: budget),
            connectionClosed: { _ in closed.signal() })
        environment.lingerTimeout = .milliseconds(200)
        connection = HTTPConnection(descriptor: server, loop: loop, environment: environment)
        self.client = RawHTTPClient(connectedDescriptor: client)
        let connection = self.connection
        loop.execute { connection.start() }
    }

    deinit {
        connection.forceClose()
        loop.stop()
    }

    /// Waits for the connection to close; false after a bound far past any timeout a test sets.
    func waitUntilClosed() -> Bool { closed.wait(timeout: .now() + .seconds(20)) == .success }

    /// Polls `condition` until it holds; false after a bound far past anything a passing test needs.
    func waitUntil(_ condition: () -> Bool) -> Bool {
        for _ in 0..<20_000 {
            if condition() { return true }
            usleep(1000)
        }
        return false
    }
}
