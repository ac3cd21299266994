import SNNCore

/// Fixed-point gradients: `Int64` with 32 fraction bits (value = integer / 2^32).
///
/// Why: the coordinator sums one gradient contribution per micro-batch. Floating-point addition is not
/// associative, so a float sum would depend on arrival order and on how micro-batches were spread over
/// workers. Integer addition is associative and exact, so the summed gradient — and every weight after it —
/// is bit-identical for 1, 2 or 4 workers, in any order, after any retry (DESIGN "The training step" 4).
/// Encoding rounds each float to the nearest multiple of 2^-32 (error ≤ 2^-33). |x| must be below 2^30, so
/// one contribution stays below 2^62; realistic gradients (|g| ≪ 1) leave room for billions of
/// contributions, and `add` reports an overflow instead of wrapping.
public enum FixedPoint {
    /// Fraction bits of the representation.
    public static let fractionBits = 32
    /// 2^fractionBits as a Double (exact).
    public static let scale: Double = 4_294_967_296
    /// Inputs must satisfy |x| < magnitudeLimit (2^30).
    public static let magnitudeLimit: Float = 1_073_741_824

    /// `values` in fixed point. Throws `nonFinite` for NaN/Inf and `outOfRange` for |x| ≥ 2^30, naming the
    /// first offending index.
    public static func encode(_ values: UnsafeBufferPointer<Float>) throws(WireError) -> [Int64] {
        // The common case: one branch-free pass converts and shows every value small (hence valid).
        var fast = false
        let converted = [Int64](unsafeUninitializedCapacity: values.count) { out, n in
            if let base = values.baseAddress { fast = FixedPointKernels.encodeChecked(base, count: values.count, into: out.baseAddress!) }
            n = values.count
        }
        if fast || values.isEmpty { return converted }
        var ok = true
        for x in values { ok = ok && (x.magnitude < magnitudeLimit) }   // false for NaN and ±Inf too
        if !ok, let i = values.firstIndex(where: { !($0.magnitude < magnitudeLimit) }) {
            let x = values[i]
            if !x.isFinite { throw WireError(.nonFinite, "gradient[\(i)] is \(x); fixed point needs finite values") }
            throw WireError(.outOfRange, "gradient[\(i)] = \(x) is outside ±2^30, the fixed-point range")
        }
        // Vector loop (SNNCore's FixedPointKernels; equal to the per-element conversion bit for bit).
        return [Int64](unsafeUninitializedCapacity: values.count) { out, n in
            if let base = values.baseAddress { FixedPointKernels.encode(base, count: values.count, into: out.baseAddress!) }
            n = values.count
        }
    }

    /// `values` in fixed point; see `encode(_: UnsafeBufferPointer<Float>)`.
    public static func encode(_ values: [Float]) throws(WireError) -> [Int64] {
        var result: Result<[Int64], WireError> = .success([])
        values.withUnsafeBufferPointer { buffer in
            do throws(WireError) { result = .success(try encode(buffer)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// Floats of `values`, divided by `divisor` (e.g. the number of samples, to turn a sum into a mean).
    /// Each element is one correctly rounded Double division, then rounded to Float: deterministic.
    public static func decode(_ values: [Int64], dividedBy divisor: Int = 1) -> [Float] {
        let denominator = scale * Double(max(divisor, 1))
        return [Float](unsafeUninitializedCapacity: values.count) { out, n in
            values.withUnsafeBufferPointer { q in
                if let base = q.baseAddress { FixedPointKernels.decode(base, count: q.count, dividedBy: denominator, into: out.baseAddress!) }
            }
            n = values.count
        }
    }

    /// `accumulator[i] += other[i]` for all i, exactly. Throws (leaving `accumulator` unchanged) when the
    /// lengths differ or any element would overflow Int64.
    public static func add(into accumulator: inout [Int64], _ other: [Int64]) throws(WireError) {
        guard accumulator.count == other.count else {
            throw WireError(.countMismatch, "fixed-point sum of \(other.count) elements into \(accumulator.count)")
        }
        var failed = -1
        accumulator.withUnsafeMutableBufferPointer { acc in
            other.withUnsafeBufferPointer { o in
                // All or nothing: on overflow the kernel rolls every element back.
                if let a = acc.baseAddress, let b = o.baseAddress, let i = FixedPointKernels.add(into: a, b, count: acc.count) { failed = i }
            }
        }
        if failed >= 0 { throw WireError(.overflow, "fixed-point gradient sum overflowed at element \(failed)") }
    }
}
