import Testing
import SNNCore
import SNNModel

/// `torch-default` is PyTorch's `nn.Linear`/`nn.Conv2d` initialisation (kaiming-uniform with a = √5): weights and
/// biases U(−b, b) with b = 1/√fanIn, so mean 0 and variance b²/3; the other kinds leave biases at 0.
@Suite struct InitializationTests {
    static func values(_ layers: [LayerConfig], input: [Int], _ initializer: WeightInitializer) -> [Float] {
        Network(NetworkConfig(inputShape: input, timesteps: 1, layers: layers, readout: .meanPotential,
                              initializer: initializer)).initialValues(seed: 3).parameters
    }

    static func moments(_ v: ArraySlice<Float>) -> (mean: Double, variance: Double, maxAbs: Float) {
        let n = Double(v.count)
        let mean = v.reduce(0.0) { $0 + Double($1) } / n
        let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return (mean, variance, v.map(abs).max() ?? 0)
    }

    @Test func denseWeightsAndBiasesAreUniformOnOneOverRootFanIn() {
        // fanIn 400: b = 0.05, variance b²/3 = 8.33e-4.
        let p = Self.values([.dense(units: 250, bias: true)], input: [400], .torchDefault(gain: 1))
        #expect(p.count == 400 * 250 + 250)
        let w = Self.moments(p[0..<100_000]), b = Self.moments(p[100_000...])
        #expect(w.maxAbs <= 0.05 && w.maxAbs > 0.0499)
        #expect(abs(w.mean) < 5e-4)                                  // σ/√n = 9e-5
        #expect(abs(w.variance / (0.0025 / 3) - 1) < 0.02)         // relative sd of the estimate ≈ 0.4 %
        #expect(b.maxAbs <= 0.05 && b.maxAbs > 0.04)                // 250 draws: max within 4 % of b
        #expect(abs(b.variance / (0.0025 / 3) - 1) < 0.25)          // relative sd ≈ 7 %
    }

    @Test func convUsesThePatchAsFanIn() {
        // 3×3 kernel over 4 channels: fanIn 36, b = 1/6.
        let p = Self.values([.conv(channels: 64, kernel: 3, stride: 1, padding: 1, bias: true)], input: [6, 6, 4],
                            .torchDefault(gain: 1))
        #expect(p.count == 36 * 64 + 64)
        let w = Self.moments(p[0..<(36 * 64)]), b = Self.moments(p[(36 * 64)...])
        #expect(w.maxAbs <= 1 / 6 && w.maxAbs > 0.166)
        #expect(abs(w.variance / (1.0 / 108) - 1) < 0.06)
        #expect(b.maxAbs <= 1 / 6 && b.maxAbs > 0.15)
    }

    @Test func otherInitializersKeepZeroBiases() {
        for initializer in [WeightInitializer.xavierUniform(gain: 1), .kaimingNormal(gain: 1)] {
            let p = Self.values([.dense(units: 20, bias: true)], input: [30], initializer)
            #expect(p[600...].allSatisfy { $0 == 0 }, "\(initializer)")
            #expect(p[0..<600].contains { $0 != 0 })
        }
        // Xavier's bound √(6/(fanIn + fanOut)) is unchanged: 30 → 20 gives √0.12.
        let x = Self.values([.dense(units: 20, bias: true)], input: [30], .xavierUniform(gain: 1))
        #expect(x[0..<600].map(abs).max()! <= Float(0.12).squareRoot())
    }
}
