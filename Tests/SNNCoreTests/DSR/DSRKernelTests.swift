import Testing
import SNNCore

/// SIMD16 kernels against the scalar references on random data: odd neuron counts (SIMD tail), counts spanning
/// several cache tiles, constant (`inputSteps == 1`) and per-step inputs, IF and two LIF settings.
@Suite("DSR SIMD kernels vs scalar reference")
struct DSRKernelTests {
    /// One random configuration.
    struct Case: Sendable, CustomTestStringConvertible {
        var p: DSRParameters
        var count: Int
        var steps: Int
        var constantInput: Bool
        var seed: UInt64
        var testDescription: String {
            "\(p.model.rawValue) τ=\(p.tau) Δt=\(p.dt) α=\(p.alpha) count=\(count) N=\(steps) \(constantInput ? "constant" : "per-step")"
        }
    }

    static let cases: [Case] = {
        var out: [Case] = []
        var seed: UInt64 = 1
        let counts = [1, 7, 16, 33, 1000, 2051]
        let steps = [1, 5, 20, 3, 8, 13]
        for p in [dsrIFDefaults, dsrLIFDefaults, dsrLIFOther] {
            for (i, count) in counts.enumerated() {
                for constant in [false, true] {
                    out.append(Case(p: p, count: count, steps: steps[(i + (constant ? 1 : 0)) % steps.count],
                                    constantInput: constant, seed: seed))
                    seed += 1
                }
            }
        }
        return out
    }()

    /// A random threshold and inputs spread around the mapping's linear range: IF ī ∈ [−0.5, 1.5]·V_th,
    /// LIF ĩ ∈ [−0.3, 1.4]·τ·V_th/Δt, so every mask branch is exercised.
    /// Odd seeds use a power-of-two threshold and inputs on a 1/16·V_th grid, so IF sums are exact and `U'` lands
    /// exactly on the firing level `α·V_th` often: that is where `≥` versus `>` shows.
    static func randomInput(_ c: Case, _ rng: inout DSRTestRNG) -> (vth: Float, input: [Float]) {
        let onGrid = c.seed % 2 == 1
        let vth = onGrid ? 0.5 : Float.random(in: 0.2...2, using: &rng)
        let upper = c.p.model == .integrateAndFire ? vth : vth / c.p.dt * c.p.tau
        let rows = c.constantInput ? 1 : c.steps
        // Per-step inputs get extra spread (a neuron's mean stays in range, single steps do not).
        let spread: ClosedRange<Float> = c.constantInput ? (-0.5 * upper)...(1.5 * upper) : (-1.5 * upper)...(2.5 * upper)
        var input = rng.floats(rows * c.count, in: spread)
        if onGrid { input = input.map { ($0 * 16 / vth).rounded() * vth / 16 } }
        return (vth, input)
    }

    /// Rounding bound for a (weighted) sum of `n` fp32 terms of magnitude ≤ `scale`, normalised: n·ε·scale with
    /// ε = 2^-23, doubled for the final division and the reference's own Double→Float rounding.
    static func sumTolerance(_ n: Int, _ scale: Float) -> Float {
        2 * Float(n + 1) * Float.ulpOfOne * scale
    }

    @Test("forward: outputs, spikes and U[N] bit-identical; mean input within fp32 summation error",
          arguments: cases)
    func forward(_ c: Case) {
        var rng = DSRTestRNG(seed: c.seed)
        let (vth, input) = Self.randomInput(c, &rng)
        let inputSteps = c.constantInput ? 1 : c.steps
        let run = dsrRunForward(c.p, threshold: vth, input: input, inputSteps: inputSteps, steps: c.steps, count: c.count)
        let ref = dsrForwardReference(c.p, threshold: vth,
                                      input: dsrExpand(input, inputSteps: inputSteps, steps: c.steps, count: c.count))
        #expect(run.outputs == ref.outputs.flatMap { $0 })
        #expect(run.spikeCount == ref.spikeCount)
        #expect(run.finalMembrane == ref.finalMembrane)
        if c.constantInput {
            #expect(run.meanInput == input)          // the mean of a constant is the constant, exactly
        } else {
            let scale = input.map(abs).max()!
            #expect(dsrMaxDiff(run.meanInput, ref.meanInput) <= Self.sumTolerance(c.steps, scale))
        }
        // The entry point without the membrane output computes the same.
        let plain = dsrRunForward(c.p, threshold: vth, input: input, inputSteps: inputSteps, steps: c.steps,
                                  count: c.count, keepMembrane: false)
        #expect(plain.outputs == run.outputs)
        #expect(plain.meanInput == run.meanInput)
        #expect(plain.spikeCount == run.spikeCount)
    }

