import Testing
import SNNCore

/// The SIMD training forward on arrays.
func runBatchNormTraining(x: [Float], groups: Int, rows: Int, channels: Int, gamma: [Float], beta: [Float]?,
                          epsilon: Float) -> (y: [Float], mean: [Float], invStd: [Float], variance: [Float]) {
    var y = [Float](repeating: .nan, count: x.count)
    var mean = [Float](repeating: .nan, count: groups * channels)
    var invStd = mean, variance = mean
    if let beta {
        batchNormForwardTraining(x: x, groups: groups, rows: rows, channels: channels, gamma: gamma, beta: beta,
                                 epsilon: epsilon, y: &y, mean: &mean, invStd: &invStd, variance: &variance)
    } else {
        batchNormForwardTraining(x: x, groups: groups, rows: rows, channels: channels, gamma: gamma, beta: nil,
                                 epsilon: epsilon, y: &y, mean: &mean, invStd: &invStd, variance: &variance)
    }
    return (y, mean, invStd, variance)
}

/// A double-precision training-mode BN forward returning Σ w·y, for finite differences.
func weightedBatchNormLoss(x: [Double], rows: Int, channels: Int, gamma: [Double], beta: [Double], epsilon: Double,
                           weights: [Double]) -> Double {
    var loss = 0.0
    for c in 0..<channels {
        let column = (0..<rows).map { x[$0 * channels + c] }
        let mu = column.reduce(0, +) / Double(rows)
        let variance = column.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(rows)
        for r in 0..<rows {
            let y = gamma[c] * (column[r] - mu) / (variance + epsilon).squareRoot() + beta[c]
            loss += weights[r * channels + c] * y
        }
    }
    return loss
}

let bnShapes: [(groups: Int, rows: Int, channels: Int)] = [
    (1, 4, 1), (3, 37, 1), (2, 5, 10), (1, 70, 16), (4, 9, 35), (2, 130, 64), (1, 3, 17),
]

@Suite struct BatchNormTests {
    /// METHODS §3.7 oracle 2: batch [1, 2, 3, 6], γ = 0.5, ε = 1e-4, no β.
    @Test func bnttTrainStepOracle() {
        let x: [Float] = [1, 2, 3, 6]
        let r = runBatchNormTraining(x: x, groups: 1, rows: 4, channels: 1, gamma: [0.5], beta: nil, epsilon: 1e-4)
        #expect(allClose(r.y, [-0.534515, -0.267257, 0, 0.801772], rtol: 0, atol: 1e-6), "\(r.y)")
        #expect(r.mean == [3])
        #expect(r.variance == [3.5])
        var runningMean: [Float] = [0], runningVariance: [Float] = [1]
        updateRunningStatistics(runningMean: &runningMean, runningVariance: &runningVariance, batchMean: r.mean,
                                batchVariance: r.variance, rows: 4, momentum: 0.1)
        #expect(abs(runningMean[0] - 0.3) < 1e-7)
        #expect(abs(runningVariance[0] - 1.366667) < 1e-6)
        var y: [Float] = [.nan]
        batchNormForwardInference(x: [2], groups: 1, rows: 1, channels: 1, gamma: [0.5], beta: nil,
                                  runningMean: runningMean, runningVariance: runningVariance, epsilon: 1e-4, y: &y)
        #expect(abs(y[0] - 0.727062) < 1e-6)
    }

    @Test func pointerRunningStatisticsMatchArrayForm() {
        var m1: [Float] = [0, 1, 2], v1: [Float] = [1, 1, 1]
        var m2 = m1, v2 = v1
        let bm: [Float] = [3, -1, 0.5], bv: [Float] = [3.5, 0, 2]
        updateRunningStatistics(runningMean: &m1, runningVariance: &v1, batchMean: bm, batchVariance: bv, rows: 8, momentum: 0.1)
        updateRunningStatistics(runningMean: &m2, runningVariance: &v2, batchMean: bm, batchVariance: bv, count: 3,
                                rows: 8, momentum: 0.1)
        #expect(m1 == m2)
        #expect(v1 == v2)
        #expect(abs(v1[2] - (0.9 + 0.1 * 2 * 8 / 7)) < 1e-6)
    }

