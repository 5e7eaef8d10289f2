import Foundation
import Synchronization

/// Triton's statistics extension for the one model: counts and nanoseconds of successful and failed inferences and
/// of their stages, as `tritonclient`'s `get_inference_statistics` and `perf_analyzer` read them.
///
/// Only KServe infer requests count: they are the model's inferences. Stages: `queue` is the wait for a worker,
/// `compute_input` inflating and decoding the body, `compute_infer` leaky_relu_ itself, `compute_output` encoding
/// and compressing the answer; `success` is their sum.
package final class InferenceStatistics: Sendable {
    /// One stage's or outcome's totals.
    struct Duration: Sendable {
        var count = 0
        var nanoseconds: UInt64 = 0

        mutating func add(_ nanoseconds: UInt64) {
            count += 1
            self.nanoseconds &+= nanoseconds
        }

        var json: String { #"{"count":\#(count),"ns":\#(nanoseconds)}"# }
    }

    struct Totals: Sendable {
        var success = Duration()
        var fail = Duration()
        var queue = Duration()
        var computeInput = Duration()
        var computeInfer = Duration()
        var computeOutput = Duration()
        /// Milliseconds since 1970 of the last inference, 0 before the first.
        var lastInference: UInt64 = 0
    }

    private let totals = Mutex(Totals())

    package init() {}

    /// A successful inference and its stages.
    func recordSuccess(queue: UInt64, stages: PipelineTiming) {
        let now = Self.millisecondsSince1970()
        totals.withLock { totals in
            totals.success.add(queue &+ stages.input &+ stages.infer &+ stages.output)
            totals.queue.add(queue)
            totals.computeInput.add(stages.input)
            totals.computeInfer.add(stages.infer)
            totals.computeOutput.add(stages.output)
            totals.lastInference = now
        }
    }

    /// The totals now.
    var snapshot: Totals { totals.withLock { $0 } }

    /// A failed inference (a 4xx or 5xx answer from the pipeline) and how long it took.
    func recordFailure(nanoseconds: UInt64) {
        totals.withLock { $0.fail.add(nanoseconds) }
    }

    /// `{"model_stats": [...]}` for `GET /v2/models/stats` and the model's own stats routes.
    package func json(modelName: String, version: String) -> String {
        let totals = totals.withLock { $0 }
        let stats = [
            "\"success\":\(totals.success.json)", "\"fail\":\(totals.fail.json)", "\"queue\":\(totals.queue.json)",
            "\"compute_input\":\(totals.computeInput.json)", "\"compute_infer\":\(totals.computeInfer.json)",
            "\"compute_output\":\(totals.computeOutput.json)", "\"cache_hit\":\(Duration().json)",
            "\"cache_miss\":\(Duration().json)",
        ].joined(separator: ",")
        // Every request is one inference and one execution of batch size 1: there is no batching.
        let batch = #"{"batch_size":1,"compute_input":\#(totals.computeInput.json),"#
            + #""compute_infer":\#(totals.computeInfer.json),"compute_output":\#(totals.computeOutput.json)}"#
        return #"{"model_stats":[{"name":"\#(modelName)","version":"\#(version)","last_inference":\#(totals.lastInference),"#
            + #""inference_count":\#(totals.success.count),"execution_count":\#(totals.success.count),"#
            + #""inference_stats":{\#(stats)},"response_stats":{},"#
            + #""batch_stats":[\#(totals.success.count > 0 ? batch : "")],"memory_usage":[]}]}"#
    }

    private static func millisecondsSince1970() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }
}
