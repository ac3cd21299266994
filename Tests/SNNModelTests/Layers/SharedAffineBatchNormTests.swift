import Foundation
import Testing
import SNNCore
import SNNEnergy
import SNNModel

/// Batch norm with statistics per step and one γ/β shared by all steps (`"perStep": true, "sharedAffine": true`,
/// snnTorch's `nn.BatchNorm2d` called in its loop over T), against a scalar reference written here in double
/// precision from the definition, and against finite differences.
@Suite struct SharedAffineBatchNormTests {
    let steps = 3, batch = 4, features = [2, 2, 3], c = 3, epsilon: Float = 1e-4

    func layer() -> BatchNormLayer {
        BatchNormLayer(name: "bn1", index: 0, shape: features, perStep: true, shift: true, epsilon: epsilon, momentum: 0.1,
                       timesteps: steps, sharedAffine: true)
    }

    /// Per step t and channel ch: μ, biased σ² over the step's batch·H·W values; `x̂ = (x − μ)/√(σ² + ε)`;
    /// `y = γ·x̂ + β` with the one γ/β; `∂γ = Σ_t Σ dy·x̂`, `∂β = Σ_t Σ dy`;
    /// `dx = γ/√(σ² + ε)·(dy − mean(dy) − x̂·mean(dy·x̂))` over the step's values.
    func reference(x: [Float], dy: [Float], gamma: [Float], beta: [Float])
        -> (y: [Double], dx: [Double], dGamma: [Double], dBeta: [Double]) {
        let rowsPerStep = batch * 4, perStep = rowsPerStep * c
        var y = [Double](repeating: 0, count: x.count), dx = y
        var dGamma = [Double](repeating: 0, count: c), dBeta = dGamma
        for t in 0..<steps {
            for ch in 0..<c {
                let idx = (0..<rowsPerStep).map { t * perStep + $0 * c + ch }
                let n = Double(rowsPerStep)
                let mu = idx.reduce(0.0) { $0 + Double(x[$1]) } / n
                let variance = idx.reduce(0.0) { $0 + (Double(x[$1]) - mu) * (Double(x[$1]) - mu) } / n
                let inv = 1 / (variance + Double(epsilon)).squareRoot()
                let xhat = idx.map { (Double(x[$0]) - mu) * inv }
                let g = idx.map { Double(dy[$0]) }
                let meanDy = g.reduce(0, +) / n
                let meanDyXhat = zip(g, xhat).reduce(0.0) { $0 + $1.0 * $1.1 } / n
                for (k, i) in idx.enumerated() {
                    y[i] = Double(gamma[ch]) * xhat[k] + Double(beta[ch])
                    dx[i] = Double(gamma[ch]) * inv * (g[k] - meanDy - xhat[k] * meanDyXhat)
                    dGamma[ch] += g[k] * xhat[k]
                    dBeta[ch] += g[k]
                }
            }
        }
        return (y, dx, dGamma, dBeta)
    }

    @Test func holdsOneScaleAndShiftButStatisticsPerStep() {
        let l = layer()
        #expect(l.parameterCount == 2 * c)            // γ and β once, not per step (BNTT would hold 2·T·c)
        #expect(l.stateCount == 2 * steps * c)        // running mean and variance per step
        #expect(l.statisticsCount == 2 * steps * c)
        var parameters = [Float](repeating: -7, count: l.parameterCount), state = [Float](repeating: -7, count: l.stateCount)
        var rng = RandomStream(seed: 1, epoch: 0, sample: 0)
        parameters.withUnsafeMutableBufferPointer { p in
            state.withUnsafeMutableBufferPointer { s in
                l.initialize(parameters: p.baseAddress!, state: s.baseAddress!, initializer: .xavierUniform(gain: 1), rng: &rng)
            }
        }
        #expect(parameters == [1, 1, 1, 0, 0, 0])
        #expect(state == [Float](repeating: 0, count: steps * c) + [Float](repeating: 1, count: steps * c))
    }

