import ArgumentParser
import Foundation
import TensorCodecs
import TensorKernels
import TensorService

/// `tensor-bench kernel`: leaky_relu_ per dtype and size, beside memcpy and an in-place scale loop over the same
/// buffer, single thread and on all workers.
struct KernelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel", abstract: "leaky_relu_ GB/s and elements/s against memcpy and the scale loop.")

    @Option(help: "Element counts to measure.")
    var sizes: [Int] = [1 << 10, 1 << 16, 1 << 20, 1 << 24, 1 << 26]

    @Option(help: "Threads for the parallel figures (default: active CPUs).")
    var workers: Int?

    @Option(help: "Force a vector path: portable, avx2 or avx512 (default: the best this CPU has).")
    var path: String?

    // 1 takes the kernels' common case (0 < slope <= 1, as the default 0.01) and keeps values unchanged, so repeated
    // runs over one buffer never drift into subnormals; -1 takes the general case (any other slope).
    @Option(help: "The slope: 1 for the usual case 0 < slope <= 1 (values stay as they are), -1 for any other.")
    var slope: Double = 1

    func run() throws {
        let threads = workers ?? ProcessInfo.processInfo.activeProcessorCount
        let kernelPath = try path.map(KernelPath.forced) ?? KernelPath.best
        let pool = WorkerPool(threadCount: threads, maxQueue: 16)
        print("leaky_relu_ kernel, path \(kernelPath), slope \(slope), \(threads) worker thread(s); GB/s counts bytes read + written.")
        print("ratio = kernel / scale loop (same buffer, same dispatch); scale/memcpy shows the reference is not slow.")
        print("16-bit types: the scale loop runs over them as float32 pairs (the memory limit); ref is the plain loop")
        print("for the path that widens, multiplies and rounds back (the conversion limit), and k/ref the kernel's ratio to it.")
        print("")
        print(pad("dtype", 9) + pad("elements", 10) + pad("memcpy", 9) + pad("scale", 9) + pad("kernel", 9)
            + pad("Gelem/s", 9) + pad("ratio", 7) + pad("ref", 9) + pad("k/ref", 7) + pad("scale/mc", 9) + pad("‖scale", 9) + pad("‖kernel", 9)
            + pad("‖Gelem/s", 9) + pad("‖ratio", 7))
        for dtype in DType.allCases {
            for count in sizes {
                let row = measure(dtype, count: count, path: kernelPath, pool: pool)
                print(row)
            }
        }
        pool.stop()
    }

    private func measure(_ dtype: DType, count: Int, path: KernelPath, pool: WorkerPool) -> String {
        let bytes = count * dtype.itemSize
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let copy = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer {
            buffer.deallocate()
            copy.deallocate()
        }
        fill(buffer, dtype: dtype, count: count)
        // A local copy: reading the @Option property inside the timed closures costs a generic metadata lookup per
        // call, ~30 ns, which is most of a 1 Ki call.
        let slope = slope
        memset(copy, 0, bytes)
        let traffic = Double(2 * bytes) / 1e9
        // A factor of -1 (and a slope of ±1) keeps every value normal however often the loop runs over the same buffer.
        let memcpySeconds = Stopwatch.secondsPerCall { memcpy(copy, buffer, bytes) }
        // The kernel is timed in alternation with each limit it is compared with, and each ratio is the median of
        // the rounds' own ratios: a noisy phase of the machine then slows both sides of a ratio alike.
        let (scaleSeconds, kernelSeconds, scaleRatio) = Stopwatch.paired(
            reference: { ScaleLoop.apply(dtype, to: buffer, count: count, factor: -1, path: path) },
            subject: { LeakyReLU.apply(dtype, to: buffer, count: count, slope: slope, path: path) })
        let isNarrow = dtype == .float16 || dtype == .bfloat16
        var (referenceSeconds, referenceRatio) = (scaleSeconds, scaleRatio)
        if isNarrow {
            let pair = Stopwatch.paired(
                reference: { ScaleLoop.applyConverting(dtype, to: buffer, count: count, factor: -1, path: path) },
                subject: { LeakyReLU.apply(dtype, to: buffer, count: count, slope: slope, path: path) })
            (referenceSeconds, referenceRatio) = (pair.reference, pair.ratio)
        }
        let plan = ChunkPlan(count: count, itemSize: dtype.itemSize, maxPieces: pool.threadCount * 4)
        let shared = SharedBytes(base: buffer)
        let parallelScale = Stopwatch.secondsPerCall {
            onPool(pool) {
                pool.parallelFor(plan.ranges) { range in
                    ScaleLoop.apply(dtype, to: shared.base + range.lowerBound * dtype.itemSize, count: range.count, factor: -1, path: path)
                }
            }
        }
        let parallelKernel = Stopwatch.secondsPerCall {
            onPool(pool) {
                pool.parallelFor(plan.ranges) { range in
                    LeakyReLU.apply(dtype, to: shared.base + range.lowerBound * dtype.itemSize, count: range.count, slope: slope, path: path)
                }
            }
        }
        func rate(_ seconds: Double) -> String { String(format: "%.1f", traffic / seconds) }
        func ratio(_ a: Double, _ b: Double) -> String { String(format: "%.2f", b / a) }
        return pad(dtype.rawValue, 9) + pad(sizeLabel(count), 10) + pad(rate(memcpySeconds), 9) + pad(rate(scaleSeconds), 9)
            + pad(rate(kernelSeconds), 9) + pad(String(format: "%.2f", Double(count) / kernelSeconds / 1e9), 9)
            + pad(String(format: "%.2f", scaleRatio), 7)
            + pad(isNarrow ? rate(referenceSeconds) : "-", 9) + pad(isNarrow ? String(format: "%.2f", referenceRatio) : "-", 7)
            + pad(ratio(scaleSeconds, memcpySeconds), 9)
            + pad(rate(parallelScale), 9) + pad(rate(parallelKernel), 9)
            + pad(String(format: "%.2f", Double(count) / parallelKernel / 1e9), 9) + pad(ratio(parallelKernel, parallelScale), 7)
    }

    /// Runs `body` as a job on the pool, as the service does, and waits for it.
    private func onPool(_ pool: WorkerPool, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        while pool.submit({ body(); done.signal() }) == .rejected {}
        done.wait()
    }

    private func fill(_ buffer: UnsafeMutableRawPointer, dtype: DType, count: Int) {
        var state: UInt64 = 0x1234_5678
        for index in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 100
            switch dtype {
            case .float16: buffer.storeBytes(of: Float16(value).bitPattern, toByteOffset: index * 2, as: UInt16.self)
            case .bfloat16: buffer.storeBytes(of: BFloat16Bits.bits(from: value), toByteOffset: index * 2, as: UInt16.self)
            case .float32: buffer.storeBytes(of: value, toByteOffset: index * 4, as: Float.self)
            case .float64: buffer.storeBytes(of: Double(value), toByteOffset: index * 8, as: Double.self)
            }
        }
    }
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

func sizeLabel(_ count: Int) -> String {
    if count >= 1 << 20 && count % (1 << 20) == 0 { return "\(count >> 20) Mi" }
    if count >= 1 << 10 && count % (1 << 10) == 0 { return "\(count >> 10) Ki" }
    return "\(count)"
}

extension KernelPath {
    /// The path `--path` names, if this CPU supports it.
    static func forced(_ name: String) throws -> KernelPath {
        guard let found = allCases.first(where: { $0.description == name }), found.isSupported else {
            throw ValidationError("path \(name) is unknown or not supported by this CPU")
        }
        return found
    }
}