    @Test func trainingForwardMatchesReference() {
        var seed: UInt64 = 500
        for shape in bnShapes {
            for withBeta in [false, true] {
                seed += 1
                let (g, n, c) = shape
                let x = randomFloats(g * n * c, in: -2...3, seed: seed)
                let gamma = randomFloats(g * c, in: 0.5...1.5, seed: seed + 1)
                let beta = withBeta ? randomFloats(g * c, in: -1...1, seed: seed + 2) : nil
                let fast = runBatchNormTraining(x: x, groups: g, rows: n, channels: c, gamma: gamma, beta: beta, epsilon: 1e-5)
                let slow = batchNormForwardTrainingReference(x: x, groups: g, rows: n, channels: c, gamma: gamma,
                                                             beta: beta, epsilon: 1e-5)
                #expect(allClose(fast.y, slow.y, rtol: 1e-5, atol: 2e-6), "\(shape) beta \(withBeta)")
                #expect(allClose(fast.mean, slow.mean, rtol: 1e-6, atol: 1e-7))
                #expect(allClose(fast.variance, slow.variance, rtol: 1e-5, atol: 1e-7))
                #expect(allClose(fast.invStd, slow.invStd, rtol: 1e-5, atol: 1e-7))
            }
        }
    }

    @Test func largeOffsetAndManyRowsKeepPrecision() {
        // 20 000 rows per channel around a mean of 100 with std ≈ 0.3: float sums alone would drift.
        let rows = 20_000, channels = 19
        let x = randomFloats(rows * channels, in: 99.5...100.5, seed: 42)
        let gamma = [Float](repeating: 1, count: channels)
        let fast = runBatchNormTraining(x: x, groups: 1, rows: rows, channels: channels, gamma: gamma, beta: nil, epsilon: 1e-5)
        let slow = batchNormForwardTrainingReference(x: x, groups: 1, rows: rows, channels: channels, gamma: gamma,
                                                     beta: nil, epsilon: 1e-5)
        #expect(allClose(fast.mean, slow.mean, rtol: 1e-7, atol: 0))
        #expect(allClose(fast.variance, slow.variance, rtol: 1e-5, atol: 0))
        // y = (x − μ)/σ: |x − μ| carries x's rounding (ulp(100) ≈ 8e-6) relative to σ ≈ 0.29.
        #expect(allClose(fast.y, slow.y, rtol: 1e-5, atol: 2e-5))
    }

    /// The backward's register sums (16, 32 and 64 channels) make the bits of the blocked buffer path (48: both
    /// the blocked path), over several 64-row blocks and a partial last one, two groups, an offset input.
    @Test(arguments: [16, 32, 64, 48])
    func backwardRegisterPathEqualsBlockedSums(channels: Int) {
        for (groups, rows) in [(1, 1), (2, 200), (1, 4_097)] {
            let x = randomFloats(groups * rows * channels, in: 49.5...50.5, seed: UInt64(channels * rows + 1))
            let dy = randomFloats(groups * rows * channels, in: -1...1, seed: UInt64(channels * rows + 2))
            let gamma = randomFloats(groups * channels, in: 0.5...1.5, seed: 7)
            let mean = randomFloats(groups * channels, in: 49.9...50.1, seed: 8)
            let invStd = randomFloats(groups * channels, in: 2...4, seed: 9)
            func run(_ blocked: Bool) -> (dx: [Float], gamma: [Float], beta: [Float]) {
                var dx = [Float](repeating: .nan, count: groups * rows * channels)
                var gg = randomFloats(groups * channels, in: -1...1, seed: 10), gb = gg   // accumulated onto
                if blocked {
                    batchNormBackwardBlocked(x: x, gradOutput: dy, groups: groups, rows: rows, channels: channels, gamma: gamma,
                                             mean: mean, invStd: invStd, gradInput: &dx, gradGamma: &gg, gradBeta: &gb)
                } else {
                    batchNormBackward(x: x, gradOutput: dy, groups: groups, rows: rows, channels: channels, gamma: gamma,
                                      mean: mean, invStd: invStd, gradInput: &dx, gradGamma: &gg, gradBeta: &gb)
                }
                return (dx, gg, gb)
            }
            let fast = run(false), blocked = run(true)
            #expect(fast.dx.map(\.bitPattern) == blocked.dx.map(\.bitPattern), "\(groups)×\(rows)×\(channels)")
            #expect(fast.gamma.map(\.bitPattern) == blocked.gamma.map(\.bitPattern), "\(groups)×\(rows)×\(channels)")
            #expect(fast.beta.map(\.bitPattern) == blocked.beta.map(\.bitPattern), "\(groups)×\(rows)×\(channels)")
        }
    }

