import TensorKernels

/// A decoded `POST /v2/models/leaky_relu/infer` body.
public struct KServeInferRequest: Sendable {
    /// Where the input tensor's elements are.
    public enum InputData: Sendable, Equatable {
        /// Read from JSON `data` into a new little-endian buffer.
        case json([UInt8])
        /// Binary, at this byte range of the request body, to be computed where it lies.
        case binary(Range<Int>)
    }

    public struct RequestedOutput: Sendable, Equatable {
        public var name: String
        public var binaryData: Bool?
    }

    public var id: String?
    public var negativeSlope: Double?
    /// `parameters.binary_data_output`: every output as binary unless the output says otherwise.
    public var binaryDataOutput: Bool
    public var inputName: String
    public var dtype: DType
    public var shape: [Int]
    public var data: InputData
    /// Absent means "all outputs", with `binaryDataOutput` deciding their form.
    public var outputs: [RequestedOutput]?

    /// Whether the one output is sent as binary.
    public var wantsBinaryOutput: Bool {
        outputs?.first?.binaryData ?? binaryDataOutput
    }
}
