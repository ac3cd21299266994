// Small shared pieces of the SIMD16 kernels: unaligned vector loads/stores and a vector `exp`.
//
// Kept internal: they are building blocks, not part of the kernel API.

/// The vector type of every fast path: one AVX-512 register, or two AVX2 registers on CPUs without AVX-512.
typealias Vec16 = SIMD16<Float>

/// Loads 16 consecutive floats at `p` (no alignment needed).
@inline(__always) func load16(_ p: UnsafePointer<Float>) -> Vec16 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec16.self)
}

/// Stores 16 consecutive floats at `p` (no alignment needed).
@inline(__always) func store16(_ v: Vec16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec16.self)
}

// Seen in the disassembly (release, -target-cpu native, Swift 6.3): `pointwiseMax` on float vectors and a
// comparison of a vector with a scalar (`v .!= 0`) are scalarised lane by lane through the stack, while arithmetic
// and comparisons between two vectors and `replacing(with:where:)` vectorise. The kernels therefore combine only
// vectors with vectors (the other mixed vector–scalar operators were not checked one by one).

/// `|v|` lane-wise, by clearing the sign bit (exact; SIMD has no `abs`).
@inline(__always) func abs16(_ v: Vec16) -> Vec16 {
    unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & SIMD16<UInt32>(repeating: 0x7FFF_FFFF), to: Vec16.self)
}

/// `max(0, v)` lane-wise with `Swift.max`'s semantics (`v >= 0 ? v : 0`), without `pointwiseMax`.
@inline(__always) func relu16(_ v: Vec16) -> Vec16 {
    let zero = Vec16(repeating: 0)
    return zero.replacing(with: v, where: v .>= zero)
}

/// A lane-wise 0/1 float vector from a comparison mask.
@inline(__always) func ones16(where m: SIMDMask<SIMD16<Int32>>) -> Vec16 {
    Vec16(repeating: 0).replacing(with: 1, where: m)
}

/// `e^x` lane-wise, to about 2 ulp over the float range (Cephes `expf` polynomial).
///
/// Needed because the standard library has no vector `exp` and a per-lane `expf` call is ~10× slower than the
/// memory traffic of the kernels that use it. Rounding to an integer and building `2^n` use the 1.5·2²³
/// "magic number" so that no float→integer vector conversion is needed (SWIFT-NOTES pitfall 8).
@inline(__always) func exp16(_ x: Vec16) -> Vec16 {
    let magic = Vec16(repeating: 12_582_912)  // 1.5·2^23: adding it rounds to an integer in the low bits
    let low = Vec16(repeating: -87.3), high = Vec16(repeating: 88.7)
    var x = x.replacing(with: low, where: x .< low)
    x = x.replacing(with: high, where: x .> high)
    let n = (x * Vec16(repeating: 1.442_695_04) + magic) - magic  // round(x / ln 2)
    x = x - n * Vec16(repeating: 0.693_359_375)
    x = x - n * Vec16(repeating: -2.121_944_4e-4)
    var y = Vec16(repeating: 1.987_569_15e-4)
    y = y * x + Vec16(repeating: 1.398_199_95e-3)
    y = y * x + Vec16(repeating: 8.333_451_9e-3)
    y = y * x + Vec16(repeating: 4.166_579_59e-2)
    y = y * x + Vec16(repeating: 1.666_666_55e-1)
    y = y * x + Vec16(repeating: 5.000_000_12e-1)
    y = y * (x * x) + x + Vec16(repeating: 1)
    // 2^n: n (an integer in [-126, 128]) sits in the low mantissa bits of n + magic.
    let ni = unsafeBitCast(n + magic, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
    // Split 2^n into two factors so that n = 128 (x near 88.7) does not overflow the exponent field.
    let one = SIMD16<Int32>(repeating: 1), bias = SIMD16<Int32>(repeating: 127), shift = SIMD16<Int32>(repeating: 23)
    let half = ni &>> one
    let p1 = unsafeBitCast((half &+ bias) &<< shift, to: Vec16.self)
    let p2 = unsafeBitCast((ni &- half &+ bias) &<< shift, to: Vec16.self)
    return y * p1 * p2
}
