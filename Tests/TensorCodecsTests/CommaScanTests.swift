import CNumberText
import Testing
import TensorTestSupport

/// The JSON reader's first pass counts commas up to the first byte that ends a run of numbers; every scan width
/// the CPU supports must find the same byte and count the same commas as a plain loop over the bytes.
struct CommaScanTests {
    static let stops: Set<UInt8> = Set("[]{}\":".utf8)

    /// The stop's index and the commas before it, byte by byte.
    func reference(_ bytes: [UInt8], from start: Int) -> (stop: Int, commas: Int) {
        var commas = 0
        for index in start..<bytes.count {
            if Self.stops.contains(bytes[index]) { return (index, commas) }
            if bytes[index] == UInt8(ascii: ",") { commas += 1 }
        }
        return (bytes.count, commas)
    }

    @Test("Every supported scan width agrees with a byte loop: stops anywhere, at every length and start, and bytes that differ from a stop by one bit")
    func widthsAgree() {
        let widest = tk_json_use_scan(-1)
        var generator = SplitMix64(seed: 21)
        // Number text, plus bytes one bit away from a stop ('[' ^ 0x20 is '{', so also '\u{1B}', ';', '"' ^ 1, ...).
        let filler = Array("0123456789.,-+eE ,,\n\t".utf8) + [0x1B, 0x3B, 0x5A, 0x7C, 0x23, 0x3A ^ 0x80, 0x2C ^ 0x20, 0xFB]
        let stopBytes = Array(Self.stops)
        var checked = 0
        for length in 0..<300 {
            for _ in 0..<12 {
                var bytes = (0..<length).map { _ in filler[Int(generator.next() % UInt64(filler.count))] }
                if length > 0 && generator.next() % 4 != 0 {
                    bytes[Int(generator.next() % UInt64(length))] = stopBytes[Int(generator.next() % UInt64(stopBytes.count))]
                }
                let start = length == 0 ? 0 : Int(generator.next() % UInt64(length))
                let expected = reference(bytes, from: start)
                for scan in 0...widest {
                    var commas = 0
                    let stop = bytes.withUnsafeBufferPointer {
                        tk_json_count_commas_with(scan, $0.baseAddress, $0.count, start, &commas)
                    }
                    #expect(stop == expected.stop && commas == expected.commas, "scan \(scan), length \(length), start \(start)")
                    checked += 1
                }
            }
        }
        #expect(checked >= 300 * 12 * Int(widest + 1))
    }
}
