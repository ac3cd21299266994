// Vector loops for the exact (fixed-point) gradient sum: float → Int64 with 32 fraction bits, Int64 addition with
// overflow detection, and Int64 → float.
//
// Why: AVX2 has no vector conversion between Double and Int64 (AVX-512DQ has), and `addingReportingOverflow` with an
// early exit does not vectorise, so the straightforward loops run one element at a time; on W1 (407 k parameters,
// two micro-batches a step) that was about a fifth of training time. The conversions here use the 1.5·2^52 "magic
// number": for an integer-valued or real v with |v| < 2^51, `v + 1.5·2^52` lands in [2^52, 2^53), where the double's
// spacing is 1, so the addition rounds v to the nearest integer (ties to even) and the low mantissa bits hold it.
// The results equal the scalar references bit for bit; inputs outside the fast range go through the references.

/// Fixed-point kernels (2^-32 units); each has its scalar reference next to it.
public enum FixedPointKernels {
    /// 1.5·2^52.
    static let magic: Double = 6_755_399_441_055_744
    /// |x| below this (2^19) gives |x·2^32| < 2^51, the magic number's exact range.
    static let fastLimit: Float = 524_288
    public static let scale: Double = 4_294_967_296

    /// `out[i] = round(x[i]·2^32)` (to nearest, ties to even), for finite |x| < 2^30 (the caller validates).
    public static func encode(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Int64>) {
        if !allFast(x, count: count) { encodeReference(x, count: count, into: out); return }
        encodeFast(x, count: count, into: out)
    }

    /// Whether every |x| < 2^19 (false for NaN and ±Inf too): then the values are valid fixed-point inputs and
    /// `encodeFast` converts them. One branch-free pass.
    public static func allFast(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        // Vector lanes (a comparison per lane, no branch); NaN compares false, so it counts as not fast.
        let limit = Vec16(repeating: fastLimit)
        var fast = SIMDMask<SIMD16<Int32>>(repeating: true)
        var i = 0
        while i + 16 <= count { fast .&= abs16(load16(x + i)) .< limit; i += 16 }
        guard all(fast) else { return false }
        while i < count { if !(x[i].magnitude < fastLimit) { return false }; i += 1 }
        return true
    }

    /// `encode` for inputs `allFast` accepted.
    public static func encodeFast(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Int64>) {
        let m = magic, bits = magic.bitPattern, s = scale
        for i in 0..<count {
            let t = Double(x[i]) * s + m
            out[i] = Int64(bitPattern: t.bitPattern &- bits)
        }
    }

    /// Reference of `encode`: one conversion per element.
    public static func encodeReference(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Int64>) {
        for i in 0..<count { out[i] = Int64((Double(x[i]) * scale).rounded(.toNearestOrEven)) }
    }

    /// `accumulator[i] += other[i]` for all i, wrapping; returns the first index that overflowed, or nil. On
    /// overflow every element is restored (all or nothing), as `addReference` leaves it.
    public static func add(into accumulator: UnsafeMutablePointer<Int64>, _ other: UnsafePointer<Int64>, count: Int) -> Int? {
        guard wrappingSum(UnsafePointer(accumulator), other, count: count, into: accumulator) else { return nil }
        var first: Int? = nil
        for i in 0..<count {
            let s = accumulator[i], b = other[i], a = s &- b
            if first == nil && ((a ^ s) & (b ^ s)) < 0 { first = i }
            accumulator[i] = a
        }
        return first
    }

    /// `out[i] = a[i] + b[i]` for all i; returns the first index whose signed addition overflowed, or nil (`out` then
    /// holds wrapped sums and must be discarded). One pass where copying `a` and then `add`ing `b` would take two.
    public static func sum(_ a: UnsafePointer<Int64>, _ b: UnsafePointer<Int64>, count: Int, into out: UnsafeMutablePointer<Int64>) -> Int? {
        guard wrappingSum(a, b, count: count, into: out) else { return nil }
        for i in 0..<count where a[i].addingReportingOverflow(b[i]).overflow { return i }
        return nil
    }

    /// `out[i] = a[i] &+ b[i]` (`out` may be `a`); true iff some signed addition overflowed. Branch-free, so it
    /// vectorises: the caller finds which element only in the rare overflow case.
    @inline(__always)
    static func wrappingSum(_ a: UnsafePointer<Int64>, _ b: UnsafePointer<Int64>, count: Int, into out: UnsafeMutablePointer<Int64>) -> Bool {
        var flags: Int64 = 0
        for i in 0..<count {
            let x = a[i], y = b[i], s = x &+ y
            flags |= (x ^ s) & (y ^ s)          // negative iff the signed addition overflowed
            out[i] = s
        }
        return flags < 0
    }

    /// Reference of `add`: checked element by element, rolled back on the first overflow.
    public static func addReference(into accumulator: UnsafeMutablePointer<Int64>, _ other: UnsafePointer<Int64>, count: Int) -> Int? {
        for i in 0..<count {
            let (sum, overflow) = accumulator[i].addingReportingOverflow(other[i])
            if overflow {
                for j in 0..<i { accumulator[j] &-= other[j] }
                return i
            }
            accumulator[i] = sum
        }
        return nil
    }

    /// `out[i] = Float(Double(q[i]) / denominator)` (one correctly rounded division, then rounding to Float).
    public static func decode(_ q: UnsafePointer<Int64>, count: Int, dividedBy denominator: Double, into out: UnsafeMutablePointer<Float>) {
        if !allSmall(q, count: count) { decodeReference(q, count: count, dividedBy: denominator, into: out); return }
        let m = magic, bits = magic.bitPattern
        for i in 0..<count { out[i] = Float((Double(bitPattern: bits &+ UInt64(bitPattern: q[i])) - m) / denominator) }
    }

    /// Reference of `decode`.
    public static func decodeReference(_ q: UnsafePointer<Int64>, count: Int, dividedBy denominator: Double, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<count { out[i] = Float(Double(q[i]) / denominator) }
    }

    /// `out[i] = Float(Double(q[i]) / 2^32 · factor)` (division, then multiplication, each rounded; then to Float).
    public static func value(_ q: UnsafePointer<Int64>, count: Int, times factor: Double, into out: UnsafeMutablePointer<Float>) {
        if !allSmall(q, count: count) { valueReference(q, count: count, times: factor, into: out); return }
        let m = magic, bits = magic.bitPattern, s = scale
        for i in 0..<count { out[i] = Float((Double(bitPattern: bits &+ UInt64(bitPattern: q[i])) - m) / s * factor) }
    }

    /// Reference of `value`.
    public static func valueReference(_ q: UnsafePointer<Int64>, count: Int, times factor: Double, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<count { out[i] = Float(Double(q[i]) / scale * factor) }
    }

    /// Whether every |q| < 2^51 (the magic number's exact range), without a branch per element.
    static func allSmall(_ q: UnsafePointer<Int64>, count: Int) -> Bool {
        var outside: UInt64 = 0
        let half: UInt64 = 1 << 51
        for i in 0..<count { outside |= (UInt64(bitPattern: q[i]) &+ half) >> 52 }   // 0 iff −2^51 ≤ q < 2^51
        return outside == 0
    }
}
