import TensorKernels

/// A decoded `application/json` tensor request: typed little-endian bytes plus what the answer must mirror.
public struct JSONTensorRequest: Sendable {
    public var dtype: DType
    public var shape: [Int]
    public var layout: TensorLayout
    /// `negative_slope` from the body, if it had one.
    public var negativeSlope: Double?
    /// `count × itemSize` bytes in the host's (little-endian) order.
    public var data: [UInt8]
    /// The name the data had (`data`; `instances` or `inputs` in KServe V1).
    public var dataKey = "data"

    public var count: Int { data.count / dtype.itemSize }
}
