import TensorMemory

/// Little-endian C order, as JSON and raw answers carry elements.
extension TensorBuffer {
    /// Converts to little-endian C order: big-endian elements are swapped where they lie; Fortran order takes one
    /// reordering copy, for which `admit` is asked first.
    public mutating func makeLittleEndianCOrder(admit: MemoryAdmission) throws(CodecError) {
        if isBigEndian {
            let itemSize = dtype.itemSize
            withMutableBytes { bytes in Self.swapBytes(bytes, itemSize: itemSize) }
            isBigEndian = false
        }
        if isFortranOrder {
            try CodecError.admitting(byteCount, for: "the C-order copy", admit)
            let (shape, itemSize) = (shape, dtype.itemSize)
            storage = .array(withBytes { MemoryOrder.cOrder(fromFortran: $0, shape: shape, itemSize: itemSize) })
            isFortranOrder = false
        }
    }

    /// Reverses each element's bytes; `.npy` data may start at any offset, so loads are unaligned.
    static func swapBytes(_ bytes: UnsafeMutableRawBufferPointer, itemSize: Int) {
        guard let base = bytes.baseAddress else { return }
        for index in 0..<bytes.count / itemSize {
            let element = base + index * itemSize
            switch itemSize {
            case 2: element.storeBytes(of: element.loadUnaligned(as: UInt16.self).byteSwapped, as: UInt16.self)
            case 4: element.storeBytes(of: element.loadUnaligned(as: UInt32.self).byteSwapped, as: UInt32.self)
            default: element.storeBytes(of: element.loadUnaligned(as: UInt64.self).byteSwapped, as: UInt64.self)
            }
        }
    }
}
