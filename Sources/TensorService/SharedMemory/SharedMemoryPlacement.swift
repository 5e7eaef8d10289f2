import TensorCodecs
import TensorHTTP
import TensorMemory

/// Where an infer request's tensor is computed when shared memory is named, and what is checked once it is.
///
/// An output placed at its input's region and offset is computed there, in the caller's memory. An output in
/// another place gets the input copied there first and is computed in it (the input stays as the client wrote
/// it). An input in shared memory with the output in the answer is copied out. An output in shared memory for
/// an input in the body is copied there after the computation.
struct SharedMemoryPlacement {
    /// The tensor to compute, in its place.
    let tensor: TensorBuffer
    /// The output's place, when the result must be copied there after computing.
    private let copyResultTo: TensorRegion?
    /// The regions used, checked after the computation for an object that shrank meanwhile.
    private let regions: [SharedMemoryRegion]
    private let registry: SharedMemoryRegistry?

    init(
        _ request: KServeInferRequest, body: ByteBuffer, registry: SharedMemoryRegistry?, admit: MemoryAdmission
    ) throws {
        self.registry = registry
        let inputReference: KServeInferRequest.SharedMemoryReference? =
            if case .sharedMemory(let reference) = request.data { reference } else { nil }
        let outputReference = request.outputSharedMemory
        guard inputReference != nil || outputReference != nil else {
            tensor = try TensorBuffer(kserve: request, body: TensorRegion(body: body))
            copyResultTo = nil
            regions = []
            return
        }
        guard let registry else {
            throw SharedMemoryRegion.error(
                "the system shared-memory extension is disabled; start the server with --shared-memory system")
        }
        var regions: [SharedMemoryRegion] = []
        // Looked up and checked once per region, however many references name it.
        func resolve(
            _ reference: KServeInferRequest.SharedMemoryReference, count: Int
        ) throws(ServiceError) -> (place: TensorRegion, object: SharedMemoryRegion.ObjectIdentity, objectOffset: Int) {
            let region: SharedMemoryRegion
            if let known = regions.first(where: { $0.name == reference.region }) {
                region = known
            } else {
                region = try registry.region(named: reference.region)
                try region.checkIntact()
                regions.append(region)
            }
            let place = try region.tensorRegion(offset: reference.offset, count: count)
            return (place, region.object, region.offset + reference.offset)
        }
        let byteCount = try TensorShape.byteCount(
            elements: try TensorShape.elementCount(request.shape), itemSize: request.dtype.itemSize)
        var output: (place: TensorRegion, object: SharedMemoryRegion.ObjectIdentity, objectOffset: Int)?
        if let outputReference {
            guard outputReference.byteSize >= byteCount else {
                throw SharedMemoryRegion.error(
                    "outputs[0]: shared_memory_byte_size \(outputReference.byteSize) is smaller than the output (\(byteCount) bytes)")
            }
            output = try resolve(outputReference, count: byteCount)
        }
        if let inputReference {
            let input = try resolve(inputReference, count: byteCount)
            if let output {
                // Computed where the output goes; in place when those are the input's bytes (through one region or
                // two over the same object).
                let sameObject = input.object == output.object
                if !(sameObject && input.objectOffset == output.objectOffset) {
                    Self.copy(byteCount, from: input.place, to: output.place,
                              overlapping: sameObject && abs(input.objectOffset - output.objectOffset) < byteCount)
                }
                tensor = TensorBuffer(dtype: request.dtype, shape: request.shape, layout: .flat, storage: .region(output.place))
            } else {
                // The answer carries the output: the client's input is copied, not overwritten.
                try CodecError.admitting(byteCount, for: "the copy of the shared-memory input", admit)
                tensor = TensorBuffer(
                    dtype: request.dtype, shape: request.shape, layout: .flat,
                    storage: .array(Array(UnsafeRawBufferPointer(input.place.bytes))))
            }
            copyResultTo = nil
        } else {
            tensor = try TensorBuffer(kserve: request, body: TensorRegion(body: body))
            copyResultTo = output?.place
        }
        self.regions = regions
    }

    /// Copies the input to the output's place. Two regions over overlapping parts of one object share bytes at
    /// unrelated addresses, which a plain copy cannot see: those go through a buffer.
    private static func copy(_ count: Int, from source: TensorRegion, to destination: TensorRegion, overlapping: Bool) {
        guard let from = source.bytes.baseAddress, let to = destination.bytes.baseAddress else { return }
        if overlapping {
            let staged = Array(UnsafeRawBufferPointer(start: from, count: count))
            staged.withUnsafeBytes { to.copyMemory(from: $0.baseAddress!, byteCount: count) }
        } else {
            to.copyMemory(from: from, byteCount: count)
        }
    }

    /// After the computation: the result copied to its region if it was computed elsewhere, then every region
    /// checked. A region whose object shrank meanwhile is unregistered and the request fails.
    func finish(_ tensor: TensorBuffer) throws(ServiceError) {
        if let copyResultTo, let destination = copyResultTo.bytes.baseAddress {
            tensor.withBytes { source in
                if let start = source.baseAddress { destination.copyMemory(from: start, byteCount: source.count) }
            }
        }
        for region in regions where region.hasFaulted {
            registry?.drop(region)
            throw SharedMemoryRegion.error(
                "the shared-memory object of region '\(region.name)' became inaccessible during the request (it shrank, or "
                    + "/dev/shm is full); the region is unregistered")
        }
    }
}
