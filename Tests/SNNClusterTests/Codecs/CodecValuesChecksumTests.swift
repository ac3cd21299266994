import SNNCluster
import Testing

/// WORK's values checksum (PROTOCOL.md §5 WORK, protocol 5: 8 lanes): the product's fast pass (whole blocks in C,
/// the words around them and the parameter/state boundary in Swift) against a plain reference written from the page,
/// on every split of sizes around the 8-word blocks, random sizes, buffers at any alignment, and answers worked out
/// by hand in Python.
@Suite struct CodecValuesChecksumTests {
    /// PROTOCOL.md §5 WORK checksum, the scalar reference written from the document step by step: the little-endian
    /// bytes of the values, zero-padded to a multiple of 8; the u64 words they make; word i into lane i mod 8 (FNV-1a
    /// xor then multiply, each lane from the offset basis); the 8 lanes folded in order, then the word count.
    static func reference(_ values: [Float]) -> UInt64 {
        let offset: UInt64 = 0xcbf2_9ce4_8422_2325, prime: UInt64 = 0x100_0000_01b3
        var bytes = values.flatMap { v in (0..<4).map { UInt8(v.bitPattern >> (8 * UInt32($0)) & 0xff) } }
        while bytes.count % 8 != 0 { bytes.append(0) }
        let words = stride(from: 0, to: bytes.count, by: 8).map { w in
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[w + $1]) << (8 * UInt64($1)) }
        }
        var lanes = [UInt64](repeating: offset, count: 8)
        for (i, w) in words.enumerated() { lanes[i % 8] = (lanes[i % 8] ^ w) &* prime }
        var h = offset
        for lane in lanes { h = (h ^ lane) &* prime }
        return (h ^ UInt64(words.count)) &* prime
    }

    @Test("the checksum follows the document for odd and even counts across the parameter/state boundary")
    func checksumMatchesTheDocument() {
        for (p, s) in [(0, 0), (1, 0), (0, 1), (3, 2), (3, 3), (4, 1), (7, 0)] {
            let params = (0..<p).map { Float($0) * 0.25 - 1 }, state = (0..<s).map { Float($0) + 0.5 }
            #expect(ValuesChecksum.of(ModelValues(parameters: params, state: state)) == Self.reference(params + state), "P \(p), R \(s)")
        }
    }

    @Test("the fast checksum equals the reference for every split of sizes around the 8-word blocks, and on random sizes")
    func checksumMatchesTheReferenceOnAwkwardSizes() {
        var rng = SeededGenerator(seed: 11)
        func values(_ n: Int) -> [Float] { (0..<n).map { _ in Float.random(in: -4...4, using: &rng) } }
        let sizes = [0, 1, 7, 8, 9, 15, 16, 17]
        var cases = sizes.flatMap { p in sizes.map { (p, $0) } }
        cases += (0..<60).map { _ in (Int.random(in: 0...300, using: &rng), Int.random(in: 0...40, using: &rng)) }
        cases += [(208_143, 33), (33, 1001)]   // a real model's size with an odd split, and a state longer than the parameters
        for (p, s) in cases {
            let v = ModelValues(parameters: values(p), state: values(s))
            #expect(ValuesChecksum.of(v) == Self.reference(v.parameters + v.state), "P \(p), R \(s)")
        }
    }

    @Test("the checksum reads buffers that start anywhere (unaligned to 8 bytes) the same as arrays of their own")
    func checksumOfUnalignedBuffers() {
        var rng = SeededGenerator(seed: 12)
        let backing = (0..<80).map { _ in Float.random(in: -1...1, using: &rng) }
        for (start, p, s) in [(1, 17, 9), (3, 16, 16), (1, 0, 23), (5, 31, 0), (2, 9, 1)] {
            let params = Array(backing[start..<(start + p)]), state = Array(backing[(start + p)..<(start + p + s)])
            let got = backing.withUnsafeBufferPointer { b in
                ValuesChecksum.of(parameters: UnsafeBufferPointer(rebasing: b[start..<(start + p)]),
                                  state: UnsafeBufferPointer(rebasing: b[(start + p)..<(start + p + s)]))
            }
            #expect(got == Self.reference(params + state), "start \(start), P \(p), R \(s)")
        }
    }

    @Test("known answers, worked out by following PROTOCOL.md §5 in Python")
    func checksumKnownAnswers() {
        // python3 -c "import struct;from functools import reduce;O,F,M=0xcbf29ce484222325,0x100000001b3,2**64;f=lambda h,x:((h^x)*F)%M;b=struct.pack('<4f',1,-2,.5,3);b+=bytes(-len(b)%8);w=struct.unpack('<%dQ'%(len(b)//8),b);print(hex(f(reduce(f,[reduce(f,w[j::8],O) for j in range(8)],O),len(w))))"
        #expect(ValuesChecksum.of(ModelValues(parameters: [1, -2, 0.5], state: [3])) == 0xddcd_623e_e2a1_90d9)
        // The same line with b=struct.pack('<19f',*[i*0.5-3 for i in range(19)]): 10 words, lanes 0 and 1 take two each,
        // and with P = 11 one word straddles the parameters and the state.
        let nineteen = (0..<19).map { Float($0) * 0.5 - 3 }
        #expect(ValuesChecksum.of(ModelValues(parameters: Array(nineteen[..<11]), state: Array(nineteen[11...]))) == 0xe9f9_c0d8_90be_3dd9)
        // With b=struct.pack('<43f',*[i*0.25-5 for i in range(43)]): 22 words; with P = 37 the parameters' first 16
        // words go through the 8-lane blocks, word 18 straddles, and lanes 0–5 take a third word.
        let fortyThree = (0..<43).map { Float($0) * 0.25 - 5 }
        #expect(ValuesChecksum.of(ModelValues(parameters: Array(fortyThree[..<37]), state: Array(fortyThree[37...]))) == 0xeda3_5881_b050_7a85)
        // No values (b=b''): the 8 untouched lanes and n = 0.
        #expect(ValuesChecksum.of(ModelValues(parameters: [], state: [])) == 0xc500_f3b7_56cd_6f97)
    }
}
