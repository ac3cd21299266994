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

    /// Recomputing the potentials from the batch norm's input gives the backward of the saved ones, bit for bit.
    @Test(arguments: 0..<cases.count)
    func recomputedPotentialsGiveTheSameGradient(index: Int) {
        var (p, surrogate) = Self.cases[index]
        let shapes: [(images: Int, height: Int, width: Int, channels: Int, size: Int)] = [
            (2, 4, 4, 16, 2), (1, 5, 7, 3, 2), (2, 6, 5, 20, 2), (1, 7, 6, 32, 3), (1, 9, 14, 32, 2),
        ]
        var seed = UInt64(70 * index)
        for comparison in ThresholdComparison.allCases {
            p.comparison = comparison
            for s in shapes {
                for (steps, inputSteps, perStep) in [(5, 5, false), (6, 1, false), (4, 4, true), (3, 1, true), (1, 1, false)] {
                  for withShift in [true, false] {
                    seed += 1
                    let groups = perStep ? steps : 1, count = s.images * s.height * s.width * s.channels
                    let pooled = s.images * (s.height / s.size) * (s.width / s.size) * s.channels
                    let x = randomFloats(inputSteps * count, in: -1...2, seed: seed)
                    let center = randomFloats(groups * s.channels, in: -0.3...0.3, seed: seed + 1)
                    let scale = randomFloats(groups * s.channels, in: 0.2...1.6, seed: seed + 2)
                    let shift = randomFloats(groups * s.channels, in: -0.4...0.6, seed: seed + 3)
                    let gradOutput = randomFloats(steps * pooled, in: -1...1, seed: seed + 4)
                    var potentials = [Float](repeating: .nan, count: steps * count)
                    var output = [Float](repeating: .nan, count: steps * pooled), stepSpikes = [Int](repeating: 0, count: steps)
                    var want = [Float](repeating: .nan, count: inputSteps * count), got = want
                    center.withUnsafeBufferPointer { cp in scale.withUnsafeBufferPointer { sp in shift.withUnsafeBufferPointer { hp in
                        let affine = ChannelAffine(center: cp.baseAddress!, scale: sp.baseAddress!, shift: withShift ? hp.baseAddress! : nil,
                                                   perStep: perStep)
                        potentials.withUnsafeMutableBufferPointer { pp in
                            batchNormLIFAvgPoolForward(p, affine: affine, input: x, inputSteps: inputSteps, steps: steps,
                                                       images: s.images, height: s.height, width: s.width, channels: s.channels,
                                                       poolSize: s.size, potentials: pp.baseAddress!, output: &output,
                                                       stepSpikes: &stepSpikes)
                        }
                        batchNormLIFAvgPoolRecomputedBackward(p, surrogate: surrogate, affine: affine, input: x, inputSteps: inputSteps,
                                                              steps: steps, images: s.images, height: s.height, width: s.width,
                                                              channels: s.channels, poolSize: s.size, gradOutput: gradOutput,
                                                              gradInput: &got)
                    }}}
                    avgPoolLIFBackward(p, surrogate: surrogate, gradOutput: gradOutput, potentials: potentials, steps: steps,
                                       images: s.images, height: s.height, width: s.width, channels: s.channels,
                                       poolSize: s.size, gradInput: &want, inputSteps: inputSteps)
                    let label = "\(p) \(surrogate) \(s) steps \(steps)/\(inputSteps) perStep \(perStep) shift \(withShift)"
                    #expect(got == want, "\(label)")
                    #expect(want.contains { $0 != 0 } && stepSpikes.reduce(0, +) > 0, "\(label)")
                  }
                }
            }
        }
    }
}
