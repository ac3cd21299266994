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
