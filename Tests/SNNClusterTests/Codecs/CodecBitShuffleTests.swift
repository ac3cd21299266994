import SNNCluster
import Testing

/// The bit shuffle of WORK's parameter frames (filter 12, protocol 4): the 32 × 32 bit-matrix transpose against the
/// bit-at-a-time reference, the layout of PROTOCOL.md §3.3 on a hand example, and the envelope round trip.
@Suite struct CodecBitShuffleTests {
    @Test("the fast transpose equals the bit-by-bit reference, and both invert, for every tail length")
    func fastEqualsReference() {
        var rng = SeededGenerator(seed: 12)
        for count in [0, 3, 4, 124, 128, 131, 132, 256, 4 * 1000 + 2, 4 * 4096] {
            let src = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let fast = BitShuffle.shuffle(src)
            #expect(fast == BitShuffle.referenceShuffle(src), "count \(count)")
            #expect(BitShuffle.unshuffle(fast) == src, "count \(count)")
            #expect(BitShuffle.referenceUnshuffle(fast) == src, "count \(count)")
        }
    }

    @Test("plane k holds bit k of every element, least significant bit first; the tail is copied")
    func layoutByHand() {
        // 64 elements (B = 64, planes of 8 bytes): element i = i, so plane k's bit i is bit k of i.
        let elements = (0..<64).map { UInt32($0) } + [0xDEAD_BEEF]
        let src = elements.flatMap { v in (0..<4).map { UInt8(v >> (8 * UInt32($0)) & 0xff) } }
        let out = BitShuffle.shuffle(src)
        #expect(out.count == src.count)
        // Plane 0 (bit 0 of 0…63): 0,1,0,1… → bits 1,3,5,7 set in every byte = 0xAA.
        #expect(Array(out[0..<8]) == [UInt8](repeating: 0xAA, count: 8))
        // Plane 3: bit 3 of i is set for i in 8…15, 24…31, …: bytes 0x00, 0xFF alternating.
        #expect(Array(out[24..<32]) == [0, 0xFF, 0, 0xFF, 0, 0xFF, 0, 0xFF])
        // Plane 5: set for 32…63: bytes 4…7 of the plane.
        #expect(Array(out[40..<48]) == [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        // Planes 6…31 are zero; the tail element follows unchanged.
        #expect(out[48..<256].allSatisfy { $0 == 0 })
        #expect(Array(out[256..<260]) == [0xEF, 0xBE, 0xAD, 0xDE])
    }

    @Test("filter 12 round-trips through the frame envelope and shrinks a parameter delta more than the byte shuffle")
    func envelopeRoundTripAndGain() throws {
        var rng = SeededGenerator(seed: 5)
        // ZigZag differences of 16–20 significant bits, as one optimizer step leaves them: bits 20–31 are always zero,
        // but bits 16–19 share byte 2 with zeros, which a byte plane cannot drop and a bit plane can.
        let delta = (0..<8192).map { _ in UInt32.random(in: 0..<(1 << UInt32.random(in: 16...20, using: &rng)), using: &rng) }
        let raw = ArrayBytes.bytes(of: delta)
        let bits = FrameEnvelope.encode(raw, filter: .bitShuffle4, compress: true)
        let bytes = FrameEnvelope.encode(raw, filter: .shuffle4, compress: true)
        #expect(bits.compressed && bits.frame[1] == 12)
        #expect(try FrameEnvelope.decode(bits.frame, limit: raw.count, name: "test") == raw)
        // 12 of 32 bit planes are zero: at most 20/32 of the raw bytes plus LZ4's overhead; the byte shuffle drops
        // only byte 3 (24/32). (Measured 0.63 and 0.71 of raw with the same LZ4 by the command-line tool.)
        #expect(bits.frame.count < raw.count * 66 / 100)
        #expect(bits.frame.count < bytes.frame.count * 92 / 100)
    }
}
