import Testing
import SNNCore

/// The exact identities and bounds of METHODS §2.2 on random inputs, checked on the SIMD kernels' results:
/// IF `a = ī − U[N]/N`; LIF `a = ((1−β)/Δt)·ĩ − U[N]/(Δt·Σw)`; and the α = 0.5 rounding claim.
@Suite("DSR representation identities (METHODS §2.2)")
struct DSRIdentityTests {
    /// `(parameters, steps, count, seed)`; counts odd so the SIMD tail is covered.
    static let cases: [(DSRParameters, Int, Int, UInt64)] = [
        (dsrIFDefaults, 5, 257, 11), (dsrIFDefaults, 20, 1031, 12), (dsrIFDefaults, 50, 99, 13),
        (DSRParameters(model: .integrateAndFire, alpha: 1, thresholdFloor: 0.01), 20, 333, 14),
        (dsrLIFDefaults, 5, 257, 21), (dsrLIFDefaults, 20, 1031, 22), (dsrLIFOther, 50, 99, 23),
    ]

    /// Tolerance: every step rounds `U'` and the reset once (≤ ε·(|U'| + V_th) each, ε = 2^-23 here as a
    /// generous per-operation bound), and the LIF residual is a β-weighted sum of those errors, so
    /// |δU[N]| ≤ 2·N·ε·S with S the largest |U'| + V_th; after ÷N (IF) or ÷Δt·Σw (LIF; Σw ≥ 1) plus the
    /// rate's and mean's own summation error (N·ε·scale each), 4·N·ε·scale/Δt covers everything.
    @Test("identity between the (weighted) rate, the (weighted) mean input and the residual U[N]",
          arguments: 0..<cases.count)
    func identity(_ index: Int) {
        let (p, steps, count, seed) = Self.cases[index]
        var rng = DSRTestRNG(seed: seed)
        let lif = p.model == .leakyIntegrateAndFire
        let vth = Float.random(in: 0.3...1.5, using: &rng)
        let upper = lif ? vth / p.dt * p.tau : vth
        let input = rng.floats(steps * count, in: (-1.5 * upper)...(2.5 * upper))
        let run = dsrRunForward(p, threshold: vth, input: input, inputSteps: steps, steps: steps, count: count)
        let rate = dsrRunRate(p, outputs: run.outputs, steps: steps, count: count)
        let sumW = lif ? dsrStepWeightSum(beta: p.beta, steps: steps) : Double(steps)
        let dt = lif ? Double(p.dt) : 1
        let gain = lif ? Double(1 - p.beta) : 1          // 1 − β is exact in fp32 (Sterbenz, β ∈ [½, 1])
        let scale = Double(input.map(abs).max()!) + Double(lif ? vth / p.dt : vth)
        let tol = 4 * Double(steps) * Double(Float.ulpOfOne) * scale / dt
        var worst = 0.0
        for k in 0..<count {
            // IF: dt = 1, gain = 1, Σw = N  →  ī − U[N]/N.
            let predicted = (gain / dt) * Double(run.meanInput[k]) - Double(run.finalMembrane[k]) / (dt * sumW)
            worst = max(worst, abs(predicted - Double(rate[k])))
        }
        #expect(worst <= tol, "worst |a − identity| = \(worst), tolerance \(tol)")
    }

    /// §2.2: with a constant input in [0, V_th], α = 0.5 makes the IF spike count round-to-nearest of N·ī/V_th
    /// (|a − ī| ≤ V_th/(2N)), α = 1 makes it the floor (0 ≤ ī − a < V_th/N).
    @Test("IF constant input: α = 0.5 rounds, α = 1 floors", arguments: [0.5, 1.0] as [Float])
    func alphaRounding(_ alpha: Float) {
        let p = DSRParameters(model: .integrateAndFire, alpha: alpha, thresholdFloor: 0.01)
        var rng = DSRTestRNG(seed: 99)
        let vth: Float = 1.25, steps = 10, count = 517
        let input = rng.floats(count, in: 0...vth)
        let run = dsrRunForward(p, threshold: vth, input: input, inputSteps: 1, steps: steps, count: count)
        let rate = dsrRunRate(p, outputs: run.outputs, steps: steps, count: count)
        let slack = 8 * Float(steps) * Float.ulpOfOne * vth
        for k in 0..<count {
            let err = input[k] - rate[k]
            if alpha == 0.5 {
                #expect(abs(err) <= vth / Float(2 * steps) + slack, "I = \(input[k]), a = \(rate[k])")
            } else {
                #expect(err >= -slack && err < vth / Float(steps) + slack, "I = \(input[k]), a = \(rate[k])")
            }
        }
    }
}
