import TensorCodecs
import TensorHTTP

/// Between request bodies and tensors: a body is read in place, and a tensor that still lies in one is answered
/// from it without a copy.
extension TensorRegion {
    /// The whole of `body`.
    init(body: ByteBuffer) {
        self.init(owner: body, base: body.base, range: 0..<body.count)
    }
}

extension TensorBuffer {
    /// The elements as a segment of an answer's body.
    var bodySegment: BodySegment {
        switch storage {
        case .array(let array):
            return .bytes(array)
        case .region(let region):
            if let buffer = region.owner as? ByteBuffer { return .buffer(buffer, region.range) }
            return .bytes(Array(UnsafeRawBufferPointer(region.bytes)))
        }
    }
}
