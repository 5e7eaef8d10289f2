import TensorKernels

/// A decoded `POST /v2/models/leaky_relu/infer` body.
public struct KServeInferRequest: Sendable {
    /// Where the input tensor's elements are.
    public enum InputData: Sendable, Equatable {
        /// Read from JSON `data` into a new little-endian buffer.
        case json([UInt8])
        /// Binary, at this byte range of the request body, to be computed where it lies.
        case binary(Range<Int>)
        /// In a registered shared-memory region (Triton's system shared-memory extension).
        case sharedMemory(SharedMemoryReference)
    }

    /// `parameters.shared_memory_region`, `shared_memory_offset` and `shared_memory_byte_size` of an input or an
    /// output: where in a registered region its bytes are.
    public struct SharedMemoryReference: Sendable, Equatable {
        public var region: String
        public var offset: Int
        public var byteSize: Int

        public init(region: String, offset: Int, byteSize: Int) {
            self.region = region
            self.offset = offset
            self.byteSize = byteSize
        }
    }

    public struct RequestedOutput: Sendable, Equatable {
        public var name: String
        public var binaryData: Bool?
        /// Where the output is to be written instead of into the answer.
        public var sharedMemory: SharedMemoryReference?
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

    /// Where the output goes when it is written to shared memory rather than answered.
    public var outputSharedMemory: SharedMemoryReference? { outputs?.first?.sharedMemory }
}
