import Testing
import SNNCore

/// One fused call on arrays: the potentials (empty when not kept), the pooled spikes and the spikes per step.
private func runFused(_ p: LIFParameters, center: [Float], scale: [Float], shift: [Float]?, perStep: Bool, input: [Float],
                      inputSteps: Int, steps: Int, images: Int, height: Int, width: Int, channels: Int, size: Int,
                      keep: Bool) -> (potentials: [Float], output: [Float], stepSpikes: [Int], total: Int) {
    let count = images * height * width * channels
    var potentials = [Float](repeating: .nan, count: keep ? steps * count : 0)
    var output = [Float](repeating: .nan, count: steps * images * (height / size) * (width / size) * channels)
    var stepSpikes = [Int](repeating: -1, count: steps)
    var total = 0
    center.withUnsafeBufferPointer { cp in
        scale.withUnsafeBufferPointer { sp in
            (shift ?? []).withUnsafeBufferPointer { hp in
                let affine = ChannelAffine(center: cp.baseAddress!, scale: sp.baseAddress!,
                                           shift: shift == nil ? nil : hp.baseAddress!, perStep: perStep)
                potentials.withUnsafeMutableBufferPointer { pp in
                    total = batchNormLIFAvgPoolForward(p, affine: affine, input: input, inputSteps: inputSteps, steps: steps,
                                                       images: images, height: height, width: width, channels: channels,
                                                       poolSize: size, potentials: keep ? pp.baseAddress! : nil,
                                                       output: &output, stepSpikes: &stepSpikes)
                }
            }
        }
    }
    return (potentials, output, stepSpikes, total)
}

/// Shapes around the SIMD width (16 channels), odd image sizes (dropped trailing rows and columns) and 3×3 windows.
private let fusedShapes: [(images: Int, height: Int, width: Int, channels: Int, size: Int)] = [
    (2, 4, 4, 16, 2), (1, 5, 7, 3, 2), (2, 6, 5, 20, 2), (1, 7, 6, 32, 3), (3, 3, 3, 1, 1),
    // Larger images: trailing rows and columns no window covers, 3×3 windows over several channel vectors, several
    // images (the per-step counts are flushed after each).
    (1, 28, 14, 32, 2), (1, 29, 10, 16, 2), (1, 19, 9, 48, 3), (5, 24, 24, 32, 2),
]

@Suite struct BatchNormLIFPoolTests {
    static let neurons: [LIFParameters] = [
        LIFParameters(leak: 0.5, threshold: 1, reset: .soft, comparison: .greaterOrEqual),   // W2
        LIFParameters(leak: 0.95, threshold: 1, reset: .soft, comparison: .greater),         // BNTT
        LIFParameters(leak: 0.9, threshold: 0.8, alpha: 0.5, inputGain: 1.5, reset: .hard, comparison: .greater),
        LIFParameters(leak: 0.8, threshold: 1, reset: .softUnleaked, comparison: .greaterOrEqual, initialPotential: 0.3),
    ]

