import Testing
import SNNCore

/// Runs the SIMD kernel on arrays.
func runLIFForward(_ p: LIFParameters, input: [Float], inputSteps: Int, steps: Int,
                   count: Int) -> (spikes: [Float], potentials: [Float], fired: Int) {
    var spikes = [Float](repeating: -1, count: steps * count)
    var potentials = [Float](repeating: -1, count: steps * count)
    let fired = lifForward(p, input: input, inputSteps: inputSteps, steps: steps, count: count,
                           spikes: &spikes, potentials: &potentials)
    return (spikes, potentials, fired)
}

/// Every combination of reset and comparison, with the non-default knobs turned.
let lifVariants: [LIFParameters] = [ResetMode.soft, .hard].flatMap { reset in
    [ThresholdComparison.greater, .greaterOrEqual].flatMap { comparison in
        [
            LIFParameters(leak: 0.95, threshold: 1, reset: reset, comparison: comparison),
            LIFParameters(leak: 0.8, threshold: 0.6, alpha: 0.5, inputGain: 0.7, reset: reset,
                          comparison: comparison, initialPotential: 0.25),
            LIFParameters(leak: 1, threshold: 1, reset: reset, comparison: comparison),
        ]
    }
}

@Suite struct LIFForwardTests {
    @Test func simdMatchesReferenceBitForBitForAllResetsComparisonsAndSizes() {
        var seed: UInt64 = 1
        for p in lifVariants {
            for count in awkwardCounts {
                for (steps, inputSteps) in [(1, 1), (6, 6), (6, 1), (25, 25)] {
                    seed += 1
                    let input = randomFloats(inputSteps * count, in: -0.5...1.2, seed: seed)
                    let fast = runLIFForward(p, input: input, inputSteps: inputSteps, steps: steps, count: count)
                    let slow = lifForwardReference(p, input: input, inputSteps: inputSteps, steps: steps, count: count)
                    #expect(fast.spikes == slow.spikes, "\(p) count \(count) steps \(steps)/\(inputSteps)")
                    #expect(fast.potentials == slow.potentials, "\(p) count \(count) steps \(steps)/\(inputSteps)")
                    #expect(fast.fired == Int(slow.spikes.reduce(0, +)))
                }
            }
        }
    }

    @Test func inferenceVariantGivesTheSameSpikesWithoutPotentials() {
        var seed: UInt64 = 500
        for p in lifVariants {
            for count in [1, 16, 37, 1040] {
                for (steps, inputSteps) in [(6, 6), (8, 1)] {
                    seed += 1
                    let input = randomFloats(inputSteps * count, in: -0.5...1.2, seed: seed)
                    let slow = lifForwardReference(p, input: input, inputSteps: inputSteps, steps: steps, count: count)
                    var spikes = [Float](repeating: -1, count: steps * count)
                    var perStep = [Int](repeating: -1, count: steps)
                    let fired = lifForward(p, input: input, inputSteps: inputSteps, steps: steps, count: count, spikes: &spikes,
                                           stepSpikes: &perStep)
                    #expect(spikes == slow.spikes, "\(p) count \(count) steps \(steps)/\(inputSteps)")
                    #expect(fired == Int(slow.spikes.reduce(0, +)))
                    // Per-step counts as the reference's spikes of each step.
                    #expect(perStep == (0..<steps).map { t in Int(slow.spikes[(t * count)..<((t + 1) * count)].reduce(0, +)) })
                    // The training variant counts the same.
                    var pot = [Float](repeating: 0, count: steps * count), perStep2 = [Int](repeating: -1, count: steps)
                    _ = lifForward(p, input: input, inputSteps: inputSteps, steps: steps, count: count, spikes: &spikes,
                                   potentials: &pot, stepSpikes: &perStep2)
                    #expect(perStep2 == perStep && pot == slow.potentials)
                }
            }
        }
    }

