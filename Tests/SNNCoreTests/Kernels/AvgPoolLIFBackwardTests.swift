import Testing
import SNNCore

@Suite struct AvgPoolLIFBackwardTests {
    static let cases: [(LIFParameters, Surrogate)] = [
        (LIFParameters(leak: 0.5, threshold: 1, reset: .soft, comparison: .greaterOrEqual), .atan(alpha: 2)),        // W2
        (LIFParameters(leak: 0.95, threshold: 1, reset: .soft, comparison: .greater), .triangular(scale: 0.3)),     // BNTT
        (LIFParameters(leak: 0.8, threshold: 0.7, inputGain: 1.5, reset: .softUnleaked), .sigmoid(alpha: 4)),
    ]

    /// The fused backward equals `avgPoolBackward` then `lifBackward` bit for bit, and the scalar references
    /// (`avgPoolBackwardReference` then `lifBackwardReference`): bit for bit for the triangular and ATan surrogates,
    /// to float rounding for the sigmoid (whose SIMD exp differs from `expf` by a few ulp).
    @Test(arguments: 0..<cases.count)
    func equalsPoolBackwardThenLIFBackward(index: Int) {
        let (p, surrogate) = Self.cases[index]
        let shapes: [(images: Int, height: Int, width: Int, channels: Int, size: Int)] = [
            (2, 4, 4, 16, 2), (1, 5, 7, 3, 2), (2, 6, 5, 20, 2), (1, 7, 6, 32, 3), (3, 3, 3, 1, 1),
        ]
        var seed = UInt64(50 * index)
        for s in shapes {
            for (steps, inputSteps) in [(5, 5), (6, 1), (1, 1)] {
                seed += 1
                let count = s.images * s.height * s.width * s.channels
                let pooled = s.images * (s.height / s.size) * (s.width / s.size) * s.channels
                let gradOutput = randomFloats(steps * pooled, in: -1...1, seed: seed)
                let potentials = randomFloats(steps * count, in: -0.5...2, seed: seed + 500)
                // The kernels one after the other.
                var gradSpikes = [Float](repeating: .nan, count: steps * count)
                avgPoolBackward(gradOutput: gradOutput, images: steps * s.images, height: s.height, width: s.width,
                                channels: s.channels, size: s.size, gradInput: &gradSpikes)
                var want = [Float](repeating: .nan, count: inputSteps * count)
                lifBackward(p, surrogate: surrogate, gradSpikes: gradSpikes, potentials: potentials, spikes: [0], steps: steps,
                            count: count, gradInput: &want, inputSteps: inputSteps)
                var got = [Float](repeating: .nan, count: inputSteps * count)
                avgPoolLIFBackward(p, surrogate: surrogate, gradOutput: gradOutput, potentials: potentials, steps: steps,
                                   images: s.images, height: s.height, width: s.width, channels: s.channels,
                                   poolSize: s.size, gradInput: &got, inputSteps: inputSteps)
                let label = "\(p) \(surrogate) \(s) steps \(steps)/\(inputSteps)"
                #expect(got == want, "\(label)")
                #expect(got.contains { $0 != 0 }, "\(label)")
                // The scalar references.
                let refSpikes = (0..<steps).flatMap { t in
                    avgPoolBackwardReference(gradOutput: Array(gradOutput[(t * pooled)..<((t + 1) * pooled)]), images: s.images,
                                             height: s.height, width: s.width, channels: s.channels, size: s.size)
                }
                let ref = lifBackwardReference(p, surrogate: surrogate, gradSpikes: refSpikes, potentials: potentials,
                                               spikes: [Float](repeating: 0, count: steps * count), steps: steps,
                                               count: count, inputSteps: inputSteps)
                if case .sigmoid = surrogate {
                    #expect(allClose(got, ref, rtol: 1e-5, atol: 1e-6), "\(label)")
                } else {
                    #expect(got == ref, "\(label)")
                }
            }
        }
    }
}
