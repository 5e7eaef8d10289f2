import Dispatch
import Foundation
import Synchronization
import Testing
import TensorKernels
import TensorTestSupport
@testable import TensorCodecs

/// Large JSON documents read and written in pieces on several threads give exactly what one piece gives: the same
/// elements, the same text, the same first error.
struct ParallelPiecesTests {
    /// Real threads, and pieces small enough that a test document splits into dozens.
    static let threads = ParallelPieces(width: 4, pieceBytes: 2048, pieceElements: 256) { count, piece in
        DispatchQueue.concurrentPerform(iterations: count) { piece($0) }
    }

    func document(_ dtype: DType, shape: [Int], seed: UInt64) -> (text: String, values: [Double]) {
        var generator = SplitMix64(seed: seed)
        let count = shape.reduce(1, *)
        let values = (0..<count).map { _ in Double(Int64(bitPattern: generator.next() >> 20)) / 1e9 }
        var index = 0
        func nested(_ dimensions: ArraySlice<Int>) -> String {
            guard let first = dimensions.first else {
                defer { index += 1 }
                return index % 7 == 0 ? " \(values[index])\n" : "\(Float(values[index]))"
            }
            return "[" + (0..<first).map { _ in nested(dimensions.dropFirst()) }.joined(separator: index % 3 == 0 ? ", " : ",") + "]"
        }
        return ("{\"dtype\": \"\(dtype.rawValue)\", \"data\": \(nested(shape[...]))}", values)
    }

    @Test("Reading in pieces gives the serial result", arguments: DType.allCases)
    func readsTheSame(dtype: DType) throws {
        for shape in [[20_000], [200, 90], [12, 10, 150]] {
            let text = Array(document(dtype, shape: shape, seed: UInt64(shape.count)).text.utf8)
            let serial = try text.withUnsafeBytes { try JSONTensorReader.read($0) }
            let marks = try text.withUnsafeBytes { raw in
                var scanner = JSONScanner(raw)
                scanner.index = text.firstIndex(of: UInt8(ascii: "["))!
                return try DataStructure.scan(&scanner, markEvery: Self.threads.pieceBytes(forText: text.count)).marks
            }
            #expect(marks.count > 10, "\(shape): the document must split")
            let pieces = try text.withUnsafeBytes { try JSONTensorReader.read($0, parallel: Self.threads) }
            #expect(pieces.data == serial.data, "\(dtype) \(shape)")
            #expect(pieces.shape == serial.shape)
        }
    }

