/// Order-independent exact summation of float vectors through fixed-point integers.
///
/// Each contribution is rounded once to a multiple of 2^-32 and added as Int64; integer addition is associative,
/// so the total is bit-identical whatever the order of arrival, the grouping into workers or their number. This is
/// what makes "same seed, same weights with 1, 2 or 3 workers" hold.
public struct ExactSum: Sendable, Equatable {
    public static let fractionBits = 32
    public static let scale = Double(1 << 32)
    /// Largest magnitude a single contribution may have (2^30), far above any sane gradient.
    public static let limit = Double(1 << 30)

    public private(set) var totals: [Int64]
    public private(set) var contributions = 0

    public init(count: Int) { totals = [Int64](repeating: 0, count: count) }

    /// Rounds a float vector to fixed point, or reports the first non-finite or out-of-range element.
    public static func encode(_ x: [Float]) throws(ExactSumError) -> [Int64] {
        var out = [Int64](repeating: 0, count: x.count)
        for i in x.indices {
            let v = Double(x[i])
            guard v.isFinite else { throw ExactSumError(description: "element \(i) is \(x[i])") }
            guard abs(v) < limit else { throw ExactSumError(description: "element \(i) = \(x[i]) exceeds ±2^30") }
            out[i] = Int64((v * scale).rounded(.toNearestOrEven))
        }
        return out
    }

    /// Adds one encoded contribution.
    public mutating func add(encoded: [Int64]) throws(ExactSumError) {
        guard encoded.count == totals.count else {
            throw ExactSumError(description: "length \(encoded.count), expected \(totals.count)")
        }
        for i in totals.indices {
            let (s, o) = totals[i].addingReportingOverflow(encoded[i])
            if o { throw ExactSumError(description: "overflow at element \(i)") }
            totals[i] = s
        }
        contributions += 1
    }

    public mutating func add(_ x: [Float]) throws(ExactSumError) { try add(encoded: try ExactSum.encode(x)) }

    /// The total times `factor` (e.g. 1/batch size), as floats.
    public func value(times factor: Double = 1) -> [Float] {
        totals.map { Float(Double($0) / ExactSum.scale * factor) }
    }
}

public struct ExactSumError: Error, CustomStringConvertible { public let description: String }
