import TensorKernels

/// Open Inference Protocol datatype names for the dtypes the service computes.
public enum KServeDatatype {
    public static func name(of dtype: DType) -> String {
        switch dtype {
        case .float16: "FP16"
        case .bfloat16: "BF16"
        case .float32: "FP32"
        case .float64: "FP64"
        }
    }

    /// The dtype for a datatype name; any other datatype (integers, BOOL, BYTES) is a 400 in the protocol.
    public static func dtype(named name: String) throws(CodecError) -> DType {
        switch name {
        case "FP16": return .float16
        case "BF16": return .bfloat16
        case "FP32": return .float32
        case "FP64": return .float64
        default:
            throw .malformed("datatype \(name.prefix(32)) is not supported: leaky_relu_ takes FP16, BF16, FP32 or FP64")
        }
    }
}
