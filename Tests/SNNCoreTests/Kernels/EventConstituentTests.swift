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
}
