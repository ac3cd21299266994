import Foundation
import Testing
import SNNCore

/// Runs the SIMD backward kernel on arrays.
func runLIFBackward(_ p: LIFParameters, surrogate: Surrogate, gradSpikes: [Float], potentials: [Float],
                    spikes: [Float], steps: Int, count: Int, inputSteps: Int) -> [Float] {
    var grad = [Float](repeating: .nan, count: inputSteps * count)  // must be overwritten
    lifBackward(p, surrogate: surrogate, gradSpikes: gradSpikes, potentials: potentials, spikes: spikes,
                steps: steps, count: count, gradInput: &grad, inputSteps: inputSteps)
    return grad
}

let surrogates: [Surrogate] = [.triangular(scale: 0.3), .atan(alpha: 2), .sigmoid(alpha: 4)]

@Suite struct LIFBackwardTests {
    @Test(arguments: surrogates)
    func simdMatchesReference(surrogate: Surrogate) {
        var seed: UInt64 = 100
        for p in lifVariants {
            for count in awkwardCounts {
                for (steps, inputSteps) in [(1, 1), (5, 5), (5, 1), (25, 25)] {
                    seed += 1
                    let input = randomFloats(inputSteps * count, in: -0.5...1.2, seed: seed)
                    let forward = lifForwardReference(p, input: input, inputSteps: inputSteps, steps: steps, count: count)
                    let g = randomFloats(steps * count, in: -1...1, seed: seed + 5000)
                    let fast = runLIFBackward(p, surrogate: surrogate, gradSpikes: g, potentials: forward.potentials,
                                              spikes: forward.spikes, steps: steps, count: count, inputSteps: inputSteps)
                    let slow = lifBackwardReference(p, surrogate: surrogate, gradSpikes: g,
                                                    potentials: forward.potentials, spikes: forward.spikes,
                                                    steps: steps, count: count, inputSteps: inputSteps)
                    if case .sigmoid = surrogate {
                        // Vector exp vs libm expf: a few ulp per surrogate value, accumulated over the steps.
                        #expect(allClose(fast, slow, rtol: 1e-5, atol: 1e-6), "\(p) \(count) \(steps)/\(inputSteps)")
                    } else {
                        #expect(fast == slow, "\(p) count \(count) steps \(steps)/\(inputSteps)")
                    }
                }
            }
        }
    }

    /// BPTT of 3 steps written out by hand: δ3 = g3σ'(U3); δ2 = g2σ'(U2) + λk2δ3; δ1 = g1σ'(U1) + λk1δ2.
    @Test(arguments: [ResetMode.soft, .hard])
    func matchesHandUnrolledThreeStepBPTT(reset: ResetMode) {
        let p = LIFParameters(leak: 0.9, threshold: 1, inputGain: 0.8, reset: reset, comparison: .greater)
        let sg = Surrogate.triangular(scale: 0.3)
        let count = 19
        // Inputs that make neurons fire at various steps (0.8·1.5 = 1.2 > 1 fires at step 1, …).
        let input = randomFloats(3 * count, in: 0...1.5, seed: 77)
        let f = lifForwardReference(p, input: input, inputSteps: 3, steps: 3, count: count)
        #expect(f.spikes.contains(1) && f.spikes.contains(0))
        let g = randomFloats(3 * count, in: -1...1, seed: 78)
        let perStep = runLIFBackward(p, surrogate: sg, gradSpikes: g, potentials: f.potentials, spikes: f.spikes,
                                     steps: 3, count: count, inputSteps: 3)
        for n in 0..<count {
            let u1 = Double(f.potentials[n]), u2 = Double(f.potentials[count + n]), u3 = Double(f.potentials[2 * count + n])
            let s1 = Double(f.spikes[n]), s2 = Double(f.spikes[count + n])
            let g1 = Double(g[n]), g2 = Double(g[count + n]), g3 = Double(g[2 * count + n])
            func d(_ u: Double) -> Double { 0.3 * max(0, 1 - abs(u - 1)) }
            let k1 = reset == .soft ? 1 : 1 - s1, k2 = reset == .soft ? 1 : 1 - s2
            let delta3 = g3 * d(u3)
            let delta2 = g2 * d(u2) + 0.9 * k2 * delta3
            let delta1 = g1 * d(u1) + 0.9 * k1 * delta2
            let expected = [0.8 * delta1, 0.8 * delta2, 0.8 * delta3].map(Float.init)
            #expect(allClose(series(perStep, neuron: n, count: count), expected, rtol: 1e-5, atol: 1e-7))
        }
        // The same input at every step: the gradient is the sum over steps.
        let sharedInput = randomFloats(count, in: 0...1.5, seed: 79)
        let fs = lifForwardReference(p, input: sharedInput, inputSteps: 1, steps: 3, count: count)
        let full = runLIFBackward(p, surrogate: sg, gradSpikes: g, potentials: fs.potentials, spikes: fs.spikes,
                                  steps: 3, count: count, inputSteps: 3)
        let summed = runLIFBackward(p, surrogate: sg, gradSpikes: g, potentials: fs.potentials, spikes: fs.spikes,
                                    steps: 3, count: count, inputSteps: 1)
        let expectedSum = (0..<count).map { n in series(full, neuron: n, count: count).reversed().reduce(0, +) }
        #expect(allClose(summed, expectedSum, rtol: 1e-6, atol: 1e-7))
    }