    /// The register path of 16, 32 and 64 channels makes the bits of the blocked buffer path, and both agree with
    /// the double-precision reference (rows spanning several 64-row blocks and a partial last block, two groups,
    /// data around a large offset).
    @Test(arguments: [16, 32, 64, 48])
    func statisticsRegisterPathEqualsBlockedSums(channels: Int) {
        for (groups, rows) in [(1, 1), (2, 200), (1, 4_097)] {
            let x = randomFloats(groups * rows * channels, in: 49.5...50.5, seed: UInt64(channels * rows))
            let gamma = randomFloats(groups * channels, in: 0.5...1.5, seed: 7)
            func run(_ blocked: Bool) -> (mean: [Float], invStd: [Float], variance: [Float], scale: [Float]) {
                var mean = [Float](repeating: .nan, count: groups * channels)
                var invStd = mean, variance = mean, scale = mean
                if blocked {
                    batchNormStatisticsBlocked(x: x, groups: groups, rows: rows, channels: channels, gamma: gamma, epsilon: 1e-5,
                                               mean: &mean, invStd: &invStd, variance: &variance, scale: &scale)
                } else {
                    batchNormStatistics(x: x, groups: groups, rows: rows, channels: channels, gamma: gamma, epsilon: 1e-5,
                                        mean: &mean, invStd: &invStd, variance: &variance, scale: &scale)
                }
                return (mean, invStd, variance, scale)
            }
            let fast = run(false), blocked = run(true)
            #expect(fast.mean == blocked.mean && fast.variance == blocked.variance, "\(groups)×\(rows)×\(channels)")
            #expect(fast.invStd == blocked.invStd && fast.scale == blocked.scale, "\(groups)×\(rows)×\(channels)")
            let slow = batchNormForwardTrainingReference(x: x, groups: groups, rows: rows, channels: channels, gamma: gamma,
                                                         beta: nil, epsilon: 1e-5)
            // Float block sums of values near 50 (ulp 3.8e-6): the mean within a few ulp of the double one.
            #expect(allClose(fast.mean, slow.mean, rtol: 1e-6, atol: 0))
            #expect(allClose(fast.variance, slow.variance, rtol: 1e-3, atol: 1e-6))
        }
    }

    @Test func inferenceForwardMatchesReference() {
        var seed: UInt64 = 600
        for shape in bnShapes {
            for withBeta in [false, true] {
                seed += 1
                let (g, n, c) = shape
                let x = randomFloats(g * n * c, in: -2...3, seed: seed)
                let gamma = randomFloats(g * c, in: 0.5...1.5, seed: seed + 1)
                let beta = withBeta ? randomFloats(g * c, in: -1...1, seed: seed + 2) : nil
                let rm = randomFloats(g * c, in: -1...1, seed: seed + 3)
                let rv = randomFloats(g * c, in: 0.1...3, seed: seed + 4)
                var y = [Float](repeating: .nan, count: x.count)
                if let beta {
                    batchNormForwardInference(x: x, groups: g, rows: n, channels: c, gamma: gamma, beta: beta,
                                              runningMean: rm, runningVariance: rv, epsilon: 1e-4, y: &y)
                } else {
                    batchNormForwardInference(x: x, groups: g, rows: n, channels: c, gamma: gamma, beta: nil,
                                              runningMean: rm, runningVariance: rv, epsilon: 1e-4, y: &y)
                }
                let expected = batchNormForwardInferenceReference(x: x, groups: g, rows: n, channels: c, gamma: gamma,
                                                                  beta: beta, runningMean: rm, runningVariance: rv,
                                                                  epsilon: 1e-4)
                #expect(allClose(y, expected, rtol: 1e-5, atol: 1e-6), "\(shape)")
            }
        }
    }

