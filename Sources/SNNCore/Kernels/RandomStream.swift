/// A deterministic random stream keyed by (seed, epoch, sample).
///
/// A sample's draws (Poisson input spikes, augmentation) must not depend on how samples were batched, which thread
/// or worker ran them, or in which order: then a run gives bit-identical weights with 1, 2 or 4 workers and after a
/// worker is replaced (DESIGN "exact reduction"). So every sample gets its own stream derived from its key, instead
/// of all samples sharing one generator.
///
/// Generator: xoshiro256** (Blackman & Vigna), state filled by SplitMix64 from a 64-bit digest of the key. The digest
/// is `mix(mix(mix(seed) ^ epoch) ^ sample)` with `mix(z)` = SplitMix64's output function of `z + 0x9E3779B97F4A7C15`.
/// Changing any of this changes every random draw of every run: treat it as a file format.
public struct RandomStream: Sendable, Equatable, Codable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The four xoshiro256** state words (to save in a checkpoint; `init(state:)` resumes from them).
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// The stream of one sample in one epoch of a run.
    public init(seed: UInt64, epoch: UInt64, sample: UInt64) {
        let key = Self.mix(Self.mix(Self.mix(seed) ^ epoch) ^ sample)
        var splitMix = key
        var words = [UInt64](repeating: 0, count: 4)
        for i in 0..<4 { words[i] = Self.splitMix64(&splitMix) }
        if words.allSatisfy({ $0 == 0 }) { words[0] = 1 }  // the all-zero state is a fixed point
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
    }

    /// Resumes a stream from a saved `state` (four words, not all zero), e.g. from a checkpoint.
    public init(state: [UInt64]) {
        precondition(state.count == 4 && state.contains { $0 != 0 }, "xoshiro256** state must be 4 words, not all 0")
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// A uniform float in [0, 1) from the top 24 bits of `next()` (every value a multiple of 2⁻²⁴).
    public mutating func nextUniform() -> Float {
        Float(Int32(truncatingIfNeeded: next() >> 40)) * 0x1p-24  // exact; a signed convert is one instruction
    }

    /// SplitMix64: advances `x` by the golden gamma and returns the mixed value.
    static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// SplitMix64's output for state `z` (a strong 64-bit mixer).
    static func mix(_ z: UInt64) -> UInt64 {
        var x = z
        return splitMix64(&x)
    }
}

@inline(__always) private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
}
