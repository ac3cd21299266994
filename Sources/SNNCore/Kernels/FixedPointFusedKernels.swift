// Fused forms of the fixed-point kernels (FixedPointKernels.swift), for the two hot paths of a training step:
//
// - `encodeChecked`: the range check and the conversion in one pass (a worker's encode used to read the gradient
//   twice: `allFast`, then `encodeFast`).
// - `valueOfSum`: the exact sum of float contributions and its decode, computed block by block without storing
//   the fixed-point vectors. When one process computes every micro-batch of a step (the standalone trainer), the
//   integers it would send are `round(g·2^32)` of each micro-batch's float gradient; summing them and decoding the
//   sum inside the optimizer needs only the floats, so the 8-byte vectors (W1: 3.2 MB per micro-batch, written,
//   then read by the sum, which wrote another 3.2 MB read by the update) never reach memory.
//
// Each equals its reference (the per-element conversions, checked addition and division of FixedPointKernels)
// bit for bit; the tests compare them on random and edge values.

extension FixedPointKernels {
    /// The most contributions `valueOfSum` adds: each rounded fast-range value has |q| ≤ 2^51, so 4,095 of them
    /// stay below 2^63 and the Int64 sum cannot overflow.
    public static let maximumFastContributions = 4_095

    /// `encodeFast` and `allFast` in one pass: writes `out[i] = round(x[i]·2^32)` and returns true iff every
    /// |x[i]| < 2^19 (false for NaN and ±Inf). On false, `out` holds garbage for the offending elements and the
    /// caller must encode through the reference (after validating).
    public static func encodeChecked(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Int64>) -> Bool {
        let m = magic, bits = magic.bitPattern, s = scale
        // |x| < 2^19 iff its magnitude bits are below those of 2^19; NaN and Inf have larger magnitude bits.
        var largest: UInt32 = 0
        for i in 0..<count {
            let v = x[i]
            largest = max(largest, v.bitPattern & 0x7FFF_FFFF)
            out[i] = Int64(bitPattern: (Double(v) * s + m).bitPattern &- bits)
        }
        return largest < fastLimit.bitPattern
    }

    /// `acc[i] &+= round(x[i]·2^32)` (to nearest, ties to even) for inputs `allFast` accepted. Added into a sum of
    /// fewer than `maximumFastContributions` such contributions it cannot overflow (each is below 2^51 in magnitude),
    /// so there is no check: a worker's step sum built on its compute threads (issue 11 item 3). Equal bit for bit to
    /// `encodeReference` then `addReference`.
    public static func encodeAddFast(_ x: UnsafePointer<Float>, count: Int, into acc: UnsafeMutablePointer<Int64>) {
        let m = magic, bits = magic.bitPattern, s = scale
        for i in 0..<count { acc[i] &+= Int64(bitPattern: (Double(x[i]) * s + m).bitPattern &- bits) }
    }

    /// `out[i] = Float(Double(Σ_k round(g_k[i]·2^32)) / 2^32 · factor)` for `i` in `offset..<offset+count`, written
    /// to `out[0..<count]`: the decode (`value`) of the exact fixed-point sum of the contributions, in that order of
    /// operations. Every contribution must satisfy `allFast` over the range and there may be at most
    /// `maximumFastContributions` of them. `scratch` holds `count` integers (the block's sum).
    public static func valueOfSum(_ contributions: UnsafePointer<UnsafePointer<Float>>, contributionCount k: Int,
                                  offset: Int, count: Int, times factor: Double,
                                  scratch: UnsafeMutablePointer<Int64>, into out: UnsafeMutablePointer<Float>) {
        precondition(k >= 1 && k <= maximumFastContributions, "\(k) contributions for the fast fixed-point sum")
        let m = magic, bits = magic.bitPattern, s = scale
        let first = contributions[0] + offset
        for i in 0..<count { scratch[i] = Int64(bitPattern: (Double(first[i]) * s + m).bitPattern &- bits) }
        for c in 1..<k {
            let g = contributions[c] + offset
            for i in 0..<count { scratch[i] &+= Int64(bitPattern: (Double(g[i]) * s + m).bitPattern &- bits) }
        }
        // Double(Int64) is the correctly rounded conversion the reference makes (exact below 2^53).
        for i in 0..<count { out[i] = Float(Double(scratch[i]) / s * factor) }
    }

    /// Reference of `valueOfSum`: `encodeReference` per contribution, `addReference` in order, `valueReference`.
    public static func valueOfSumReference(_ contributions: [UnsafePointer<Float>], offset: Int, count: Int, times factor: Double,
                                           into out: UnsafeMutablePointer<Float>) {
        var total = [Int64](repeating: 0, count: count), q = [Int64](repeating: 0, count: count)
        for g in contributions {
            encodeReference(g + offset, count: count, into: &q)
            let overflow = addReference(into: &total, q, count: count)
            precondition(overflow == nil, "fast-range contributions cannot overflow")
        }
        valueReference(total, count: count, times: factor, into: out)
    }
}
