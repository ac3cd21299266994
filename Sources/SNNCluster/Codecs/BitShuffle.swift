/// Bit shuffle ("bit-plane transpose", as in Blosc's bitshuffle) of 4-byte little-endian elements.
///
/// For E = count / 4 elements and B = E − E mod 32 (the elements in whole blocks of 32), bit `k` of element `i < B`
/// goes to bit `i mod 8` of byte `k·B/8 + i/8`: plane k (all elements' bit k, B/8 bytes) follows plane k − 1. The
/// E mod 32 tail elements and any trailing bytes are copied unchanged after the planes.
///
/// Why: parameter deltas (`ParameterDelta`) are small integers whose high bits are zero in almost every element,
/// but whose low bits are random. A byte shuffle leaves half-random bytes that LZ4 (no entropy coder) cannot shrink;
/// bit planes make every always-zero bit one run of zero bytes that LZ4 removes, and the random planes stay as
/// they are. Full float parameters gain too (sign and exponent bits line up): PROTOCOL.md §3.3 filter 12.
///
/// `shuffle`/`unshuffle` transpose 32 × 32 bit blocks with the five mask-and-shift rounds of Hacker's Delight
/// (transpose32); `referenceShuffle`/`referenceUnshuffle` move one bit at a time and are what the tests check the
/// fast path against.
public enum BitShuffle {
    /// `src` bit-shuffled (4-byte elements).
    public static func shuffle(_ src: [UInt8]) -> [UInt8] { transpose(src, forward: true) }

    /// The inverse of `shuffle`.
    public static func unshuffle(_ src: [UInt8]) -> [UInt8] { transpose(src, forward: false) }

    /// One bit at a time, straight from the definition (tests only: slow).
    public static func referenceShuffle(_ src: [UInt8]) -> [UInt8] {
        let blocked = src.count / 4 / 32 * 32
        var out = src
        for k in 0..<32 {
            for i in 0..<blocked {
                let bit = (src[4 * i + k / 8] >> UInt8(k % 8)) & 1
                let byte = k * blocked / 8 + i / 8
                if i % 8 == 0 { out[byte] = 0 }
                out[byte] |= bit << UInt8(i % 8)
            }
        }
        return out
    }

    /// The inverse of `referenceShuffle`, one bit at a time.
    public static func referenceUnshuffle(_ src: [UInt8]) -> [UInt8] {
        let blocked = src.count / 4 / 32 * 32
        var out = src
        for i in 0..<(4 * blocked) { out[i] = 0 }
        for k in 0..<32 {
            for i in 0..<blocked {
                let bit = (src[k * blocked / 8 + i / 8] >> UInt8(i % 8)) & 1
                out[4 * i + k / 8] |= bit << UInt8(k % 8)
            }
        }
        return out
    }

    private static func transpose(_ src: [UInt8], forward: Bool) -> [UInt8] {
        let blocks = src.count / 4 / 32
        guard blocks > 0 else { return src }
        let words = blocks * 32
        return [UInt8](unsafeUninitializedCapacity: src.count) { dst, initialized in
            src.withUnsafeBytes { s in
                let d = UnsafeMutableRawBufferPointer(dst)
                var a = (UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
                         UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
                         UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
                         UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0))
                withUnsafeMutableBytes(of: &a) { block in
                    let w = block.bindMemory(to: UInt32.self)
                    for b in 0..<blocks {
                        // Gather 32 words: elements b·32 … (forward), or word b of each plane (inverse).
                        for j in 0..<32 {
                            let offset = forward ? 4 * (32 * b + j) : 4 * (j * blocks + b)
                            w[j] = UInt32(littleEndian: s.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                        }
                        transpose32(w)
                        for j in 0..<32 {
                            let offset = forward ? 4 * (j * blocks + b) : 4 * (32 * b + j)
                            d.storeBytes(of: w[j].littleEndian, toByteOffset: offset, as: UInt32.self)
                        }
                    }
                }
                for k in (4 * words)..<src.count { d[k] = s[k] }
            }
            initialized = src.count
        }
    }

    /// Transposes a 32 × 32 bit matrix in place: afterwards bit i of word k is what bit k of word i was.
    /// (Hacker's Delight 7-3 with the bit numbering reversed: bit 0 is the least significant.)
    @inline(__always)
    static func transpose32(_ a: UnsafeMutableBufferPointer<UInt32>) {
        var j = 16
        var m: UInt32 = 0x0000_FFFF
        while j != 0 {
            var k = 0
            while k < 32 {
                // Swap the high j bits of word k with the low j bits of word k + j.
                let t = ((a[k] >> UInt32(j)) ^ a[k + j]) & m
                a[k + j] ^= t
                a[k] ^= t << UInt32(j)
                k = (k + j + 1) & ~j
            }
            j >>= 1
            m ^= m << UInt32(j)
        }
    }
}

extension BitShuffle {
    /// Filter 15 (protocol 6): `i64` elements after ZigZag, as two `u32` halves each bit-shuffled as filter 12 does:
    /// for E = count / 8 elements, the low 4 bytes of every element (E · 4 bytes) bit-shuffled, followed by the high
    /// 4 bytes of every element bit-shuffled. Bytes beyond the last whole element are copied unchanged at the end.
    ///
    /// Why: a fixed-point gradient has ~23 random low bits per value and zero high bits; a block-rounded one
    /// (`training.communication.gradientBits`) has zero low bits too. Bit planes turn every zero bit position into
    /// runs LZ4 removes, where a byte shuffle (filter 9) leaves half-random bytes.
    public static func shuffleZigZag64(_ src: [UInt8]) -> [UInt8] {
        let n = src.count / 8
        var lo = [UInt8](repeating: 0, count: 4 * n), hi = [UInt8](repeating: 0, count: 4 * n)
        src.withUnsafeBytes { s in
            lo.withUnsafeMutableBytes { l in
                hi.withUnsafeMutableBytes { h in
                    for i in 0..<n {
                        let z = ZigZag.encode(Int64(littleEndian: s.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                        l.storeBytes(of: UInt32(truncatingIfNeeded: z).littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                        h.storeBytes(of: UInt32(truncatingIfNeeded: z >> 32).littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                    }
                }
            }
        }
        return shuffle(lo) + shuffle(hi) + src[(8 * n)...]
    }

    /// The inverse of `shuffleZigZag64`.
    public static func unshuffleZigZag64(_ src: [UInt8]) -> [UInt8] {
        let n = src.count / 8
        let lo = unshuffle(Array(src[0..<(4 * n)])), hi = unshuffle(Array(src[(4 * n)..<(8 * n)]))
        var out = [UInt8](repeating: 0, count: src.count)
        out.withUnsafeMutableBytes { o in
            lo.withUnsafeBytes { l in
                hi.withUnsafeBytes { h in
                    for i in 0..<n {
                        let z = UInt64(UInt32(littleEndian: l.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                            | UInt64(UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) << 32
                        o.storeBytes(of: ZigZag.decode(z).littleEndian, toByteOffset: 8 * i, as: Int64.self)
                    }
                }
            }
            for k in (8 * n)..<src.count { o[k] = src[k] }
        }
        return out
    }
}
