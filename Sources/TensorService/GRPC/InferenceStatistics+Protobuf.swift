import TensorCodecs

extension InferenceStatistics {
    /// `ModelStatisticsResponse` for the one model: the same counters as `GET /v2/models/stats`.
    func protobuf(modelName: String, version: String) -> [UInt8] {
        let totals = snapshot
        func duration(_ field: Int, _ value: Duration, into writer: inout ProtoWriter) {
            writer.message(field) { entry in
                entry.uint64(1, UInt64(value.count))
                entry.uint64(2, value.nanoseconds)
            }
        }
        var writer = ProtoWriter(capacity: 256)
        writer.message(1) { model in
            model.string(1, modelName)
            model.string(2, version)
            model.uint64(3, totals.lastInference)
            model.uint64(4, UInt64(totals.success.count))
            model.uint64(5, UInt64(totals.success.count))
            model.message(6) { stats in
                duration(1, totals.success, into: &stats)
                duration(2, totals.fail, into: &stats)
                duration(3, totals.queue, into: &stats)
                duration(4, totals.computeInput, into: &stats)
                duration(5, totals.computeInfer, into: &stats)
                duration(6, totals.computeOutput, into: &stats)
                duration(7, Duration(), into: &stats)
                duration(8, Duration(), into: &stats)
            }
            if totals.success.count > 0 {
                model.message(7) { batch in
                    batch.uint64(1, 1)
                    duration(2, totals.computeInput, into: &batch)
                    duration(3, totals.computeInfer, into: &batch)
                    duration(4, totals.computeOutput, into: &batch)
                }
            }
        }
        return writer.bytes
    }
}
