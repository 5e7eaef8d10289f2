import TensorMemory

/// `{"dtype", "shape", "data"}` documents, nested or flat.
extension TensorBuffer {
    /// Decodes a JSON tensor document into an array of its own; `admit` is asked for its bytes first, and a large one
    /// is read in pieces on `parallel`. Returns the document's `negative_slope` too, if it had one.
    public static func decodingJSON(
        _ text: UnsafeRawBufferPointer, dataKeys: [String] = ["data"], admit: MemoryAdmission = admitAnything,
        parallel: ParallelPieces = .serial
    ) throws(CodecError) -> (tensor: TensorBuffer, negativeSlope: Double?, dataKey: String) {
        let document = try JSONTensorReader.read(text, dataKeys: dataKeys, admit: admit, parallel: parallel)
        let tensor = TensorBuffer(dtype: document.dtype, shape: document.shape, layout: document.layout, storage: .array(document.data))
        return (tensor, document.negativeSlope, document.dataKey)
    }

    /// This tensor as a JSON document mirroring the request's layout, `{"dtype", "shape", "data"}` or `header`, the
    /// data and `}`; `admit` is asked for its largest size.
    public mutating func jsonDocument(
        header: String? = nil, admit: MemoryAdmission = admitAnything, parallel: ParallelPieces = .serial
    ) throws(CodecError) -> [UInt8] {
        try makeLittleEndianCOrder(admit: admit)
        let (dtype, shape, layout) = (dtype, shape, layout)
        return try withBytes { bytes throws(CodecError) in
            try JSONTensorWriter.write(
                dtype: dtype, shape: shape, layout: layout, data: bytes, header: header, admit: admit, parallel: parallel)
        }
    }

    /// Just the elements as a flat JSON array, for protocols that wrap it themselves (KServe's `data`); a large one
    /// is written in pieces on `parallel`'s threads.
    public mutating func jsonFlatArray(
        admit: MemoryAdmission = admitAnything, parallel: ParallelPieces = .serial
    ) throws(CodecError) -> [UInt8] {
        try makeLittleEndianCOrder(admit: admit)
        let dtype = dtype
        return try withBytes { bytes throws(CodecError) in
            try JSONTensorWriter.flatArray(dtype: dtype, data: bytes, admit: admit, parallel: parallel)
        }
    }
}
