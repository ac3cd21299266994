/// Small shared pieces of the SIMD16 kernels: unaligned vector loads/stores and a vector `exp`.
///
/// Kept internal: they are building blocks, not part of the kernel API.

/// The vector type of every fast path (one AVX-512 register with `-target-cpu native`).
typealias Vec16 = SIMD16<Float>

/// Loads 16 consecutive floats at `p` (no alignment needed).
@inline(__always) func load16(_ p: UnsafePointer<Float>) -> Vec16 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec16.self)
}

/// Stores 16 consecutive floats at `p` (no alignment needed).
@inline(__always) func store16(_ v: Vec16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec16.self)
}

/// `|v|` lane-wise, by clearing the sign bit (exact; SIMD has no `abs`).
@inline(__always) func abs16(_ v: Vec16) -> Vec16 {
    unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: Vec16.self)
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
    var x = pointwiseMin(pointwiseMax(x, Vec16(repeating: -87.3)), Vec16(repeating: 88.7))
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
    let half = ni &>> 1
    let p1 = unsafeBitCast((half &+ 127) &<< 23, to: Vec16.self)
    let p2 = unsafeBitCast((ni &- half &+ 127) &<< 23, to: Vec16.self)
    return y * p1 * p2
}