    /// Damage at and around the marks: a stray character before or after the comma a mark stands behind (the bytes
    /// between two pieces), a doubled comma, a closing bracket, a number cut.
    @Test("An error anywhere is the error a serial read reports")
    func errorsAreTheSame() throws {
        let text = Array(document(.float32, shape: [20_000], seed: 7).text.utf8)
        let marks = try text.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw)
            scanner.index = text.firstIndex(of: UInt8(ascii: "["))!
            // Where the reader itself will split this document.
            return try DataStructure.scan(&scanner, markEvery: Self.threads.pieceBytes(forText: text.count)).marks
        }
        var checked = 0
        for mark in marks.prefix(12) {
            // (offset from the mark, bytes replaced there, text put in their place)
            let damages = [(-1, 0, "x"), (-1, 0, " x "), (0, 0, "x"), (-1, 0, ","), (0, 0, "]"), (-2, 1, "x"), (0, 1, "-"), (-1, 1, " ")]
            for (offset, removed, replacement) in damages {
                var damaged = text
                let at = mark.index + offset
                guard at > 0, at < damaged.count - 2 else { continue }
                damaged.replaceSubrange(at..<(at + removed), with: Array(replacement.utf8))
                let serial = Result { try damaged.withUnsafeBytes { try JSONTensorReader.read($0) } }
                let pieces = Result { try damaged.withUnsafeBytes { try JSONTensorReader.read($0, parallel: Self.threads) } }
                switch (serial, pieces) {
                case (.failure(let first), .failure(let second)):
                    #expect("\(first)" == "\(second)")
                case (.success(let first), .success(let second)):
                    #expect(first.data == second.data)
                default:
                    Issue.record("serial and pieces disagree on \(String(decoding: damaged[max(0, at - 8)..<min(damaged.count, at + 8)], as: UTF8.self))")
                }
                checked += 1
            }
        }
        #expect(checked > 80)
    }

    @Test("Writing in pieces gives the serial text", arguments: DType.allCases)
    func writesTheSame(dtype: DType) throws {
        for shape in [[20_000], [300, 70], [9, 11, 200], [2, 5000]] {
            let text = Array(document(dtype, shape: shape, seed: 3).text.utf8)
            let tensor = try text.withUnsafeBytes { try JSONTensorReader.read($0) }
            let serial = try tensor.data.withUnsafeBytes {
                try JSONTensorWriter.write(dtype: dtype, shape: tensor.shape, layout: .nested, data: $0)
            }
            let pieces = try tensor.data.withUnsafeBytes {
                try JSONTensorWriter.write(dtype: dtype, shape: tensor.shape, layout: .nested, data: $0, parallel: Self.threads)
            }
            #expect(pieces == serial, "\(dtype) \(shape)")
            let flatSerial = try tensor.data.withUnsafeBytes { try JSONTensorWriter.flatArray(dtype: dtype, data: $0) }
            let flatPieces = try tensor.data.withUnsafeBytes { try JSONTensorWriter.flatArray(dtype: dtype, data: $0, parallel: Self.threads) }
            #expect(flatPieces == flatSerial, "\(dtype) \(shape) flat")
        }
    }

    /// `threads`, counting the pieces it runs.
    final class CountedPieces: Sendable {
        let run = Atomic<Int>(0)
        var pieces: ParallelPieces {
            ParallelPieces(width: 4, pieceBytes: 2048, pieceElements: 256) { [self] count, piece in
                run.add(count, ordering: .relaxed)
                DispatchQueue.concurrentPerform(iterations: count) { piece($0) }
            }
        }
    }

    /// A KServe infer request whose `data` is large: the same split as the JSON tensor format, through the decoder.
    func kserveRequest(_ dtype: DType, count: Int, seed: UInt64) -> [UInt8] {
        let data = document(dtype, shape: [count], seed: seed).text
        let array = data[data.range(of: "\"data\": ")!.upperBound...].dropLast()
        let datatype = ["float16": "FP16", "bfloat16": "BF16", "float32": "FP32", "float64": "FP64"][dtype.rawValue]!
        return Array(#"{"id":"x","inputs":[{"name":"input","datatype":"\#(datatype)","shape":[\#(count)],"data":\#(array)}]}"#.utf8)
    }

    @Test("A KServe request's JSON data is read, and its answer written, in pieces as serially", arguments: DType.allCases)
    func kserveReadsAndWritesTheSame(dtype: DType) throws {
        let body = kserveRequest(dtype, count: 20_000, seed: 11)
        let serial = try body.withUnsafeBytes { try KServeInferRequestDecoder.decode($0, headerLength: nil) }
        let counted = CountedPieces()
        let pieces = try body.withUnsafeBytes { try KServeInferRequestDecoder.decode($0, headerLength: nil, parallel: counted.pieces) }
        #expect(counted.run.load(ordering: .relaxed) > 10, "the data must be read in pieces")
        guard case .json(let serialData) = serial.data, case .json(let piecesData) = pieces.data else {
            Issue.record("JSON data expected")
            return
        }
        #expect(piecesData == serialData)
        // JSON data lives in its own array: the body region is not looked at.
        let unused = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
        defer { unused.deallocate() }
        let tensor = try TensorBuffer(kserve: serial, body: TensorRegion(owner: NSData(), base: unused, range: 0..<0))
        let serialAnswer = try KServeInferResponse(answering: serial, with: tensor, modelName: "m", modelVersion: "1")
        let countedAnswer = CountedPieces()
        let piecesAnswer = try KServeInferResponse(
            answering: serial, with: tensor, modelName: "m", modelVersion: "1", parallel: countedAnswer.pieces)
        #expect(piecesAnswer.json == serialAnswer.json)
        #expect(countedAnswer.run.load(ordering: .relaxed) > 10, "the answer must be written in pieces")
    }

    @Test("A KServe request with a damaged number in a later piece fails as a serial read does, at that byte")
    func kserveErrorsAreTheSame() throws {
        let body = kserveRequest(.float32, count: 20_000, seed: 12)
        var checked = 0
        // A digit replaced by a letter, spread over the data value, most of it past the first piece: the element
        // count stays right, so the first pass passes and the second pass, in its piece, finds the damage.
        for fraction in stride(from: 0.1, to: 0.95, by: 0.05) {
            var damaged = body
            var at = Int(Double(body.count) * fraction)
            while !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(damaged[at]) { at += 1 }
            damaged[at] = UInt8(ascii: "x")
            let serial = Result { try damaged.withUnsafeBytes { try KServeInferRequestDecoder.decode($0, headerLength: nil) } }
            let pieces = Result {
                try damaged.withUnsafeBytes { try KServeInferRequestDecoder.decode($0, headerLength: nil, parallel: Self.threads) }
            }
            guard case .failure(let first) = serial, case .failure(let second) = pieces else {
                Issue.record("a damaged number at \(at) was accepted")
                continue
            }
            #expect("\(first)" == "\(second)")
            // The error names a byte at or just before the damage (a number cut short is reported where it stops).
            let offset = "\(second)".split(separator: "byte ").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
            #expect(offset.map { at - 24 <= $0 && $0 <= at } == true, "\(second) for damage at \(at)")
            checked += 1
        }
        #expect(checked > 15)
    }
}
