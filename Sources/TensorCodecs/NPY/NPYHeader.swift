import TensorKernels

/// The header of a NumPy `.npy` file (format versions 1.0, 2.0 and 3.0).
///
/// Layout: the magic `\x93NUMPY`, a major and minor version byte, the header length (a little-endian UInt16 in
/// v1, UInt32 in v2 and v3), then a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`
/// padded with spaces and a newline so the data starts on a 64-byte boundary.
public struct NPYHeader: Sendable, Equatable {
    public var dtype: DType
    /// Big-endian elements (`>`), to be swapped, computed and swapped back.
    public var isBigEndian: Bool
    public var isFortranOrder: Bool
    public var shape: [Int]
    /// Where the data starts in the file.
    public var dataOffset: Int

    public var count: Int { shape.reduce(1, *) }

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    public init(dtype: DType, isBigEndian: Bool = false, isFortranOrder: Bool = false, shape: [Int], dataOffset: Int = 0) {
        self.dtype = dtype
        self.isBigEndian = isBigEndian
        self.isFortranOrder = isFortranOrder
        self.shape = shape
        self.dataOffset = dataOffset
    }

    /// Reads the header at the start of `file` and checks that the data after it has exactly the right size.
    public static func parse(_ file: UnsafeRawBufferPointer) throws(CodecError) -> NPYHeader {
        guard file.count >= 8, file.prefix(6).elementsEqual(magic) else {
            throw .malformed(".npy: the file does not start with the magic \\x93NUMPY")
        }
        let major = file[6]
        let lengthBytes: Int
        switch major {
        case 1: lengthBytes = 2
        case 2, 3: lengthBytes = 4
        default: throw .malformed(".npy: format version \(major).\(file[7]) is not supported; use 1.0, 2.0 or 3.0")
        }
        guard file.count >= 8 + lengthBytes else { throw .malformed(".npy: the header length is truncated") }
        var headerLength = 0
        for index in 0..<lengthBytes { headerLength |= Int(file[8 + index]) << (8 * index) }
        let start = 8 + lengthBytes
        guard headerLength <= file.count - start else {
            throw .malformed(".npy: the header length \(headerLength) runs past the end of the body (\(file.count) bytes)")
        }
        let text = UnsafeRawBufferPointer(rebasing: file[start..<(start + headerLength)])
        guard major == 3 || text.allSatisfy({ $0 < 0x80 }) else { throw .malformed(".npy: a v\(major) header must be ASCII") }
        var dictionary = try NPYDictionaryParser.parse(text)
        let header = try make(from: &dictionary, dataOffset: start + headerLength)
        let bytes = try TensorShape.byteCount(elements: try TensorShape.elementCount(header.shape), itemSize: header.dtype.itemSize)
        guard bytes == file.count - header.dataOffset else {
            throw .malformed(".npy: shape \(header.shape) of \(header.dtype.rawValue) needs \(bytes) data bytes; the file has \(file.count - header.dataOffset)")
        }
        return header
    }

    private static func make(from dictionary: inout [String: NPYValue], dataOffset: Int) throws(CodecError) -> NPYHeader {
        guard case .string(let descr) = dictionary["descr"] else { throw .malformed(".npy: the header has no 'descr' string") }
        guard case .bool(let fortran) = dictionary["fortran_order"] else {
            throw .malformed(".npy: the header has no 'fortran_order' True or False")
        }
        guard case .tuple(let shape) = dictionary["shape"] else { throw .malformed(".npy: the header has no 'shape' tuple") }
        guard shape.count <= TensorShape.maxRank else {
            throw .malformed(".npy: shape has \(shape.count) dimensions; at most \(TensorShape.maxRank) are allowed")
        }
        let (dtype, bigEndian) = try parseDescr(descr)
        return NPYHeader(dtype: dtype, isBigEndian: bigEndian, isFortranOrder: fortran, shape: shape, dataOffset: dataOffset)
    }

    /// `<f4` and friends. `=` is native order (little-endian here); `|` marks one-byte types, none of which float.
    static func parseDescr(_ descr: String) throws(CodecError) -> (DType, Bool) {
        let characters = Array(descr)
        guard characters.count >= 3, "<>=|".contains(characters[0]) else {
            throw .malformed(".npy: descr '\(descr.prefix(32))' is not a NumPy type string such as '<f4'")
        }
        let kind = characters[1]
        let size = String(characters[2...])
        if kind == "f" {
            let dtype: DType?
            switch size {
            case "2": dtype = .float16
            case "4": dtype = .float32
            case "8": dtype = .float64
            default: dtype = nil
            }
            guard let dtype else { throw .malformed(".npy: descr '\(descr)' is a float size this service does not compute") }
            return (dtype, characters[0] == ">")
        }
        if "iubc".contains(kind) {
            throw CodecError(.notFloatingPoint, ".npy: descr '\(descr)' is not floating point: leaky_relu_ is defined for float16, float32 and float64 .npy data")
        }
        throw .malformed(".npy: descr '\(descr.prefix(32))' is not supported; use <f2, <f4, <f8 or their > forms")
    }

    /// The header bytes for this tensor: version 1.0 when the dict fits its 16-bit length, else 2.0.
    public func encoded() -> [UInt8] {
        let descr = (isBigEndian ? ">" : "<") + "f\(dtype.itemSize)"
        let shapeText = shape.isEmpty ? "()" : shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let dictionary = "{'descr': '\(descr)', 'fortran_order': \(isFortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
        var lengthBytes = 2
        var total = 8 + lengthBytes + dictionary.utf8.count + 1
        if (total + 63) / 64 * 64 - 8 - lengthBytes > Int(UInt16.max) {
            lengthBytes = 4
            total = 8 + lengthBytes + dictionary.utf8.count + 1
        }
        let padded = (total + 63) / 64 * 64
        let headerLength = padded - 8 - lengthBytes
        var bytes = Self.magic + [lengthBytes == 2 ? 1 : 2, 0]
        for index in 0..<lengthBytes { bytes.append(UInt8(truncatingIfNeeded: headerLength >> (8 * index))) }
        bytes += Array(dictionary.utf8)
        bytes += Array(repeating: 0x20, count: padded - bytes.count - 1)
        bytes.append(0x0A)
        return bytes
    }
}
