/// NumPy `.npy`: the header says dtype, byte order, memory order and shape; the data follows it, read in place.
extension TensorBuffer {
    /// The tensor of the `.npy` file that fills `file`, its data left where it lies.
    public init(npy file: TensorRegion) throws(CodecError) {
        let header = try NPYHeader.parse(UnsafeRawBufferPointer(file.bytes))
        self.init(
            dtype: header.dtype, shape: header.shape, isBigEndian: header.isBigEndian,
            isFortranOrder: header.isFortranOrder, storage: .region(file.subregion(header.dataOffset..<file.range.count)))
    }

    /// The header of this tensor as a `.npy` file, in its own byte and memory order; the elements follow as they
    /// lie. NumPy has no bfloat16.
    public func npyHeader() throws(CodecError) -> [UInt8] {
        guard dtype != .bfloat16 else {
            throw CodecError(.notRepresentable, "bfloat16 cannot be written as .npy; ask for application/json or application/octet-stream")
        }
        return NPYHeader(dtype: dtype, isBigEndian: isBigEndian, isFortranOrder: isFortranOrder, shape: shape).encoded()
    }
}
