import Testing
import SNNCore

/// The vector event counts against their per-value references and a hand count.
@Suite struct EventConstituentTests {
    @Test func constituentsEqualReference() {
        var g = TestGenerator(seed: 9)
        for (count, m) in [(0, 1), (15, 4), (16, 4), (1040, 4), (3000, 1), (777, 9)] {
            let x: [Float] = (0..<count).map { _ in
                Double.random(in: 0..<1, using: &g) < 0.3 ? Float(Int.random(in: -m...m, using: &g)) / Float(m) : 0
            }
            let fast = Events.constituents(x, count: count, multiplicity: Float(m))
            #expect(fast == Events.constituentsReference(x, count: count, multiplicity: Float(m)))
        }
        // Hand count: 0.25·4 = 1, 0.75·4 = 3, −0.5·4 → 2, 1·4 = 4 (16 values to use the vector path).
        var x = [Float](repeating: 0, count: 16)
        x[0] = 0.25; x[5] = 0.75; x[9] = -0.5; x[15] = 1
        #expect(Events.constituents(x, count: 16, multiplicity: 4) == 10)
    }

    @Test func fannedConstituentsWeighPixelsByFanOut() {
        // 3 pixels × 16 channels; pixel 0 has 2 spikes (fan-out 4), pixel 1 none, pixel 2 one pooled 0.5 (m 4 → 2 spikes, fan-out 9).
        var x = [Float](repeating: 0, count: 48)
        x[1] = 0.25; x[7] = 0.25; x[40] = 0.5
        let fan: [Int32] = [4, 6, 9]
        #expect(Events.fannedConstituents(x, pixels: 3, channels: 16, multiplicity: 4, fanOut: fan) == 4 * 2 + 9 * 2)
    }

    /// The blocked vector path against an Int64 count value by value (`constituentsReference` per pixel, times its
    /// fan-out): pooled spikes over several 256-pixel blocks, channel counts on and off the vector path, and values
    /// so large that a block's Float sums would not be exact (the block falls back to counting pixel by pixel).
    @Test(arguments: [16, 32, 20, 3])
    func fannedConstituentsEqualValueByValueCount(channels: Int) {
        var g = TestGenerator(seed: UInt64(channels))
        for (pixels, m, scale) in [(1, 4, Float(1)), (196, 4, 1), (784, 4, 1), (600, 9, 1), (300, 4, 3_000_000)] {
            let x: [Float] = (0..<(pixels * channels)).map { _ in
                Double.random(in: 0..<1, using: &g) < 0.4 ? scale * Float(Int.random(in: -m...m, using: &g)) / Float(m) : 0
            }
            let fan: [Int32] = (0..<pixels).map { _ in Int32.random(in: 0...9, using: &g) }
            var want: Int64 = 0
            for pix in 0..<pixels {
                for c in 0..<channels {
                    want += Int64(fan[pix]) * Int64((abs(x[pix * channels + c]) * Float(m)).rounded())
                }
            }
            let got = x.withUnsafeBufferPointer { xp in
                Events.fannedConstituents(xp.baseAddress!, pixels: pixels, channels: channels, multiplicity: Float(m), fanOut: fan)
            }
            #expect(got == want, "\(pixels) pixels × \(channels) channels, m \(m), scale \(scale)")
        }
    }
}
