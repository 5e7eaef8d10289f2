/// Reorders elements between Fortran (column-major) and C (row-major) order: `.npy` files may hold either, and
/// the JSON and raw formats are C order.
public enum MemoryOrder {
    /// A C-order copy of Fortran-order data with `shape`.
    public static func cOrder(fromFortran source: UnsafeRawBufferPointer, shape: [Int], itemSize: Int) -> [UInt8] {
        permute(source, shape: shape, itemSize: itemSize, toFortran: false)
    }

    /// A Fortran-order copy of C-order data with `shape`.
    public static func fortranOrder(fromC source: UnsafeRawBufferPointer, shape: [Int], itemSize: Int) -> [UInt8] {
        permute(source, shape: shape, itemSize: itemSize, toFortran: true)
    }

    private static func permute(_ source: UnsafeRawBufferPointer, shape: [Int], itemSize: Int, toFortran: Bool) -> [UInt8] {
        let count = source.count / itemSize
        guard shape.count > 1, count > 0 else { return Array(source) }
        // Strides in elements of the Fortran layout, walked in C order by an odometer over the indices.
        var fortranStrides = [Int](repeating: 1, count: shape.count)
        for axis in 1..<shape.count { fortranStrides[axis] = fortranStrides[axis - 1] * shape[axis - 1] }
        return [UInt8](unsafeUninitializedCapacity: source.count) { output, initialized in
            var index = [Int](repeating: 0, count: shape.count)
            var fortranOffset = 0
            for cOffset in 0..<count {
                let from = toFortran ? cOffset : fortranOffset
                let to = toFortran ? fortranOffset : cOffset
                (output.baseAddress! + to * itemSize).update(
                    from: source.baseAddress!.advanced(by: from * itemSize).assumingMemoryBound(to: UInt8.self), count: itemSize)
                var axis = shape.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    fortranOffset += fortranStrides[axis]
                    if index[axis] < shape[axis] { break }
                    fortranOffset -= fortranStrides[axis] * shape[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
            initialized = source.count
        }
    }
}