    @Test func backwardMatchesReferenceAndAccumulates() {
        var seed: UInt64 = 700
        for shape in bnShapes {
            seed += 1
            let (g, n, c) = shape
            let x = randomFloats(g * n * c, in: -2...3, seed: seed)
            let dy = randomFloats(g * n * c, in: -1...1, seed: seed + 1)
            let gamma = randomFloats(g * c, in: 0.5...1.5, seed: seed + 2)
            let f = runBatchNormTraining(x: x, groups: g, rows: n, channels: c, gamma: gamma, beta: nil, epsilon: 1e-5)
            var dx = [Float](repeating: .nan, count: x.count)
            let gammaStart = randomFloats(g * c, in: -1...1, seed: seed + 3)
            let betaStart = randomFloats(g * c, in: -1...1, seed: seed + 4)
            var dgamma = gammaStart, dbeta = betaStart
            batchNormBackward(x: x, gradOutput: dy, groups: g, rows: n, channels: c, gamma: gamma, mean: f.mean,
                              invStd: f.invStd, gradInput: &dx, gradGamma: &dgamma, gradBeta: &dbeta)
            let r = batchNormBackwardReference(x: x, gradOutput: dy, groups: g, rows: n, channels: c, gamma: gamma,
                                               epsilon: 1e-5)
            #expect(allClose(dx, r.gradInput, rtol: 1e-4, atol: 1e-5), "\(shape)")
            #expect(allClose(dgamma, zip(gammaStart, r.gradGamma).map { $0 + $1 }, rtol: 1e-5, atol: 1e-5))
            #expect(allClose(dbeta, zip(betaStart, r.gradBeta).map { $0 + $1 }, rtol: 1e-5, atol: 1e-5))
            // Without β the γ gradient is unchanged.
            var dgamma2 = gammaStart
            batchNormBackward(x: x, gradOutput: dy, groups: g, rows: n, channels: c, gamma: gamma, mean: f.mean,
                              invStd: f.invStd, gradInput: &dx, gradGamma: &dgamma2, gradBeta: nil)
            #expect(dgamma2 == dgamma)
        }
    }

    @Test func backwardAgreesWithFiniteDifferences() {
        let rows = 6, channels = 3
        let x = randomFloats(rows * channels, in: -2...2, seed: 9)
        let gamma: [Float] = [0.5, 1.5, -0.7], beta: [Float] = [0.1, -0.2, 0.3]
        let w = randomFloats(rows * channels, in: -1...1, seed: 10)
        let eps: Float = 1e-3
        let f = runBatchNormTraining(x: x, groups: 1, rows: rows, channels: channels, gamma: gamma, beta: beta, epsilon: eps)
        var dx = [Float](repeating: 0, count: x.count)
        var dgamma = [Float](repeating: 0, count: channels), dbeta = dgamma
        batchNormBackward(x: x, gradOutput: w, groups: 1, rows: rows, channels: channels, gamma: gamma, mean: f.mean,
                          invStd: f.invStd, gradInput: &dx, gradGamma: &dgamma, gradBeta: &dbeta)
        let xd = x.map(Double.init), gd = gamma.map(Double.init), bd = beta.map(Double.init), wd = w.map(Double.init)
        func loss(_ x: [Double], _ g: [Double], _ b: [Double]) -> Double {
            weightedBatchNormLoss(x: x, rows: rows, channels: channels, gamma: g, beta: b, epsilon: Double(eps), weights: wd)
        }
        let h = 1e-5
        for i in 0..<x.count {
            var plus = xd, minus = xd
            plus[i] += h
            minus[i] -= h
            let fd = (loss(plus, gd, bd) - loss(minus, gd, bd)) / (2 * h)
            #expect(abs(Double(dx[i]) - fd) < 1e-4 * max(1, abs(fd)), "dx[\(i)] \(dx[i]) vs \(fd)")
        }
        for c in 0..<channels {
            var plus = gd, minus = gd
            plus[c] += h
            minus[c] -= h
            let fdGamma = (loss(xd, plus, bd) - loss(xd, minus, bd)) / (2 * h)
            #expect(abs(Double(dgamma[c]) - fdGamma) < 1e-4 * max(1, abs(fdGamma)))
            var bplus = bd, bminus = bd
            bplus[c] += h
            bminus[c] -= h
            let fdBeta = (loss(xd, gd, bplus) - loss(xd, gd, bminus)) / (2 * h)
            #expect(abs(Double(dbeta[c]) - fdBeta) < 1e-4 * max(1, abs(fdBeta)))
        }
    }

    @Test func groupsAreIndependentNormalisations() {
        // Two groups of the same data but different γ give outputs scaled by the γ ratio.
        let one = randomFloats(8 * 5, in: -1...1, seed: 3)
        let r = runBatchNormTraining(x: one + one, groups: 2, rows: 8, channels: 5,
                                     gamma: [Float](repeating: 1, count: 5) + [Float](repeating: 2, count: 5),
                                     beta: nil, epsilon: 1e-5)
        #expect(allClose(Array(r.y[40...]), r.y[..<40].map { 2 * $0 }, rtol: 1e-6, atol: 1e-7))
        #expect(Array(r.mean[..<5]) == Array(r.mean[5...]))
    }
}