    @Test func trainingForwardAndBackwardMatchTheScalarReference() throws {
        var r = GradRNG(s: 41)
        let gamma = (0..<c).map { _ in 1 + 0.5 * r.float() }, beta = (0..<c).map { _ in 0.5 * r.float() }
        // Steps with different scales and offsets, so per-step and stacked statistics differ.
        var x = randomInput(steps: steps, batch: batch, features: features, seed: 42)
        let perStep = x.data.count / steps
        for i in x.data.indices { x.data[i] = x.data[i] * Float(1 + i / perStep) + Float(i / perStep) }
        let dy = randomInput(steps: steps, batch: batch, features: features, seed: 43)
        let run = runLayer(layer(), x, mode: .training, steps: steps, parameters: gamma + beta, gradOutput: { _ in dy })
        let ref = reference(x: x.data, dy: dy.data, gamma: gamma, beta: beta)
        #expect(run.y.steps == steps && run.y.data.count == ref.y.count)
        for i in ref.y.indices { #expect(abs(Double(run.y.data[i]) - ref.y[i]) <= 1e-5 * max(1, abs(ref.y[i])), "y \(i)") }
        let dx = try #require(run.dx)
        for i in ref.dx.indices { #expect(abs(Double(dx.data[i]) - ref.dx[i]) <= 1e-5 * max(1, abs(ref.dx[i])), "dx \(i)") }
        #expect(run.gradients.count == 2 * c)
        for ch in 0..<c {
            #expect(abs(Double(run.gradients[ch]) - ref.dGamma[ch]) <= 1e-5 * max(1, abs(ref.dGamma[ch])), "dγ \(ch)")
            #expect(abs(Double(run.gradients[c + ch]) - ref.dBeta[ch]) <= 1e-5 * max(1, abs(ref.dBeta[ch])), "dβ \(ch)")
        }
    }

    /// Inference normalises step t with step t's running statistics and the one γ/β.
    @Test func inferenceUsesEachStepsRunningStatistics() {
        let l = layer()
        var r = GradRNG(s: 51)
        let gamma = (0..<c).map { _ in 1 + 0.5 * r.float() }, beta = (0..<c).map { _ in 0.5 * r.float() }
        let runningMean = (0..<(steps * c)).map { _ in r.float() }, runningVariance = (0..<(steps * c)).map { _ in 1 + r.float(0, 1) }
        let parameters = gamma + beta, state = runningMean + runningVariance
        let x = randomInput(steps: steps, batch: batch, features: features, seed: 52)
        var y: Activation!
        parameters.withUnsafeBufferPointer { pp in
            state.withUnsafeBufferPointer { sp in
                var ctx = PassContext(mode: .inference, steps: steps, parameters: pp.baseAddress!, state: sp.baseAddress!,
                                      gradients: nil, statistics: nil, ledger: EventLedger(layerNames: [l.name], timesteps: steps))
                y = l.forward(x, context: &ctx, cache: LayerCache())
            }
        }
        let perStep = x.data.count / steps
        for i in x.data.indices {
            let t = i / perStep, ch = i % c
            let expected = Double(gamma[ch]) * (Double(x.data[i]) - Double(runningMean[t * c + ch]))
                / (Double(runningVariance[t * c + ch]) + Double(epsilon)).squareRoot() + Double(beta[ch])
            #expect(abs(Double(y.data[i]) - expected) <= 1e-5 * max(1, abs(expected)), "y \(i)")
        }
    }

    /// The whole gradient (conv weights, shared γ/β, dense weights) against central differences, for an input
    /// that changes over the steps and for a constant one (copied to every step).
    @Test(arguments: [3, 1])
    func networkGradientMatchesFiniteDifferences(inputSteps: Int) {
        let net = Network(NetworkConfig(inputShape: [2, 2, 3], timesteps: 3,
                                        layers: [.conv(channels: 4, kernel: 1, stride: 1, padding: 0, bias: false),
                                                 .batchNorm(perStep: true, shift: true, epsilon: 1e-4, momentum: 0.1, sharedAffine: true),
                                                 .flatten, .dense(units: 3, bias: false)],
                                        readout: .meanPotential, initializer: .xavierUniform(gain: 1)))
        #expect(net.parameterCount == 3 * 4 + 2 * 4 + 16 * 3)
        checkGradient(net, input: randomInput(steps: inputSteps, batch: 4, features: [2, 2, 3], seed: 44), labels: [0, 2, 1, 2])
    }
}
