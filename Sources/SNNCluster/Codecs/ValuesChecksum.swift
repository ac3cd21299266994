import CValuesChecksum

/// A 64-bit checksum of parameters and running state (PROTOCOL.md §5 WORK, offset 52; protocol 5): the bytes of the
/// parameters then of the state (little-endian `f32`), zero-padded to a multiple of 8, read as little-endian `u64`
/// words w₀, w₁, … (n of them). Eight lanes: lane j takes the words j, j + 8, j + 16, …, starts from
/// `0xcbf29ce484222325` and sets `h = (h XOR w) × 0x100000001b3 mod 2^64` per word; the checksum is the same fold over
/// the eight lane values in lane order from `0xcbf29ce484222325`, then over n.
///
/// Why lanes: a single FNV chain waits for each multiply (about 4 cycles a word); eight independent chains keep the
/// multiplier busy every cycle, so the pass runs at about memory speed (issue 11 item 3: it is on the step's serial
/// path twice, on the coordinator after the optimizer step and on the worker after the rebuild). A compiler may not
/// split one chain by itself (the fold is not associative), hence the eight accumulators written out; their loop is
/// in C (`CValuesChecksum`), where an empty asm statement keeps LLVM from packing them into slow AVX-512 multiplies.
///
/// It is not a cryptographic hash: it guards against a worker rebuilding a delta on the wrong base (or a bug in
/// either side), so that no micro-batch is ever computed with parameters other than the coordinator's.
public enum ValuesChecksum {
    public static let offset: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// The checksum of `v.parameters` followed by `v.state`, without copying either.
    public static func of(_ v: ModelValues) -> UInt64 {
        v.parameters.withUnsafeBufferPointer { p in
            v.state.withUnsafeBufferPointer { s in of(parameters: p, state: s) }
        }
    }

    /// The checksum of the stream `parameters` then `state`. The word that straddles the two (odd P) is the last
    /// parameter in its low half and the first state value (or the zero padding) in its high half; the state's
    /// remaining values then pair up one value later than in an array of their own.
    public static func of(parameters p: UnsafeBufferPointer<Float>, state s: UnsafeBufferPointer<Float>) -> UInt64 {
        var lanes = Lanes()
        lanes.absorb(pairsOf: p.baseAddress, count: p.count / 2)
        var stateStart = 0
        if p.count % 2 == 1 {
            let high = s.isEmpty ? 0 : UInt64(s[0].bitPattern) << 32
            lanes.absorb(UInt64(p[p.count - 1].bitPattern) | high)
            stateStart = s.isEmpty ? 0 : 1
        }
        let rest = s.count - stateStart
        lanes.absorb(pairsOf: s.baseAddress.map { $0 + stateStart }, count: rest / 2)
        if rest % 2 == 1 { lanes.absorb(UInt64(s[s.count - 1].bitPattern)) }
        return lanes.final()
    }

    /// The eight lane values and the number of words absorbed so far (which lane the next word goes to).
    struct Lanes {
        var h: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (offset, offset, offset, offset, offset, offset, offset, offset)
        var words = 0

        /// One word into lane `words mod 8` (the few words before and after the 8-word blocks).
        mutating func absorb(_ w: UInt64) {
            switch words & 7 {
            case 0: h.0 = (h.0 ^ w) &* prime
            case 1: h.1 = (h.1 ^ w) &* prime
            case 2: h.2 = (h.2 ^ w) &* prime
            case 3: h.3 = (h.3 ^ w) &* prime
            case 4: h.4 = (h.4 ^ w) &* prime
            case 5: h.5 = (h.5 ^ w) &* prime
            case 6: h.6 = (h.6 ^ w) &* prime
            default: h.7 = (h.7 ^ w) &* prime
            }
            words += 1
        }

        /// `count` words made of consecutive value pairs from `base` (value 2k in the low half of word k, as the
        /// little-endian byte stream reads them; `base` is only 4-byte aligned, hence the unaligned loads): one by one
        /// up to lane 0, then whole blocks of 8 in `snn_values_checksum_blocks` (8 scalar chains), then the rest.
        mutating func absorb(pairsOf base: UnsafePointer<Float>?, count: Int) {
            guard count > 0, let base else { return }
            let raw = UnsafeRawPointer(base)
            @inline(__always) func word(_ k: Int) -> UInt64 { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self)) }
            var k = 0
            while k < count && words & 7 != 0 { absorb(word(k)); k += 1 }
            let blocks = (count - k) / 8
            if blocks > 0 {
                withUnsafeMutableBytes(of: &h) { lanes in
                    snn_values_checksum_blocks(lanes.baseAddress!.assumingMemoryBound(to: UInt64.self), raw + 8 * k, blocks)
                }
                k += 8 * blocks
                words += 8 * blocks
            }
            while k < count { absorb(word(k)); k += 1 }
        }

        /// The lanes folded in order, then the word count.
        func final() -> UInt64 {
            var t = offset
            t = (t ^ h.0) &* prime; t = (t ^ h.1) &* prime; t = (t ^ h.2) &* prime; t = (t ^ h.3) &* prime
            t = (t ^ h.4) &* prime; t = (t ^ h.5) &* prime; t = (t ^ h.6) &* prime; t = (t ^ h.7) &* prime
            return (t ^ UInt64(words)) &* prime
        }
    }
}
