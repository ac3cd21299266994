import Testing
import SNNCore

@Suite struct SpikePackingTests {
    @Test func bitLayoutIsLeastSignificantFirst() {
        var s = [Float](repeating: 0, count: 10)
        s[0] = 1
        s[9] = 1
        #expect(packSpikes(s, count: 10) == [0x01, 0x02])
        // Any nonzero value is a spike; −0 is not.
        let mixed: [Float] = [-1, 0.25, 0, -0.0, 0, 0, 0, 1, 1]
        #expect(packSpikes(mixed, count: 9) == [0b1000_0011, 0x01])
    }

    @Test(arguments: [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1001])
    func roundTripAndAgreesWithScalarPacking(count: Int) {
        var g = TestGenerator(seed: UInt64(count) + 1)
        let s = (0..<count).map { _ in Float(Int.random(in: 0...4, using: &g) == 0 ? 1 : 0) }
        let bytes = s.withUnsafeBufferPointer { packSpikes($0.baseAddress ?? UnsafePointer(bitPattern: 16)!, count: count) }
        #expect(bytes.count == (count + 7) / 8)
        var expected = [UInt8](repeating: 0, count: (count + 7) / 8)
        for i in 0..<count where s[i] != 0 { expected[i / 8] |= 1 << (i % 8) }
        #expect(bytes == expected)
        #expect(unpackSpikes(bytes, count: count) == s)
    }
}
