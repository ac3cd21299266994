import Testing
import SNNCore

/// The `soft-unleaked` reset (snnTorch `Leaky`, `reset_mechanism="subtract"`): the next step sees
/// `leak·U − θ·s + inputGain·I`, where `soft` gives `leak·(U − θ·s) + inputGain·I`.
@Suite struct LIFSoftUnleakedTests {
    /// snnTorch's recursion by hand, β 0.5, θ 1, constant input 0.75, `U > θ` (every value exact in binary):
    /// U1 = 0.75; U2 = 0.375 + 0.75 = 1.125 (spike); U3 = 0.5625 + 0.75 − 1 = 0.3125; U4 = 0.15625 + 0.75 = 0.90625;
    /// U5 = 0.453125 + 0.75 = 1.203125 (spike); U6 = 0.6015625 + 0.75 − 1 = 0.3515625.
    /// The leaked soft reset would give U3 = 0.5·0.125 + 0.75 = 0.8125 instead.
    @Test(arguments: [1, 6])
    func snnTorchSubtractOracle(inputSteps: Int) {
        let count = 20  // one SIMD block of 16 and a scalar tail of 4
        let p = LIFParameters(leak: 0.5, threshold: 1, reset: .softUnleaked, comparison: .greater)
        let input = [Float](repeating: 0.75, count: inputSteps * count)
        let r = runLIFForward(p, input: input, inputSteps: inputSteps, steps: 6, count: count)
        let expected: [Float] = [0.75, 1.125, 0.3125, 0.90625, 1.203125, 0.3515625]
        for n in [0, 15, 16, 19] {
            #expect(series(r.potentials, neuron: n, count: count) == expected)
            #expect(spikeSteps(r.spikes, neuron: n, count: count) == [2, 5])
        }
        #expect(r.fired == 2 * count)
        let soft = runLIFForward(LIFParameters(leak: 0.5, threshold: 1, reset: .soft, comparison: .greater),
                                 input: input, inputSteps: inputSteps, steps: 3, count: count)
        #expect(series(soft.potentials, neuron: 0, count: count) == [0.75, 1.125, 0.8125] as [Float])
    }

    /// The kernel (which subtracts θ/leak before the leak) against the reference written as snnTorch's recursion
    /// `U_t = β·U_{t−1} + gain·I_t − θ·s_{t−1}`: equal up to rounding, identical spikes.
    @Test func simdMatchesTheSnnTorchRecursion() {
        let variants = [
            LIFParameters(leak: 0.5, threshold: 1, reset: .softUnleaked, comparison: .greaterOrEqual),
            LIFParameters(leak: 0.95, threshold: 1, reset: .softUnleaked, comparison: .greater),
            LIFParameters(leak: 0.8, threshold: 0.6, alpha: 0.5, inputGain: 0.7, reset: .softUnleaked,
                          comparison: .greater, initialPotential: 0.25),
            LIFParameters(leak: 1, threshold: 1, reset: .softUnleaked, comparison: .greater),
        ]
        var seed: UInt64 = 900
        for p in variants {
            for count in awkwardCounts {
                for (steps, inputSteps) in [(1, 1), (6, 6), (6, 1), (25, 25)] {
                    seed += 1
                    let input = randomFloats(inputSteps * count, in: -0.5...1.2, seed: seed)
                    let fast = runLIFForward(p, input: input, inputSteps: inputSteps, steps: steps, count: count)
                    let slow = lifForwardReference(p, input: input, inputSteps: inputSteps, steps: steps, count: count)
                    #expect(fast.spikes == slow.spikes, "\(p) count \(count) steps \(steps)/\(inputSteps)")
                    #expect(allClose(fast.potentials, slow.potentials, rtol: 1e-5, atol: 1e-6),
                            "\(p) count \(count) steps \(steps)/\(inputSteps)")
                    #expect(fast.fired == Int(slow.spikes.reduce(0, +)))
                }
            }
        }
    }

    /// With leak 1 (IF) the leak cannot scale the reset: soft-unleaked and soft are the same neuron, bit for bit.
    @Test func withoutLeakItIsTheSoftReset() {
        let input = randomFloats(8 * 37, in: -0.5...1.2, seed: 4242)
        let a = runLIFForward(LIFParameters(leak: 1, threshold: 1, reset: .softUnleaked), input: input, inputSteps: 8,
                              steps: 8, count: 37)
        let b = runLIFForward(LIFParameters(leak: 1, threshold: 1, reset: .soft), input: input, inputSteps: 8,
                              steps: 8, count: 37)
        #expect(a.potentials == b.potentials && a.spikes == b.spikes)
    }

    /// The reset is detached, so BPTT is the soft reset's: δ_t = g_t·σ'(U_t) + leak·δ_{t+1}, kernel and reference.
    @Test(arguments: surrogates)
    func backwardIsTheDetachedSoftResetRecursion(surrogate: Surrogate) {
        let p = LIFParameters(leak: 0.5, threshold: 1, reset: .softUnleaked, comparison: .greaterOrEqual)
        let count = 33, steps = 8
        let input = randomFloats(steps * count, in: -0.5...1.5, seed: 31)
        let f = lifForwardReference(p, input: input, inputSteps: steps, steps: steps, count: count)
        #expect(f.spikes.contains(1))
        let g = randomFloats(steps * count, in: -1...1, seed: 32)
        let fast = runLIFBackward(p, surrogate: surrogate, gradSpikes: g, potentials: f.potentials, spikes: f.spikes,
                                  steps: steps, count: count, inputSteps: steps)
        var soft = p
        soft.reset = .soft
        let asSoft = runLIFBackward(soft, surrogate: surrogate, gradSpikes: g, potentials: f.potentials,
                                    spikes: f.spikes, steps: steps, count: count, inputSteps: steps)
        #expect(fast == asSoft)
        // The recursion by hand, in double precision.
        for n in [0, 16, 32] {
            var delta = 0.0
            for t in stride(from: steps - 1, through: 0, by: -1) {
                let at = t * count + n
                let d = Double(surrogate.derivative(potential: f.potentials[at], threshold: 1))
                delta = Double(g[at]) * d + 0.5 * delta
                #expect(abs(Double(fast[at]) - delta) <= 1e-5 * max(1, abs(delta)), "neuron \(n) step \(t)")
            }
        }
    }
}