    @Test("backward: input gradient (both layouts) and threshold gradient match the reference", arguments: cases)
    func backward(_ c: Case) {
        var rng = DSRTestRNG(seed: c.seed &+ 1000)
        let (vth, input) = Self.randomInput(c, &rng)
        let inputSteps = c.constantInput ? 1 : c.steps
        let run = dsrRunForward(c.p, threshold: vth, input: input, inputSteps: inputSteps, steps: c.steps, count: c.count)
        let g = rng.floats(c.steps * c.count, in: -1...1)
        let ref = dsrBackwardReference(c.p, threshold: vth, gradOutput: dsrRows(g, steps: c.steps, count: c.count),
                                       meanInput: run.meanInput)
        let gScale: Float = c.p.model == .integrateAndFire ? 1 : 1 / c.p.tau

        // Per-step layout: every step row equals the reference's.
        let perStep = dsrRunBackward(c.p, threshold: vth, gradOutput: g, meanInput: run.meanInput, steps: c.steps,
                                     count: c.count, inputSteps: c.steps)
        let refFlat = ref.gradInput.flatMap { $0 }
        #expect(dsrMaxDiff(perStep.gradInput, refFlat) <= Self.sumTolerance(c.steps, gScale))
        #expect(zip(perStep.gradInput, refFlat).allSatisfy { ($0 == 0) == ($1 == 0) })   // same masks
        let vthScale = Double(c.count * c.steps) * (c.p.model == .integrateAndFire ? 1 : Double(c.p.dt))
        #expect(dsrClose(perStep.threshold, ref.threshold, abs: 1e-6 * vthScale, rel: 1e-5))

        // Constant-input layout: one row = Σ over steps of the per-step gradient.
        let summed = dsrRunBackward(c.p, threshold: vth, gradOutput: g, meanInput: run.meanInput, steps: c.steps,
                                    count: c.count, inputSteps: 1)
        let refSum = (0..<c.count).map { k in Float(ref.gradInput.reduce(0.0) { $0 + Double($1[k]) }) }
        #expect(dsrMaxDiff(summed.gradInput, refSum) <= Float(c.steps) * Self.sumTolerance(c.steps, gScale))
        #expect(summed.threshold == perStep.threshold)
    }

    @Test("rate and rate backward match the reference; rate backward is the adjoint of rate", arguments: cases)
    func rate(_ c: Case) {
        var rng = DSRTestRNG(seed: c.seed &+ 2000)
        let (vth, input) = Self.randomInput(c, &rng)
        let inputSteps = c.constantInput ? 1 : c.steps
        let run = dsrRunForward(c.p, threshold: vth, input: input, inputSteps: inputSteps, steps: c.steps, count: c.count)
        let amplitude = c.p.model == .integrateAndFire ? vth : vth / c.p.dt
        let rate = dsrRunRate(c.p, outputs: run.outputs, steps: c.steps, count: c.count)
        let refRate = dsrRateReference(c.p, outputs: dsrRows(run.outputs, steps: c.steps, count: c.count))
        #expect(dsrMaxDiff(rate, refRate) <= Self.sumTolerance(c.steps, amplitude))

        let gRate = rng.floats(c.count, in: -1...1)
        let gOut = dsrRunRateBackward(c.p, gradRate: gRate, steps: c.steps)
        let refOut = dsrRateBackwardReference(c.p, gradRate: gRate, steps: c.steps).flatMap { $0 }
        #expect(dsrMaxDiff(gOut, refOut) <= 2 * Float.ulpOfOne)

        // ⟨gRate, rate(o)⟩ = ⟨rateBackward(gRate), o⟩ for arbitrary o (the map is linear).
        let o = rng.floats(c.steps * c.count, in: -2...2)
        let lhs = zip(gRate, dsrRunRate(c.p, outputs: o, steps: c.steps, count: c.count))
            .reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(gOut, o).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(dsrClose(lhs, rhs, abs: 1e-5 * Double(c.count), rel: 1e-5))
    }

    /// Mask edges (§2.4): IF input gradient on `0 ≤ ī ≤ V_th` (both inclusive), threshold gradient on `ī > V_th`;
    /// LIF input gradient on `0 < ĩ < τ·V_th/Δt` (exclusive), threshold gradient on `ĩ > τ·V_th/Δt`.
    /// 21 neurons = one SIMD16 block + a 5-wide scalar tail, the pattern repeated across both.
    @Test("backward: mask boundaries at 0 and the upper bound", arguments: [dsrIFDefaults, dsrLIFOther])
    func maskBoundaries(_ p: DSRParameters) {
        let vth: Float = 0.75
        let upper = p.model == .integrateAndFire ? vth : vth / p.dt * p.tau
        let pattern: [Float] = [-Float.leastNonzeroMagnitude, 0, upper / 2, upper, upper.nextUp, 2 * upper, -1]
        let mean = (0..<21).map { pattern[$0 % pattern.count] }
        let steps = 4
        let g = [Float](repeating: 0.5, count: steps * mean.count)      // every neuron's step sum is 2
        let (gin, vthGrad) = dsrRunBackward(p, threshold: vth, gradOutput: g, meanInput: mean, steps: steps,
                                            count: mean.count, inputSteps: 1)
        let inclusive = p.model == .integrateAndFire
        for (k, m) in mean.enumerated() {
            let inside = inclusive ? (m >= 0 && m <= upper) : (m > 0 && m < upper)
            #expect((gin[k] != 0) == inside, "neuron \(k), mean \(m)")
        }
        // IF: G = 2 per neuron above V_th; LIF: G_w = N Σw·0.5/Σw = 2, times Δt.
        let above = Double(mean.filter { $0 > upper }.count)
        let expected = inclusive ? 2 * above : Double(p.dt) * 2 * above
        #expect(dsrClose(vthGrad, expected, abs: 1e-5))
        let ref = dsrBackwardReference(p, threshold: vth, gradOutput: dsrRows(g, steps: steps, count: mean.count),
                                       meanInput: mean)
        #expect(dsrClose(ref.threshold, expected, abs: 1e-5))
    }

    @Test("empty layer and single step are handled")
    func edges() {
        for p in [dsrIFDefaults, dsrLIFDefaults] {
            let empty = dsrRunForward(p, threshold: 1, input: [], inputSteps: 1, steps: 5, count: 0)
            #expect(empty.spikeCount == 0 && empty.outputs.isEmpty)
            let back = dsrRunBackward(p, threshold: 1, gradOutput: [], meanInput: [], steps: 5, count: 0, inputSteps: 5)
            #expect(back.threshold == 0)
            #expect(dsrRunRate(p, outputs: [], steps: 5, count: 0).isEmpty)
            #expect(dsrStepWeights(beta: p.beta, steps: 1) == [1])
        }
    }
}
