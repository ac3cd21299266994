import Dispatch

/// Splits element-wise work on long flat vectors (gradient sums, optimizer updates) over threads.
///
/// Only for work where every element depends on its own inputs alone: the result is then the same bits for any
/// split, so thread counts never change parameters.
public enum ParallelRanges {
    /// Below this many elements per thread the work stays on one thread (a hand-off costs more than it saves).
    public static let minimumPerThread = 32_768

    /// Contiguous ranges covering `0..<count`, at most `threads` of them, each a multiple of 64 elements except the
    /// last (whole cache lines per thread).
    public static func split(count: Int, threads: Int) -> [Range<Int>] {
        let parts = max(1, min(threads, count / minimumPerThread))
        guard parts > 1 else { return [0..<count] }
        let size = ((count + parts - 1) / parts + 63) / 64 * 64
        return stride(from: 0, to: count, by: size).map { $0..<min(count, $0 + size) }
    }

    /// Runs `body` once per range of `split(count:threads:)`, concurrently when there is more than one.
    public static func forEach(count: Int, threads: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let ranges = split(count: count, threads: threads)
        if ranges.count == 1 { body(ranges[0]); return }
        DispatchQueue.concurrentPerform(iterations: ranges.count) { body(ranges[$0]) }
    }
}
