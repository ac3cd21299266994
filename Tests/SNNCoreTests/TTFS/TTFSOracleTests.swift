import Foundation
import Testing
import SNNCore

/// METHODS §1.7 oracles (τ = 2, t_d = 0, T_w = 8 unless stated), each value worked out there independently.
@Suite struct TTFSOracleTests {
    let k = TemporalKernel(tau: 2, delay: 0, window: 8)

    /// Oracle 1: encode → round (training) / ceil (surrogate evaluation) → decode → clip.
    @Test(arguments: [
        (Float(2.0), Float(1.000000), Float(1.000000)),
        (0.5, 0.606531, 0.367879),
        (0.3, 0.367879, 0.223130),
        (0.1, 0.082085, 0.082085),
        (0.02, 0.018316, 0.018316),
        (0.018, 0.018316, 0),
        (0.01, 0, 0),
        (0, 0, 0),
        (-1, 0, 0),
    ])
    func kernelRoundTrip(z: Float, trained: Float, evaluated: Float) {
        #expect(abs(temporalKernelActivation(z, k, quantizer: .round, clip: true) - trained) < 1e-6)
        #expect(abs(temporalKernelActivation(z, k, quantizer: .ceil, clip: true) - evaluated) < 1e-6)
    }

    @Test func encodedTimesMatchTheTable() {
        #expect(temporalKernelEncode(2.0, k) == 0)
        #expect(abs(temporalKernelEncode(0.5, k) - 1.386294) < 1e-5)
        #expect(abs(temporalKernelEncode(0.3, k) - 2.407946) < 1e-5)
        #expect(abs(temporalKernelEncode(0.018, k) - 8.034767) < 1e-5)
        #expect(abs(temporalKernelEncode(0, k) - 138.155) < 1e-2)   // −2·ln(1e-30)
        #expect(abs(k.minValue - 0.018316) < 1e-6 && k.maxValue == 1)
    }

    /// Oracle 2: the SNN neuron's firing step with the dynamic threshold, q = 0.5 and q = 0.
    @Test(arguments: [(Float(0.3), 0.5, 2), (0.3, 0, 3), (0.5, 0.5, 1), (0.5, 0, 2), (1.0, 0.5, 0), (1.0, 0, 0), (0.02, 0.5, 8)])
    func firingStep(v: Float, q: Float, step: Int) {
        let th = k.thresholds(offset: q)
        #expect(th.withUnsafeBufferPointer { ttfsFireStep(potential: v, thresholds: $0.baseAddress!, window: 8) } == step)
        #expect(ttfsFireStepReference(potential: v, kernel: k, offset: q) == step)
    }

    @Test func thresholdsMatchTheTable() {
        let half = k.thresholds(offset: 0.5), zero = k.thresholds(offset: 0)
        for (a, b) in zip(half.prefix(3), [Float(0.778801), 0.472367, 0.286505]) { #expect(abs(a - b) < 1e-6) }
        for (a, b) in zip(zero.prefix(4), [Float(1), 0.606531, 0.367879, 0.223130]) { #expect(abs(a - b) < 1e-6) }
        #expect(abs(half[7] - 0.023518) < 1e-6)
        // The next layer decodes a step-2 spike as e^{-1}, equal to training's round of V = 0.3.
        #expect(abs(k.value(at: 2) - temporalKernelActivation(0.3, k, quantizer: .round, clip: true)) < 1e-7)
    }

    /// Oracle 3: STE gradients at z = 0.5 (q = 1) and saturated z = 2.
    @Test func straightThroughGradients() {
        var dz: Float = 0
        func grads(_ z: Float, _ kern: TemporalKernel) -> (Float, Double, Double) {
            var zz = z, out = temporalKernelActivation(z, kern, quantizer: .round, clip: true), dy: Float = 1
            let g = temporalKernelBackward(kern, quantizer: .round, input: &zz, output: &out, gradOutput: &dy, count: 1, gradInput: &dz)
            return (dz, g.tau, g.delay)
        }
        let (d1, t1, d1d) = grads(0.5, k)
        #expect(abs(d1 - 1.213061) < 1e-5)
        #expect(d1d == 0)
        #expect(abs(t1 - -0.058575) < 1e-6)
        let (d2, t2, d2d) = grads(2, k)
        #expect(d2 == 0 && abs(d2d - 0.5) < 1e-7 && t2 == 0)
        // Saturated with t_d ≠ 0: ∂x̂/∂τ = −x̂·t_d/τ².
        let shifted = TemporalKernel(tau: 2, delay: 0.4, window: 8)
        let (_, t3, d3) = grads(5, shifted)
        let x = exp(0.2)
        #expect(abs(t3 - (-x * 0.4 / 4)) < 1e-6 && abs(d3 - x / 2) < 1e-6)
        // Clipped and non-positive inputs pass nothing.
        #expect(grads(0.01, k) == (0, 0, 0))
        #expect(grads(-1, k) == (0, 0, 0))
    }

    /// Oracle 4: R_init.
    @Test func initialValueRegularizer() {
        let r = ttfsInitialValueRegularizer(tau: [2.5, 1.8], delay: [0.3, -0.1], tauInit: 2, delayInit: 0)
        #expect(abs(r.value - 0.39) < 1e-6)
        #expect(abs(1e-4 * r.value - 3.9e-5) < 1e-10)
        #expect(r.gradTau.map { Double($0) }.elementsEqual([1.0, -0.4], by: { abs($0 - $1) < 1e-6 }))
        #expect(r.gradDelay.map { Double($0) }.elementsEqual([0.6, -0.2], by: { abs($0 - $1) < 1e-6 }))
    }

    /// Oracle 5: the TKBN polynomial (with its leading minus sign), x_T = e^{-4}.
    @Test func tkbnPolynomial() {
        let xT = Float(exp(-4.0))
        #expect(abs(ttfsTKBNTerm(gamma: 1, beta: 0, xT: xT).value - 0.018317) < 1e-6)
        #expect(abs(ttfsTKBNTerm(gamma: 1, beta: 0.5, xT: xT).value - 0.374857) < 1e-5)
        #expect(abs(ttfsTKBNTerm(gamma: 2, beta: -0.5, xT: xT).value - -0.208725) < 1e-5)
        // At β = 0 the β-gradient of L_TKBN is ½(x_T²γ + 2) > 0 (METHODS §1.3): descent lowers β.
        #expect(abs(ttfsTKBNTerm(gamma: 1, beta: 0, xT: xT).dBeta - 0.5 * (xT * xT + 2)) < 1e-6)
    }

    /// Oracle 6: relaxation schedule.
    @Test func relaxationSchedule() {
        #expect(abs(ttfsRelaxationProbability(epoch: 0, targetEpoch: 50, bypass: 0) - 0.02) < 1e-7)
        #expect(ttfsRelaxationProbability(epoch: 24, targetEpoch: 50, bypass: 0) == 0.5)
        #expect(ttfsRelaxationProbability(epoch: 49, targetEpoch: 50, bypass: 0) == 1)
        #expect(ttfsRelaxationProbability(epoch: 60, targetEpoch: 50, bypass: 0) == 1)
    }
}
