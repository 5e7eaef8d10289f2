import TensorKernels

/// Reads dtype names as clients send them.
public enum DTypeName {
    /// NumPy's names for element types leaky_relu_ is not defined on.
    static let nonFloatingNames: Set<String> = [
        "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool", "complex64", "complex128",
    ]

    /// The dtype called `name`; integer, bool and complex names are 422, anything else unknown is 400.
    public static func parse(_ name: String) throws(CodecError) -> DType {
        if let dtype = DType(rawValue: name) { return dtype }
        if nonFloatingNames.contains(name) {
            throw CodecError(.notFloatingPoint, "dtype \(name) is not floating point: leaky_relu_ is defined for float16, bfloat16, float32 and float64 only")
        }
        throw .malformed("dtype \"\(name.prefix(64))\" is unknown; use float16, bfloat16, float32 or float64")
    }
}
