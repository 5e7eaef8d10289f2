import TensorCodecs
import TensorHTTP
import TensorKernels

/// A computed tensor and where its bytes are, ready to be written in any format without copying them first.
struct OutputTensor {
    var dtype: DType
    var shape: [Int]
    var layout: TensorLayout
    /// The result: the request's own buffer (computed in place) or the array a decoder filled.
    var storage: BodySegment

    func response(in format: TensorFormat) throws -> HTTPResponse {
        switch format {
        case .octetStream:
            return HTTPResponse(
                status: 200,
                headers: [
                    ("Content-Type", format.mediaType), ("X-Tensor-Dtype", dtype.rawValue),
                    ("X-Tensor-Shape", TensorShape.headerValue(shape)), ("Vary", "Accept"),
                ],
                body: [storage])
        case .json:
            let json = try withBytes { bytes in
                try JSONTensorWriter.write(dtype: dtype, shape: shape, layout: layout, data: bytes)
            }
            return HTTPResponse(status: 200, contentType: format.mediaType, body: json, headers: [("Vary", "Accept")])
        }
    }

    private func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch storage {
        case .bytes(let array):
            return try array.withUnsafeBytes(body)
        case .buffer(let buffer, let range):
            return try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer.bytes)[range]))
        }
    }
}
