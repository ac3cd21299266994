import Foundation
import SNNCore

/// Order-independent exact summation of float vectors: an accumulator over the wire's `FixedPoint` encoding.
///
/// Each contribution is rounded once to a multiple of 2^-32 and added as Int64; integer addition is associative,
/// so the total is bit-identical whatever the order of arrival, the grouping into workers or their number. This is
/// what makes "same seed, same weights with 1, 2 or 3 workers" hold. Workers send exactly these integers.
public struct ExactSum: Sendable, Equatable {
    public private(set) var totals: [Int64]
    public private(set) var contributions = 0

    public init(count: Int) { totals = [Int64](repeating: 0, count: count) }

    /// Rounds a float vector to fixed point, or reports the first non-finite or out-of-range element.
    public static func encode(_ x: [Float]) throws(ExactSumError) -> [Int64] {
        do { return try FixedPoint.encode(x) } catch { throw ExactSumError(description: error.message) }
    }

    /// Adds one encoded contribution (all or nothing: on overflow the totals are unchanged).
    public mutating func add(encoded: [Int64]) throws(ExactSumError) {
        do { try FixedPoint.add(into: &totals, encoded) } catch { throw ExactSumError(description: error.message) }
        contributions += 1
    }

    public mutating func add(_ x: [Float]) throws(ExactSumError) { try add(encoded: try ExactSum.encode(x)) }

    /// The exact sum of `contributions` (each `count` long) with the vector split over `threads`: the same bits as
    /// adding them one by one, for any split. Throws, as `add(encoded:)` would on the first offending contribution,
    /// for a contribution of another length or an Int64 overflow (naming its first element).
    public static func total(of contributions: [[Int64]], count: Int, threads: Int) throws(ExactSumError) -> ExactSum {
        for c in contributions where c.count != count {
            throw ExactSumError(description: "fixed-point sum of \(c.count) elements into \(count)")
        }
        var sum = ExactSum(count: 0)
        sum.contributions = contributions.count
        guard let head = contributions.first else { sum.totals = [Int64](repeating: 0, count: count); return sum }
        // One contribution (a single worker's step sum) is its own total: shared, not copied.
        if contributions.count == 1 { sum.totals = head; return sum }
        // Per range, the first (contribution, element) that overflowed; the smallest over ranges is the sequential one.
        let firstOverflow = OverflowRecord()
        sum.totals = [Int64](unsafeUninitializedCapacity: count) { out, n in
            let totals = SendablePointer(out.baseAddress)
            ParallelRanges.forEach(count: count, threads: threads) { range in
                guard let t = totals.pointer else { return }
                let lo = range.lowerBound, len = range.count
                // The first two in one pass (sum), then the others added in order.
                for k in 1..<contributions.count {
                    let failed = contributions[k].withUnsafeBufferPointer { c in
                        k == 1 ? head.withUnsafeBufferPointer { h in FixedPointKernels.sum(h.baseAddress! + lo, c.baseAddress! + lo, count: len, into: t + lo) }
                               : FixedPointKernels.add(into: t + lo, c.baseAddress! + lo, count: len)
                    }
                    if let i = failed { firstOverflow.note(contribution: k, element: lo + i); return }
                }
            }
            n = count
        }
        if let (_, i) = firstOverflow.first { throw ExactSumError(description: "fixed-point gradient sum overflowed at element \(i)") }
        return sum
    }

    /// `value(times:)` with the vector split over `threads` (the same bits for any split).
    public func value(times factor: Double, threads: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: totals.count) { out, n in
            let o = SendablePointer(out.baseAddress)
            totals.withUnsafeBufferPointer { q in
                guard let base = q.baseAddress, o.pointer != nil else { return }
                let source = SendablePointer(UnsafeMutablePointer(mutating: base))   // read only
                ParallelRanges.forEach(count: q.count, threads: threads) { r in
                    FixedPointKernels.value(source.pointer! + r.lowerBound, count: r.count, times: factor, into: o.pointer! + r.lowerBound)
                }
            }
            n = totals.count
        }
    }

    /// The total times `factor` (e.g. 1/batch size), as floats.
    public func value(times factor: Double = 1) -> [Float] {
        [Float](unsafeUninitializedCapacity: totals.count) { out, n in
            totals.withUnsafeBufferPointer { q in
                if let base = q.baseAddress { FixedPointKernels.value(base, count: q.count, times: factor, into: out.baseAddress!) }
            }
            n = totals.count
        }
    }
}

public struct ExactSumError: Error, CustomStringConvertible { public let description: String }

/// The earliest overflow several ranges reported (smallest contribution, then smallest element).
private final class OverflowRecord: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var first: (contribution: Int, element: Int)?
    func note(contribution: Int, element: Int) {
        lock.lock(); defer { lock.unlock() }
        if let f = first, (f.contribution, f.element) <= (contribution, element) { return }
        first = (contribution, element)
    }
}

/// A buffer address handed to the threads of one `ParallelRanges.forEach` (each writes its own range).
private struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>?
    init(_ p: UnsafeMutablePointer<T>?) { pointer = p }
}
