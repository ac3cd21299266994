import Testing
import SNNCore

/// The six DSR test oracles of METHODS §2.8, each checked on the SIMD kernel and on the scalar reference.
@Suite("DSR oracles (METHODS §2.8)")
struct DSROracleTests {
    /// IF with `V_th = 1`; α varies per oracle.
    static func ifParams(alpha: Float) -> DSRParameters {
        DSRParameters(model: .integrateAndFire, alpha: alpha, thresholdFloor: 0.01)
    }

    // MARK: Oracle 1 — IF forward, α effect (all values exact in binary, so exact equality).

    @Test("Oracle 1: IF, constant I = 0.375, N = 4, α = 0.5 → 2 spikes, a = 0.5", arguments: [1, 4])
    func oracle1HalfAlpha(inputSteps: Int) {
        let p = Self.ifParams(alpha: 0.5)
        let input = [Float](repeating: 0.375, count: inputSteps)
        let run = dsrRunOracleForward(p, threshold: 1, input: input, inputSteps: inputSteps, steps: 4)
        #expect(run.outputs == [0, 1, 0, 1])
        #expect(run.spikeCount == 2)
        #expect(run.meanInput == [0.375])
        #expect(run.finalMembrane == [-0.5])
        #expect(dsrRunOracleRate(p, outputs: run.outputs, steps: 4) == [0.5])
        // a = ī − U[N]/N = 0.375 + 0.125, exactly.
        #expect(run.meanInput[0] - run.finalMembrane[0] / 4 == 0.5)

        let ref = dsrForwardReference(p, threshold: 1, input: [[Float]](repeating: [0.375], count: 4))
        #expect(ref.preReset.map { $0[0] } == [0.375, 0.75, 0.125, 0.5])
        #expect(ref.spikes.map { $0[0] } == [false, true, false, true])
        #expect(ref.finalMembrane == [-0.5])
        #expect(dsrRateReference(p, outputs: ref.outputs) == [0.5])
    }

    @Test("Oracle 1: IF, constant I = 0.375, N = 4, α = 1 → 1 spike, a = 0.25", arguments: [1, 4])
    func oracle1FullAlpha(inputSteps: Int) {
        let p = Self.ifParams(alpha: 1)
        let input = [Float](repeating: 0.375, count: inputSteps)
        let run = dsrRunOracleForward(p, threshold: 1, input: input, inputSteps: inputSteps, steps: 4)
        #expect(run.outputs == [0, 0, 1, 0])
        #expect(run.spikeCount == 1)
        #expect(run.finalMembrane == [0.5])
        #expect(dsrRunOracleRate(p, outputs: run.outputs, steps: 4) == [0.25])
        #expect(run.meanInput[0] - run.finalMembrane[0] / 4 == 0.25)

        let ref = dsrForwardReference(p, threshold: 1, input: [[Float]](repeating: [0.375], count: 4))
        #expect(ref.preReset.map { $0[0] } == [0.375, 0.75, 1.125, 0.5])
        #expect(ref.spikeCount == 1)
    }

    // MARK: Oracle 2 — IF forward, varying input. 0.6, −0.2 and 0.4 are not exact in binary: 2 ulp slack.

