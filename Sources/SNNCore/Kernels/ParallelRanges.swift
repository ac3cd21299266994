import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Splits an element-wise loop over `0..<count` into contiguous ranges run on several cores at once.
///
/// Why: the coordinator's part of a training step (fixed-point encode and exact sum of every micro-batch's
/// gradient, the optimizer update) runs on one thread while the workers' threads wait: on W1 (407 k parameters)
/// it took about as long as computing a micro-batch. Every element's result depends only on that element, so
/// the split cannot change a bit of it: the same values come out for any number of ranges.
public enum ParallelRanges {
    /// Cores to split over: the online CPUs, at most 8.
    public static let cores: Int = {
        #if canImport(Glibc)
        return max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
        #else
        return 1
        #endif
    }()

    /// Below this many elements per range a loop stays on the calling thread (a hand-off costs a few µs).
    public static let minimumPerRange = 1 << 16

    /// The ranges `run` uses for `count` elements: as many as `cores` allows with at least `minimumPerRange` each,
    /// boundaries on multiples of 16 (whole vectors), in order and covering `0..<count`.
    public static func ranges(count: Int, cores: Int = ParallelRanges.cores, minimumPerRange: Int = ParallelRanges.minimumPerRange) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let k = max(1, min(cores, count / max(1, minimumPerRange)))
        var out: [Range<Int>] = []
        var start = 0
        for i in 1...k {
            let end = i == k ? count : min(count, (count * i / k + 15) / 16 * 16)
            if end > start { out.append(start..<end) }
            start = end
        }
        return out
    }

    /// Calls `body` once per range of `ranges(count:)`, concurrently when there are several; returns when all did.
    public static func run(count: Int, _ body: (Range<Int>) -> Void) {
        let parts = ranges(count: count)
        if parts.count <= 1 { if let r = parts.first { body(r) }; return }
        withoutActuallyEscaping(body) { body in
            let shared = SharedBody(body)
            DispatchQueue.concurrentPerform(iterations: parts.count) { i in shared.body(parts[i]) }
        }
    }
}

/// The caller's closure, handed to the threads of `concurrentPerform` (it only touches disjoint ranges).
private final class SharedBody: @unchecked Sendable {
    let body: (Range<Int>) -> Void
    init(_ body: @escaping (Range<Int>) -> Void) { self.body = body }
}