    @Test func exactlyRepresentableInputsOnTheFiringLevelFollowTheComparison() {
        // DSR oracle 2.8.1 (all values exact in binary): IF, θ = 1, constant 0.375, 4 steps.
        let input = [Float](repeating: 0.375, count: 20)  // 20 neurons: SIMD lanes and scalar tail
        let half = LIFParameters(threshold: 1, alpha: 0.5, comparison: .greaterOrEqual)
        let r1 = runLIFForward(half, input: input, inputSteps: 1, steps: 4, count: 20)
        #expect(r1.fired == 2 * 20)
        #expect(series(r1.potentials, neuron: 0, count: 20) == [0.375, 0.75, 0.125, 0.5] as [Float])
        #expect(spikeSteps(r1.spikes, neuron: 19, count: 20) == [2, 4])
        let full = LIFParameters(threshold: 1, alpha: 1, comparison: .greaterOrEqual)
        let r2 = runLIFForward(full, input: input, inputSteps: 1, steps: 4, count: 20)
        #expect(series(r2.potentials, neuron: 19, count: 20) == [0.375, 0.75, 1.125, 0.5] as [Float])
        #expect(r2.fired == 20)
        // Strict comparison at exactly the level: 0.5 + 0.5 = 1.0 is not > 1.
        let strict = LIFParameters(threshold: 1, comparison: .greater)
        let r3 = runLIFForward(strict, input: [Float](repeating: 0.5, count: 17), inputSteps: 1, steps: 3, count: 17)
        #expect(spikeSteps(r3.spikes, neuron: 16, count: 17) == [3])
        #expect(spikeSteps(r3.spikes, neuron: 0, count: 17) == [3])
    }

    @Test func dsrVaryingInputOracle() {
        // DSR oracle 2.8.2: θ = 1, α = 0.5, ≥, I = [0.5, 1.5, −0.2, 0.6] → spikes at steps 1 and 2.
        let p = LIFParameters(threshold: 1, alpha: 0.5, comparison: .greaterOrEqual)
        let steps: [Float] = [0.5, 1.5, -0.2, 0.6]
        let count = 18
        let input = steps.flatMap { [Float](repeating: $0, count: count) }
        let r = runLIFForward(p, input: input, inputSteps: 4, steps: 4, count: count)
        for n in [0, 15, 16, 17] {
            #expect(spikeSteps(r.spikes, neuron: n, count: count) == [1, 2])
            let expected: [Float] = [0.5, 1.0, -0.2, 0.4]
            #expect(allClose(series(r.potentials, neuron: n, count: count), expected, rtol: 0, atol: 1e-7))
        }
    }

    @Test func hardResetRestartsFromZero() {
        let p = LIFParameters(leak: 1, threshold: 1, reset: .hard, comparison: .greaterOrEqual)
        let r = runLIFForward(p, input: [Float](repeating: 0.75, count: 16), inputSteps: 1, steps: 4, count: 16)
        #expect(series(r.potentials, neuron: 0, count: 16) == [0.75, 1.5, 0.75, 1.5] as [Float])
        #expect(spikeSteps(r.spikes, neuron: 15, count: 16) == [2, 4])
    }

    /// METHODS §3.7 oracle 1, λ = 0.95: constant 0.3, spike iff U > 1, soft reset.
    @Test func bnttOracleLeak095SpikesAtSteps4_8_11() {
        let p = LIFParameters(leak: 0.95, threshold: 1, reset: .soft, comparison: .greater)
        let count = 19
        let r = runLIFForward(p, input: [Float](repeating: 0.3, count: count), inputSteps: 1, steps: 12, count: count)
        let expected: [Float] = [0.3, 0.585, 0.85575, 1.112962, 0.407314, 0.686949, 0.952601, 1.204971,
                                 0.494723, 0.769986, 1.031487, 0.329913]
        for n in [0, 5, 15, 16, 18] {
            let u = series(r.potentials, neuron: n, count: count)
            #expect(allClose(u, expected, rtol: 0, atol: 2e-6), "\(u)")
            #expect(spikeSteps(r.spikes, neuron: n, count: count) == [4, 8, 11])
        }
        #expect(r.fired == 3 * count)
    }

    /// METHODS §3.7 oracle 1, λ = 0.99, 25 steps.
    @Test func bnttOracleLeak099SpikesAtSevenSteps() {
        let p = LIFParameters(leak: 0.99, threshold: 1, reset: .soft, comparison: .greater)
        let count = 21
        let r = runLIFForward(p, input: [Float](repeating: 0.3, count: count), inputSteps: 1, steps: 25, count: count)
        for n in 0..<count {
            #expect(spikeSteps(r.spikes, neuron: n, count: count) == [4, 7, 11, 14, 17, 21, 24])
        }
    }

    @Test func sharedInputEqualsRepeatedInput() {
        let p = LIFParameters(leak: 0.9, threshold: 0.8)
        let once = randomFloats(35, in: 0...0.6, seed: 9)
        let repeated = (0..<7).flatMap { _ in once }
        let a = runLIFForward(p, input: once, inputSteps: 1, steps: 7, count: 35)
        let b = runLIFForward(p, input: repeated, inputSteps: 7, steps: 7, count: 35)
        #expect(a.spikes == b.spikes)
        #expect(a.potentials == b.potentials)
        #expect(a.fired == b.fired)
    }
}
