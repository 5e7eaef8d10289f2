import TensorCodecs
import TensorHTTP
import TensorKernels

/// A tensor on its way through the service: where its bytes are, and how they are laid out there.
///
/// The bytes are never copied to compute: the kernel runs where they lie (in the request's body for raw and
/// `.npy`, in the decoder's array for JSON). A copy is made only to change byte or memory order for an answer in
/// another format.
struct TensorPayload {
    var dtype: DType
    var shape: [Int]
    var layout: TensorLayout
    var storage: BodySegment
    var isBigEndian = false
    var isFortranOrder = false

    var count: Int { storage.count / dtype.itemSize }

    /// leaky_relu_ in place, split across the pool when large.
    mutating func compute(slope: Double, pool: WorkerPool) {
        let (dtype, count, isBigEndian) = (self.dtype, self.count, self.isBigEndian)
        withMutableBytes { base in
            ParallelKernel.apply(dtype, to: base, count: count, slope: slope, byteSwapped: isBigEndian, pool: pool)
        }
    }

    /// `admit` is asked for a JSON answer's bytes before they are allocated.
    func response(in format: TensorFormat, admit: @escaping MemoryAdmission = admitAnything) throws -> HTTPResponse {
        switch format {
        case .npy:
            guard dtype != .bfloat16 else {
                throw CodecError(.notRepresentable, "bfloat16 cannot be written as .npy; ask for application/json or application/octet-stream")
            }
            let header = NPYHeader(dtype: dtype, isBigEndian: isBigEndian, isFortranOrder: isFortranOrder, shape: shape)
            return HTTPResponse(
                status: 200, headers: [("Content-Type", format.mediaType)], body: [.bytes(header.encoded()), storage])
        case .octetStream:
            return HTTPResponse(
                status: 200,
                headers: [
                    ("Content-Type", format.mediaType), ("X-Tensor-Dtype", dtype.rawValue),
                    ("X-Tensor-Shape", TensorShape.headerValue(shape)),
                ],
                body: [try littleEndianCOrder(admit: admit)])
        case .json:
            let json = try withBytes(of: try littleEndianCOrder(admit: admit)) { bytes in
                try JSONTensorWriter.write(dtype: dtype, shape: shape, layout: layout, data: bytes, admit: admit)
            }
            return HTTPResponse(status: 200, contentType: format.mediaType, body: json)
        }
    }

    /// The elements as JSON and raw answers carry them: little-endian, C order. Big-endian data is swapped where
    /// it lies; Fortran order needs one reordering copy.
    private func littleEndianCOrder(admit: MemoryAdmission) throws(CodecError) -> BodySegment {
        var segment = storage
        if isBigEndian {
            let (itemSize, count) = (dtype.itemSize, count)
            segment = withMutableCopy(of: segment) { base in
                Self.swapBytes(base, count: count, itemSize: itemSize)
            }
        }
        if isFortranOrder {
            try CodecError.admitting(storage.count, for: "the C-order copy", admit)
            segment = .bytes(withBytes(of: segment) { MemoryOrder.cOrder(fromFortran: $0, shape: shape, itemSize: dtype.itemSize) })
        }
        return segment
    }

    /// Reverses each element's bytes where they lie; `.npy` data may start at any offset, so loads are unaligned.
    private static func swapBytes(_ base: UnsafeMutableRawPointer, count: Int, itemSize: Int) {
        for index in 0..<count {
            let element = base + index * itemSize
            switch itemSize {
            case 2: element.storeBytes(of: element.loadUnaligned(as: UInt16.self).byteSwapped, as: UInt16.self)
            case 4: element.storeBytes(of: element.loadUnaligned(as: UInt32.self).byteSwapped, as: UInt32.self)
            default: element.storeBytes(of: element.loadUnaligned(as: UInt64.self).byteSwapped, as: UInt64.self)
            }
        }
    }

    private mutating func withMutableBytes(_ body: (UnsafeMutableRawPointer) -> Void) {
        switch storage {
        case .buffer(let buffer, let range):
            if !range.isEmpty { body(buffer.base + range.lowerBound) }
        case .bytes(var array):
            // Drop the enum's reference first: the array is then uniquely owned and written in place, not copied.
            storage = .bytes([])
            array.withUnsafeMutableBytes { raw in
                if let base = raw.baseAddress { body(base) }
            }
            storage = .bytes(array)
        }
    }

    /// Runs `body` over a segment's bytes for an answer: a buffer range in place; an array (still shared with
    /// `storage`) is copied first.
    private func withMutableCopy(of segment: BodySegment, _ body: (UnsafeMutableRawPointer) -> Void) -> BodySegment {
        switch segment {
        case .buffer(let buffer, let range):
            if !range.isEmpty { body(buffer.base + range.lowerBound) }
            return segment
        case .bytes(var array):
            array.withUnsafeMutableBytes { raw in
                if let base = raw.baseAddress { body(base) }
            }
            return .bytes(array)
        }
    }

    /// The elements as they lie now.
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withBytes(of: storage, body)
    }

    private func withBytes<Result>(of segment: BodySegment, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch segment {
        case .bytes(let array): return try array.withUnsafeBytes(body)
        case .buffer(let buffer, let range):
            return try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer.bytes)[range]))
        }
    }
}