    @Test(arguments: 0..<neurons.count)
    func matchesScalarReferenceBitForBit(neuron: Int) {
        let p = Self.neurons[neuron]
        var seed: UInt64 = 100 * UInt64(neuron)
        var fired = 0, updates = 0
        for s in fusedShapes {
            for (steps, inputSteps, perStep) in [(5, 5, false), (6, 1, false), (4, 4, true), (3, 1, true), (1, 1, false), (0, 1, false)] {
                for withShift in [true, false] {
                    seed += 1
                    let groups = perStep ? steps : 1, count = s.images * s.height * s.width * s.channels
                    let input = randomFloats(inputSteps * count, in: -1...2, seed: seed)
                    let center = randomFloats(groups * s.channels, in: -0.3...0.3, seed: seed + 1000)
                    let scale = randomFloats(groups * s.channels, in: 0.2...1.6, seed: seed + 2000)
                    let shift = withShift ? randomFloats(groups * s.channels, in: -0.4...0.6, seed: seed + 3000) : nil
                    let want = batchNormLIFAvgPoolForwardReference(p, center: center, scale: scale, shift: shift, perStep: perStep,
                                                                   input: input, inputSteps: inputSteps, steps: steps, images: s.images,
                                                                   height: s.height, width: s.width, channels: s.channels, poolSize: s.size)
                    let label = "\(p) \(s) steps \(steps)/\(inputSteps) perStep \(perStep) shift \(withShift)"
                    for keep in [true, false] {
                        let got = runFused(p, center: center, scale: scale, shift: shift, perStep: perStep, input: input,
                                           inputSteps: inputSteps, steps: steps, images: s.images, height: s.height,
                                           width: s.width, channels: s.channels, size: s.size, keep: keep)
                        if keep { #expect(got.potentials == want.potentials, "\(label)") }
                        #expect(got.output == want.output, "\(label) keep \(keep)")
                        #expect(got.stepSpikes == want.stepSpikes, "\(label) keep \(keep)")
                        #expect(got.total == want.stepSpikes.reduce(0, +))
                    }
                    fired += want.stepSpikes.reduce(0, +); updates += steps * count
                }
            }
        }
        // Neurons fired and neurons stayed silent, so both branches ran.
        #expect(fired > updates / 50 && fired < updates - updates / 50, "\(fired) of \(updates) fired")
    }

    /// The fused pass equals the three kernels it replaces, run one after the other: batch norm with batch statistics
    /// (training) or running statistics (inference), `lifForward`, `avgPoolForward`.
    @Test(arguments: [true, false])
    func equalsBatchNormThenLIFThenAveragePool(training: Bool) {
        let p = LIFParameters(leak: 0.5, threshold: 1, reset: .soft, comparison: .greaterOrEqual)
        let (steps, images, h, w, c) = (4, 3, 6, 6, 16)
        let rows = steps * images * h * w, count = images * h * w * c
        let x = randomFloats(steps * count, in: -2...3, seed: 7)
        let gamma = randomFloats(c, in: 0.5...1.5, seed: 8), beta = randomFloats(c, in: -0.5...0.5, seed: 9)
        let runningMean = randomFloats(c, in: -0.2...0.4, seed: 10), runningVariance = randomFloats(c, in: 0.5...2, seed: 11)
        let epsilon: Float = 1e-5
        var y = [Float](repeating: 0, count: x.count)
        var center = [Float](repeating: 0, count: c), scale = center
        if training {
            var mean = center, invStd = center, variance = center
            batchNormForwardTraining(x: x, groups: 1, rows: rows, channels: c, gamma: gamma, beta: beta, epsilon: epsilon,
                                     y: &y, mean: &mean, invStd: &invStd, variance: &variance)
            var mean2 = center, invStd2 = center, variance2 = center
            batchNormStatistics(x: x, groups: 1, rows: rows, channels: c, gamma: gamma, epsilon: epsilon,
                                mean: &mean2, invStd: &invStd2, variance: &variance2, scale: &scale)
            #expect(mean2 == mean && invStd2 == invStd && variance2 == variance)
            center = mean2
        } else {
            batchNormForwardInference(x: x, groups: 1, rows: rows, channels: c, gamma: gamma, beta: beta,
                                      runningMean: runningMean, runningVariance: runningVariance, epsilon: epsilon, y: &y)
            batchNormInferenceScale(count: c, gamma: gamma, runningVariance: runningVariance, epsilon: epsilon, scale: &scale)
            center = runningMean
        }
        var spikes = [Float](repeating: 0, count: x.count), potentials = spikes
        lifForward(p, input: y, inputSteps: steps, steps: steps, count: count, spikes: &spikes, potentials: &potentials)
        var pooled = [Float](repeating: 0, count: x.count / 4)
        avgPoolForward(input: spikes, images: steps * images, height: h, width: w, channels: c, size: 2, output: &pooled)
        let fused = runFused(p, center: center, scale: scale, shift: beta, perStep: false, input: x, inputSteps: steps,
                             steps: steps, images: images, height: h, width: w, channels: c, size: 2, keep: true)
        #expect(fused.potentials == potentials)
        #expect(fused.output == pooled)
        #expect(fused.total == Int(spikes.reduce(0, +)))
    }
}
