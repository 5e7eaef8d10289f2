import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TensorKernels

#if canImport(Glibc)
import Glibc
#endif

// hummingbird-peer [PORT]: GET /healthz and POST /ops/leaky_relu (float32 octet-stream, slope 0.01), answered as
// tensor-service answers them. Prints "listening on URL" once bound, like tensor-service.
let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 0
let shapeHeader = HTTPField.Name("X-Tensor-Shape")!
let healthBody = ByteBuffer(string: #"{"status":"ok"}"#)

let router = Router()
router.get("healthz") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: healthBody))
}
router.post("ops/leaky_relu") { request, _ in
    var buffer = try await request.body.collect(upTo: 256 << 20)
    let count = buffer.readableBytes / 4
    buffer.withUnsafeMutableReadableBytes { bytes in
        if let base = bytes.baseAddress { LeakyReLU.applyFloat32(base, count: count, slope: 0.01) }
    }
    return Response(
        status: .ok,
        headers: [.contentType: "application/octet-stream", shapeHeader: request.headers[shapeHeader] ?? "\(count)"],
        body: .init(byteBuffer: buffer))
}

var logger = Logger(label: "hummingbird-peer")
logger.logLevel = .warning
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    onServerRunning: { channel in
        print("listening on http://127.0.0.1:\(channel.localAddress?.port ?? 0)")
        fflush(nil)
    },
    logger: logger
)
try await app.runService()
