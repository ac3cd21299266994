import Testing
import SNNCore

/// Finite-difference checks of the DSR backward against the representation mapping it differentiates (§2.4):
/// IF `a = clamp(ī, 0, V_th)` is differentiable away from its kinks at 0 and V_th, and the reference's backward
/// is exactly the chain rule through it (note (i)); LIF is checked "as written", including its Δt quirk (note ii).
@Suite("DSR gradients vs finite differences of the mapping")
struct DSRGradientTests {
    /// Central difference of `f` at `x`, in Double. The mapping is piecewise linear, so with `h` below the
    /// distance to the nearest kink the difference is exact up to Double rounding.
    static func central(_ x: Double, _ h: Double, _ f: (Double) -> Double) -> Double {
        (f(x + h) - f(x - h)) / (2 * h)
    }

    @Test("IF input gradient = ∂/∂I[n] of Σ c·clamp(ī, 0, V_th), per step and summed over steps",
          arguments: [(4, 101 as UInt64), (20, 102), (7, 103)])
    func ifInputGradient(steps: Int, seed: UInt64) {
        let p = dsrIFDefaults
        var rng = DSRTestRNG(seed: seed)
        let count = 67, vth: Float = 1.1
        let input = rng.floats(steps * count, in: -0.6...1.8)
        let run = dsrRunForward(p, threshold: vth, input: input, inputSteps: steps, steps: steps, count: count)
        // Loss L = Σ_k c_k a_k on the rate; upstream gradient through the rate readout.
        let c = rng.floats(count, in: -1...1)
        let g = dsrRunRateBackward(p, gradRate: c, steps: steps)
        let (gin, _) = dsrRunBackward(p, threshold: vth, gradOutput: g, meanInput: run.meanInput, steps: steps,
                                      count: count, inputSteps: steps)
        let margin = 0.01, h = 1e-3                    // h/N < margin: no kink inside the stencil
        var checked = 0
        for k in 0..<count {
            let mean = Double(run.meanInput[k])
            guard abs(mean) > margin, abs(mean - Double(vth)) > margin else { continue }
            checked += 1
            let loss = { (m: Double) in Double(c[k]) * dsrMappingReference(p, threshold: Double(vth), mean: m) }
            // Per step: ∂L/∂I[n] with ī = (1/N) Σ I, perturbing I[n] by ±h moves ī by ±h/N.
            let numeric = Self.central(mean, h / Double(steps), loss) / Double(steps)
            for n in 0..<steps {
                #expect(dsrClose(Double(gin[n * count + k]), numeric, abs: 1e-6, rel: 1e-5), "k \(k) n \(n)")
            }
            // Summed over steps: the derivative of c·clamp(ī) with respect to ī.
            let total = (0..<steps).reduce(0.0) { $0 + Double(gin[$1 * count + k]) }
            #expect(dsrClose(total, Self.central(mean, h, loss), abs: 1e-6, rel: 1e-5), "k \(k)")
        }
        #expect(checked > count / 2)
    }

    @Test("IF threshold gradient = ∂/∂V_th of Σ c·clamp(ī, 0, V_th) (non-zero only where ī > V_th)")
    func ifThresholdGradient() {
        let p = dsrIFDefaults
        var rng = DSRTestRNG(seed: 201)
        let steps = 8, count = 203, vth: Float = 0.9
        let input = rng.floats(steps * count, in: -0.5...2.0)
        let run = dsrRunForward(p, threshold: vth, input: input, inputSteps: steps, steps: steps, count: count)
        let c = rng.floats(count, in: -1...1)
        // Keep only neurons away from the kinks (zero their loss weight otherwise).
        let margin = 0.01, h = 1e-3
        let weights = (0..<count).map { k -> Float in
            let m = Double(run.meanInput[k])
            return abs(m) > margin && abs(m - Double(vth)) > margin ? c[k] : 0
        }
        let g = dsrRunRateBackward(p, gradRate: weights, steps: steps)
        let (_, vthGrad) = dsrRunBackward(p, threshold: vth, gradOutput: g, meanInput: run.meanInput, steps: steps,
                                          count: count, inputSteps: steps)
        let numeric = Self.central(Double(vth), h) { v in
            (0..<count).reduce(0.0) { acc, k in
                acc + Double(weights[k]) * dsrMappingReference(p, threshold: v, mean: Double(run.meanInput[k]))
            }
        }
        let above = (0..<count).filter { Double(run.meanInput[$0]) > Double(vth) + margin && weights[$0] != 0 }.count
        #expect(above > 10)
        #expect(dsrClose(vthGrad, numeric, abs: 1e-5, rel: 1e-5), "analytic \(vthGrad), numeric \(numeric)")
    }

    /// LIF "as written": with a uniform upstream `g[n] = c/N` the coded gradient `G_w` equals `c`, so the input
    /// gradient summed over steps is the derivative of `c·clamp(ĩ/τ, 0, V_th/Δt)` with respect to `ĩ`, while the
    /// threshold gradient is `Δt·c` where the clamp's derivative is `c/Δt` (the reference's Δt² factor).
    @Test("LIF: summed input gradient = d/dĩ of c·clamp(ĩ/τ, 0, V_th/Δt); threshold gradient = Δt² × clamp's",
          arguments: [dsrLIFDefaults, dsrLIFOther])
    func lifAsWritten(_ p: DSRParameters) {
        var rng = DSRTestRNG(seed: 301)
        let steps = 10, count = 131, vth: Float = 0.4
        let upper = Double(vth / p.dt * p.tau)
        let input = rng.floats(steps * count, in: Float(-0.5 * upper)...Float(1.8 * upper))
        let run = dsrRunForward(p, threshold: vth, input: input, inputSteps: steps, steps: steps, count: count)
        let c = rng.floats(count, in: -1...1)
        let margin = 0.01 * upper, h = 1e-3 * upper
        let weights = (0..<count).map { k -> Float in
            let m = Double(run.meanInput[k])
            return abs(m) > margin && abs(m - upper) > margin ? c[k] : 0
        }
        var g = [Float](repeating: 0, count: steps * count)
        for n in 0..<steps { for k in 0..<count { g[n * count + k] = weights[k] / Float(steps) } }
        let (gin, vthGrad) = dsrRunBackward(p, threshold: vth, gradOutput: g, meanInput: run.meanInput, steps: steps,
                                            count: count, inputSteps: 1)
        for k in 0..<count where weights[k] != 0 {
            let loss = { (m: Double) in Double(weights[k]) * dsrMappingReference(p, threshold: Double(vth), mean: m) }
            let numeric = Self.central(Double(run.meanInput[k]), h, loss)
            #expect(dsrClose(Double(gin[k]), numeric, abs: 1e-5, rel: 1e-4), "k \(k)")
        }
        let clampDerivative = Self.central(Double(vth), 1e-4) { v in
            (0..<count).reduce(0.0) { acc, k in
                acc + Double(weights[k]) * dsrMappingReference(p, threshold: v, mean: Double(run.meanInput[k]))
            }
        }
        #expect(clampDerivative != 0)
        let dt2 = Double(p.dt) * Double(p.dt)
        #expect(dsrClose(vthGrad, dt2 * clampDerivative, abs: 1e-6, rel: 1e-4),
                "analytic \(vthGrad), Δt²·numeric \(dt2 * clampDerivative)")
    }
}
