import Testing
import TensorKernels
@testable import TensorCodecs

/// The pieces of a streamed JSON answer, joined, are byte for byte the answer written whole, for every dtype,
/// layout, shape and piece size, and no piece is larger than what was reserved for it.
@Suite struct JSONTensorPiecesTests {
    /// Values with long and short texts: NaN, ±inf, ±0, subnormal-sized and ordinary ones.
    static func data(_ dtype: DType, count: Int) -> [UInt8] {
        let values: [Double] = [-1.5, 0, 1e-40, -.infinity, 3.25, .nan, 123_456.789, -0.0, 7, -2e-7]
        var bytes: [UInt8] = []
        for index in 0..<count {
            let value = values[index % values.count]
            switch dtype {
            case .float32: bytes += withUnsafeBytes(of: Float(value).bitPattern.littleEndian, Array.init)
            case .float64: bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
            case .float16: bytes += withUnsafeBytes(of: UInt16(truncatingIfNeeded: index &* 2654435761 >> 7).littleEndian, Array.init)
            case .bfloat16: bytes += withUnsafeBytes(of: (Float(value).bitPattern >> 16).littleEndian, { Array($0.prefix(2)) })
            }
        }
        return bytes
    }

    @Test("Joined pieces equal the whole answer", arguments: [DType.float32, .float64, .float16, .bfloat16])
    func piecesJoinToTheWhole(dtype: DType) throws {
        let shapes: [[Int]] = [[1], [5], [2, 3], [2, 3, 4], [7, 1], [1, 7], [3, 1, 2], [2, 2, 2, 2]]
        for shape in shapes {
            let count = shape.reduce(1, *)
            let bytes = Self.data(dtype, count: count)
            for layout in [TensorLayout.flat, .nested] {
                for header in [nil, #"{"predictions":"#] {
                    let whole = try bytes.withUnsafeBytes {
                        try JSONTensorWriter.write(dtype: dtype, shape: shape, layout: layout, data: $0, header: header)
                    }
                    for perPiece in [1, 2, 3, 5, 100] {
                        var pieces = try #require(
                            JSONTensorPieces(dtype: dtype, shape: shape, layout: layout, header: header, elementsPerPiece: perPiece))
                        var joined: [UInt8] = []
                        var pieceCount = 0
                        while !pieces.isFinished {
                            let piece = bytes.withUnsafeBytes { pieces.nextPiece(data: $0) }
                            #expect(piece.count <= pieces.maxPieceBytes)
                            joined += piece
                            pieceCount += 1
                        }
                        #expect(pieceCount == (count + perPiece - 1) / perPiece)
                        #expect(
                            joined == whole,
                            "\(dtype) \(shape) \(layout) per piece \(perPiece): \(String(decoding: joined, as: UTF8.self)) vs \(String(decoding: whole, as: UTF8.self))")
                    }
                }
            }
        }
    }

    @Test("No element, or a bare number: not pieced (written whole)")
    func smallAnswersAreNotPieced() {
        #expect(JSONTensorPieces(dtype: .float32, shape: [0], layout: .flat, elementsPerPiece: 4) == nil)
        #expect(JSONTensorPieces(dtype: .float32, shape: [3, 0], layout: .nested, elementsPerPiece: 4) == nil)
        #expect(JSONTensorPieces(dtype: .float32, shape: [], layout: .nested, elementsPerPiece: 4) == nil)
        #expect(JSONTensorPieces(dtype: .float32, shape: [], layout: .flat, elementsPerPiece: 4) != nil)
    }
}