    @Test("Oracle 2: IF, I = [0.5, 1.5, −0.2, 0.6] → outputs [1, 1, 0, 0], a = 0.5, ī = 0.6")
    func oracle2() {
        let p = Self.ifParams(alpha: 0.5)
        let input: [Float] = [0.5, 1.5, -0.2, 0.6]
        let run = dsrRunOracleForward(p, threshold: 1, input: input, inputSteps: 4, steps: 4)
        #expect(run.outputs == [1, 1, 0, 0])
        #expect(run.spikeCount == 2)
        #expect(dsrRunOracleRate(p, outputs: run.outputs, steps: 4) == [0.5])
        #expect(abs(run.meanInput[0] - 0.6) <= 2 * Float(0.6).ulp)

        let ref = dsrForwardReference(p, threshold: 1, input: input.map { [$0] })
        let pre = ref.preReset.map { $0[0] }
        let expected: [Float] = [0.5, 1.0, -0.2, 0.4]
        for (got, want) in zip(pre, expected) { #expect(abs(got - want) <= 2 * Float(0.5).ulp) }
        #expect(ref.spikes.map { $0[0] } == [true, true, false, false])
        #expect(ref.outputs.map { $0[0] } == run.outputs)
    }

    // MARK: Oracle 3 — IF backward.

    @Test("Oracle 3: IF backward, ī = 0.6 ∈ [0, 1] → ∂L/∂I = 0.25 each step, ∂L/∂V_th = 0")
    func oracle3Inside() {
        let p = Self.ifParams(alpha: 0.5)
        let run = dsrRunOracleForward(p, threshold: 1, input: [0.5, 1.5, -0.2, 0.6], inputSteps: 4, steps: 4)
        let g: [Float] = [0.1, 0.2, 0.3, 0.4]
        let (gin, vth) = dsrRunOracleBackward(p, threshold: 1, gradOutput: g, meanInput: run.meanInput[0], steps: 4,
                                        inputSteps: 4)
        // G = 0.1 + 0.2 + 0.3 + 0.4 carries fp32 rounding of the four addends: a few ulps of 0.25.
        for v in gin { #expect(abs(v - 0.25) <= 4 * Float(0.25).ulp) }
        #expect(vth == 0)
        let ref = dsrBackwardReference(p, threshold: 1, gradOutput: g.map { [$0] }, meanInput: run.meanInput)
        for row in ref.gradInput { #expect(abs(row[0] - 0.25) <= 4 * Float(0.25).ulp) }
        #expect(ref.threshold == 0)
        // Constant-input layout: the one row holds the sum over steps, G = 1.0.
        let (sum, vth1) = dsrRunOracleBackward(p, threshold: 1, gradOutput: g, meanInput: run.meanInput[0], steps: 4,
                                         inputSteps: 1)
        #expect(abs(sum[0] - 1.0) <= 4 * Float(1.0).ulp)
        #expect(vth1 == 0)
    }

    @Test("Oracle 3: IF backward, ī = 1.2 > V_th → ∂L/∂I = 0, ∂L/∂V_th = +1.0")
    func oracle3Above() {
        let p = Self.ifParams(alpha: 0.5)
        let run = dsrRunOracleForward(p, threshold: 1, input: [1.0, 1.5, 1.0, 1.3], inputSteps: 4, steps: 4)
        #expect(abs(run.meanInput[0] - 1.2) <= 2 * Float(1.2).ulp)
        let g: [Float] = [0.1, 0.2, 0.3, 0.4]
        let (gin, vth) = dsrRunOracleBackward(p, threshold: 1, gradOutput: g, meanInput: run.meanInput[0], steps: 4,
                                        inputSteps: 4)
        #expect(gin == [0, 0, 0, 0])
        #expect(abs(vth - 1.0) <= 4 * Double(Float(1).ulp))
        let ref = dsrBackwardReference(p, threshold: 1, gradOutput: g.map { [$0] }, meanInput: run.meanInput)
        #expect(ref.gradInput.allSatisfy { $0 == [0] })
        #expect(abs(ref.threshold - 1.0) <= 4 * Double(Float(1).ulp))
    }

    // MARK: Oracle 4 — LIF forward.
    //
    // Tolerance: the oracle prints 6 decimals (±5e-7). On top of that the fp32 result moves with the rounding of
    // β = e^{−0.05} to Float (half an ulp ≈ 3e-8): `U[N] = (1−β) Σ w_n I − V_th Σ_{spikes} w_n` has
    // ∂U[N]/∂β ≈ −Σ w_n I ≈ −26, i.e. up to ≈ 8e-7, and rounding in the 20 steps adds ~1e-8 each
    // (ulp(0.1)/2 ≈ 4e-9 per operation). The fp32 run lands at U[20] = −0.0675481 (double: −0.0675473).
    // So 5e-7 + 1.5e-6 = 2e-6 absolute for U and for `a` via the identity (÷ Δt·Σw ≈ 0.648 stays below it
    // after the 5e-7 share); `a` from the outputs (exact 6.0 spikes, weights in Double) is far tighter.
    static let oracle4Tolerance: Double = 2e-6

    @Test("Oracle 4: LIF, V_th 0.3, τ 1, Δt 0.05, α 0.3, I = 2, N = 20 → spikes at 1,4,…,19, a = 2.055054")
    func oracle4() {
        let p = dsrLIFDefaults
        let steps = 20
        #expect(abs(Double(p.beta) - 0.951229) <= 5e-7)
        #expect(abs(p.alpha * 0.3 - 0.09) <= Float(0.09).ulp)
        let run = dsrRunOracleForward(p, threshold: 0.3, input: [2.0], inputSteps: 1, steps: steps)
        let spikeSteps = run.outputs.indices.filter { run.outputs[$0] != 0 }.map { $0 + 1 }
        #expect(spikeSteps == [1, 4, 7, 10, 13, 16, 19])
        #expect(run.spikeCount == 7)
        #expect(spikeSteps.allSatisfy { run.outputs[$0 - 1] == 0.3 / 0.05 })
        #expect(abs(run.outputs[0] - 6.0) <= Float(6).ulp)
        let plain = run.outputs.reduce(0, +) / Float(steps)
        #expect(abs(plain - 2.1) <= 2 * Float(2.1).ulp)

        let rate = dsrRunOracleRate(p, outputs: run.outputs, steps: steps)[0]
        #expect(dsrClose(Double(rate), 2.055054, abs: Self.oracle4Tolerance))
        #expect(run.meanInput == [2.0])
        #expect(dsrMappingReference(p, threshold: 0.3, mean: Double(run.meanInput[0])) == 2.0)
        #expect(dsrClose(Double(run.finalMembrane[0]), -0.067547, abs: Self.oracle4Tolerance))
        let sumW = dsrStepWeightSum(beta: p.beta, steps: steps)
        #expect(abs(sumW - 12.961) <= 5e-4 + 1e-6)
        #expect(dsrClose((1 - Double(p.beta)) / Double(p.dt), 0.975412, abs: 5e-7 + 1.5e-6))
        // a = ((1−β)/Δt)·ĩ − U[N]/(Δt·Σw) = 0.975412·2 + 0.067547/(0.05·12.961) = 2.055054.
        let identity = Double((1 - p.beta) / p.dt * run.meanInput[0])
            - Double(run.finalMembrane[0]) / (Double(p.dt) * sumW)
        #expect(dsrClose(identity, 2.055054, abs: Self.oracle4Tolerance))

        let ref = dsrForwardReference(p, threshold: 0.3, input: [[Float]](repeating: [2.0], count: steps))
        #expect(dsrClose(Double(ref.preReset[0][0]), 0.097541, abs: 5e-7 + 1e-7))
        #expect(ref.outputs.map { $0[0] } == run.outputs)
        #expect(ref.finalMembrane == run.finalMembrane)
        #expect(dsrClose(Double(dsrRateReference(p, outputs: ref.outputs)[0]), 2.055054, abs: Self.oracle4Tolerance))
    }

    // MARK: Oracle 5 — LIF weights and backward.

    @Test("Oracle 5: LIF N = 3 weights, ĩ = 2.033319, g = 0.3 each → G_w = 0.9, ∂L/∂I = 0.3, ∂L/∂V_th = 0")
    func oracle5() {
        let p = dsrLIFDefaults
        let w = dsrStepWeights(beta: p.beta, steps: 3)
        for (got, want) in zip(w, [0.904837, 0.951229, 1.0]) { #expect(abs(got - want) <= 5e-7 + 1e-7) }
        #expect(abs(w.reduce(0, +) - 2.856067) <= 5e-7 + 2e-7)

        let run = dsrRunOracleForward(p, threshold: 0.3, input: [1, 2, 3], inputSteps: 3, steps: 3)
        #expect(dsrClose(Double(run.meanInput[0]), 2.033319, abs: 5e-7 + 1e-6))
        let g: [Float] = [0.3, 0.3, 0.3]
        let (gin, vth) = dsrRunOracleBackward(p, threshold: 0.3, gradOutput: g, meanInput: run.meanInput[0], steps: 3,
                                        inputSteps: 3)
        for v in gin { #expect(abs(v - 0.3) <= 4 * Float(0.3).ulp) }
        #expect(vth == 0)
        let ref = dsrBackwardReference(p, threshold: 0.3, gradOutput: g.map { [$0] }, meanInput: run.meanInput)
        for row in ref.gradInput { #expect(abs(row[0] - 0.3) <= 2 * Float(0.3).ulp) }
        #expect(ref.threshold == 0)
        let refMean = dsrForwardReference(p, threshold: 0.3, input: [[1], [2], [3]]).meanInput[0]
        #expect(dsrClose(Double(refMean), 2.033319, abs: 5e-7 + 2e-7))
    }

    // MARK: Oracle 6 — threshold clamp.

    @Test("Oracle 6: V_th = 0.0003, V_b = 0.0005 → forward uses 0.0005 and the parameter is overwritten")
    func oracle6() {
        let p = DSRParameters(model: .leakyIntegrateAndFire, alpha: 0.3, thresholdFloor: 0.0005, tau: 1, dt: 0.05)
        var vth: Float = 0.0003
        let used = dsrClampThreshold(&vth, p)
        #expect(used == 0.0005)
        #expect(vth == 0.0005)
        #expect(dsrClampThresholdReference(0.0003, p) == 0.0005)
        // Above the floor the value is untouched (exact max, no fp drift).
        var above: Float = 0.3
        #expect(dsrClampThreshold(&above, p) == 0.3)
        #expect(above == 0.3)
        // The clamped value is what the neuron fires against and emits: with U'[1] = (1−β)·I the input 0.0025
        // gives 1.22e-4, above α·0.0003 = 9e-5 but below α·0.0005 = 1.5e-4; 0.004 gives 1.95e-4, above both.
        let quiet = [Float(0.0025), 0.004].map {
            dsrRunOracleForward(p, threshold: used, input: [$0], inputSteps: 1, steps: 1).outputs[0]
        }
        #expect(quiet == [0, 0.0005 / 0.05])
        let unclamped = [Float(0.0025), 0.004].map {
            dsrRunOracleForward(p, threshold: 0.0003, input: [$0], inputSteps: 1, steps: 1).outputs[0]
        }
        #expect(unclamped == [0.0003 / 0.05, 0.0003 / 0.05])
    }
}