    @Test func hardResetCutsTheGradientThroughAFiringStep() {
        // 2 steps, the neuron fires at step 1: with a hard reset U2 does not depend on U1.
        let p = LIFParameters(leak: 0.5, threshold: 1, reset: .hard)
        let potentials: [Float] = [Float](repeating: 1.2, count: 16) + [Float](repeating: 0.9, count: 16)
        let spikes: [Float] = [Float](repeating: 1, count: 16) + [Float](repeating: 0, count: 16)
        let g: [Float] = [Float](repeating: 0, count: 16) + [Float](repeating: 1, count: 16)
        let grad = runLIFBackward(p, surrogate: .triangular(scale: 0.3), gradSpikes: g, potentials: potentials,
                                  spikes: spikes, steps: 2, count: 16, inputSteps: 2)
        #expect(grad[0] == 0)
        #expect(abs(grad[16] - 0.27) < 1e-6)
        var soft = p
        soft.reset = .soft
        let gradSoft = runLIFBackward(soft, surrogate: .triangular(scale: 0.3), gradSpikes: g, potentials: potentials,
                                      spikes: spikes, steps: 2, count: 16, inputSteps: 2)
        #expect(abs(gradSoft[0] - 0.5 * 0.27) < 1e-6)
    }
}

@Suite struct SurrogateTests {
    /// METHODS §3.7 oracle 3 (θ = 1): 1.0 → 0.3, 0.5 → 0.15, 1.6 → 0.12, 2.2 → 0, 0 → 0.
    @Test func bnttTriangularOracle() {
        let sg = Surrogate.triangular(scale: 0.3)
        let cases: [(Float, Float)] = [(1.0, 0.3), (0.5, 0.15), (1.6, 0.12), (2.2, 0), (0, 0)]
        for (u, expected) in cases {
            #expect(abs(sg.derivative(potential: u, threshold: 1) - expected) < 1e-6, "U = \(u)")
        }
        // The same values through the SIMD backward kernel (1 step, ∂L/∂s = 1): lanes and tail.
        let u = (0..<20).map { cases[$0 % cases.count].0 }
        let grad = runLIFBackward(LIFParameters(), surrogate: sg, gradSpikes: [Float](repeating: 1, count: 20),
                                  potentials: u, spikes: [Float](repeating: 0, count: 20), steps: 1, count: 20,
                                  inputSteps: 1)
        for n in 0..<20 { #expect(abs(grad[n] - cases[n % cases.count].1) < 1e-6) }
    }

    @Test func triangularScalesWithThreshold() {
        // ∂s/∂U = scale·max(0, 1 − |U/θ − 1|)/θ: at U = θ = 2 it is 0.3/2; at U = 3 it is 0.3·0.5/2.
        let sg = Surrogate.triangular(scale: 0.3)
        #expect(abs(sg.derivative(potential: 2, threshold: 2) - 0.15) < 1e-7)
        #expect(abs(sg.derivative(potential: 3, threshold: 2) - 0.075) < 1e-7)
    }

    @Test func peakValuesAtTheThreshold() {
        #expect(Surrogate.atan(alpha: 2).derivative(potential: 0.7, threshold: 0.7) == 1)  // α/2
        #expect(abs(Surrogate.sigmoid(alpha: 4).derivative(potential: 0.7, threshold: 0.7) - 1) < 1e-7)  // α/4
    }

    /// ATan and sigmoid are derivatives of smooth spike functions; check them by central differences.
    @Test func atanAndSigmoidAreDerivativesOfTheirPrimitives() {
        let h = 1e-4
        for u in stride(from: -1.0, through: 3.0, by: 0.125) {
            let theta = 1.0
            let atanPrimitive = { (v: Double) in Foundation.atan(Double.pi / 2 * 2 * (v - theta)) / Double.pi + 0.5 }
            let sigmoidPrimitive = { (v: Double) in 1 / (1 + Foundation.exp(-4 * (v - theta))) }
            let fdAtan = (atanPrimitive(u + h) - atanPrimitive(u - h)) / (2 * h)
            let fdSigmoid = (sigmoidPrimitive(u + h) - sigmoidPrimitive(u - h)) / (2 * h)
            #expect(abs(Double(Surrogate.atan(alpha: 2).derivative(potential: Float(u), threshold: 1)) - fdAtan) < 1e-5)
            #expect(abs(Double(Surrogate.sigmoid(alpha: 4).derivative(potential: Float(u), threshold: 1)) - fdSigmoid) < 1e-5)
        }
    }

    @Test func simdSigmoidAgreesWithLibmOverAWideRange() {
        // Includes potentials far from θ, where σ saturates and the vector exp's range clamp matters.
        let u = (0..<4001).map { Float($0 - 2000) * 0.025 }  // −50 … 50
        let grad = runLIFBackward(LIFParameters(), surrogate: .sigmoid(alpha: 4), gradSpikes: [Float](repeating: 1, count: u.count),
                                  potentials: u, spikes: [Float](repeating: 0, count: u.count), steps: 1,
                                  count: u.count, inputSteps: 1)
        let expected = u.map { Surrogate.sigmoid(alpha: 4).derivative(potential: $0, threshold: 1) }
        #expect(allClose(grad, expected, rtol: 2e-6, atol: 1e-30))
        #expect(grad.allSatisfy { $0.isFinite && $0 >= 0 })
    }

    @Test func codableRoundTrip() throws {
        for s in surrogates {
            let data = try JSONEncoder().encode(s)
            #expect(try JSONDecoder().decode(Surrogate.self, from: data) == s)
        }
        let p = LIFParameters(leak: 0.5, threshold: 0.3, alpha: 0.5, inputGain: 0.2, reset: .hard,
                              comparison: .greaterOrEqual, initialPotential: 0.1)
        #expect(try JSONDecoder().decode(LIFParameters.self, from: JSONEncoder().encode(p)) == p)
    }
}
