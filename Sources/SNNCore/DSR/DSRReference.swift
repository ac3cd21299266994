import Foundation

// Scalar reference implementations of the DSR kernels on plain arrays, written straight from the textbook
// formulas of METHODS §2.2 and §2.4 (one neuron at a time, explicit weights `w_n = β^{N−n}`, means and gradient
// sums in Double). They exist to test the SIMD kernels against and to document the math; they are not fast.
//
// The membrane dynamics stay in Float with the same operation order as the reference code
// (`U' = β·U + (1−β)·I`, IF: `U' = U + I`), so spikes, outputs and residuals match the SIMD kernels bit for bit.
// Arrays are indexed `[step][neuron]`.

/// Everything the reference forward computes for one call.
public struct DSRReferenceForward: Sendable, Equatable {
    /// `o[n]` per step and neuron: `V_th·s` (IF) or `V_th·s/Δt` (LIF).
    public var outputs: [[Float]]
    /// `s[n]` per step and neuron.
    public var spikes: [[Bool]]
    /// `U'` (after integration, before the reset) per step and neuron.
    public var preReset: [[Float]]
    /// `U[N]`, the residual after the last step.
    public var finalMembrane: [Float]
    /// `ī = (1/N) Σ I[n]` (IF) or `ĩ = Σ w_n I[n] / Σ w_n` (LIF), computed in Double and rounded.
    public var meanInput: [Float]
    /// Total number of spikes.
    public var spikeCount: Int
}

/// Reference forward (§2.2) for `input[step][neuron]` (N = `input.count` steps) with the (clamped) threshold `threshold`.
public func dsrForwardReference(_ p: DSRParameters, threshold vth: Float, input: [[Float]]) -> DSRReferenceForward {
    let steps = input.count
    precondition(steps >= 1)
    let count = input[0].count
    let lif = p.model == .leakyIntegrateAndFire
    let beta = p.beta
    var u = [Float](repeating: 0, count: count)
    var out = DSRReferenceForward(
        outputs: [], spikes: [], preReset: [], finalMembrane: [], meanInput: [], spikeCount: 0)
    for n in 0..<steps {
        var o = [Float](repeating: 0, count: count), s = [Bool](repeating: false, count: count)
        var pre = [Float](repeating: 0, count: count)
        for k in 0..<count {
            let integrated = lif ? beta * u[k] + (1 - beta) * input[n][k] : u[k] + input[n][k]
            let fired = integrated >= p.alpha * vth
            let sf: Float = fired ? 1 : 0
            u[k] = integrated - vth * sf
            o[k] = lif ? vth * sf / p.dt : vth * sf
            s[k] = fired
            pre[k] = integrated
            if fired { out.spikeCount += 1 }
        }
        out.outputs.append(o)
        out.spikes.append(s)
        out.preReset.append(pre)
    }
    out.finalMembrane = u
    out.meanInput = dsrRepresentationReference(p, steps: input)
    return out
}

/// The (weighted) time average of per-step values `x[step][neuron]`: IF `(1/N) Σ x[n]`; LIF `Σ w_n x[n] / Σ w_n`.
/// Used for `ī`/`ĩ` (on inputs) and for the rate `a` (on outputs). Double accumulation, one rounding at the end.
public func dsrRepresentationReference(_ p: DSRParameters, steps x: [[Float]]) -> [Float] {
    let steps = x.count
    let count = x.first?.count ?? 0
    let w: [Double] = p.model == .leakyIntegrateAndFire
        ? dsrStepWeights(beta: p.beta, steps: steps) : [Double](repeating: 1, count: steps)
    let total = w.reduce(0, +)
    return (0..<count).map { k in
        var acc = 0.0
        for n in 0..<steps { acc += w[n] * Double(x[n][k]) }
        return Float(acc / total)
    }
}

/// Reference rate readout (§2.3): IF plain mean of `outputs`, LIF weighted mean.
public func dsrRateReference(_ p: DSRParameters, outputs: [[Float]]) -> [Float] {
    dsrRepresentationReference(p, steps: outputs)
}

/// Reference backward of the rate readout: `∂a/∂o[n]` times `gradRate` (IF `g/N`, LIF `g·w_n/Σw`), `[step][neuron]`.
public func dsrRateBackwardReference(_ p: DSRParameters, gradRate: [Float], steps: Int) -> [[Float]] {
    let w: [Double] = p.model == .leakyIntegrateAndFire
        ? dsrStepWeights(beta: p.beta, steps: steps) : [Double](repeating: 1, count: steps)
    let total = w.reduce(0, +)
    return (0..<steps).map { n in gradRate.map { Float(Double($0) * w[n] / total) } }
}

/// Reference backward (§2.4) as the reference code writes it, per step: returns `∂L/∂I[n]` `[step][neuron]` (the
/// same value at every step) and `∂L/∂V_th` summed over the neurons. `meanInput` is the forward's `ī`/`ĩ`.
///
/// IF:  `G = Σ g[n]`; `∂L/∂I[n] = G/N · 1[0 ≤ ī ≤ V_th]`; `∂L/∂V_th = Σ G · 1[ī > V_th]`.
/// LIF: `G_w = N Σ w_n g[n] / Σ w_n`; `∂L/∂I[n] = (1/N)(1/τ) G_w · 1[0 < ĩ < τ V_th/Δt]`;
///      `∂L/∂V_th = Δt Σ G_w · 1[ĩ > τ V_th/Δt]`.
/// The bound `τ V_th/Δt` is evaluated in Float as the reference code does (`Vth / delta_t * tau`).
public func dsrBackwardReference(_ p: DSRParameters, threshold vth: Float, gradOutput g: [[Float]],
                                 meanInput: [Float]) -> (gradInput: [[Float]], threshold: Double) {
    let steps = g.count
    let count = meanInput.count
    let n = Double(steps)
    var perStep = [Float](repeating: 0, count: count)
    var vthGrad = 0.0
    switch p.model {
    case .integrateAndFire:
        for k in 0..<count {
            var big = 0.0
            for s in 0..<steps { big += Double(g[s][k]) }
            let m = meanInput[k]
            perStep[k] = (m >= 0 && m <= vth) ? Float(big / n) : 0
            if m > vth { vthGrad += big }
        }
    case .leakyIntegrateAndFire:
        let w = dsrStepWeights(beta: p.beta, steps: steps)
        let total = w.reduce(0, +)
        let upper = vth / p.dt * p.tau
        for k in 0..<count {
            var weighted = 0.0
            for s in 0..<steps { weighted += w[s] * Double(g[s][k]) }
            let gw = n * weighted / total
            let m = meanInput[k]
            perStep[k] = (m > 0 && m < upper) ? Float(gw / Double(p.tau) / n) : 0
            if m > upper { vthGrad += gw }
        }
        vthGrad *= Double(p.dt)
    }
    return ([[Float]](repeating: perStep, count: steps), vthGrad)
}

/// The representation mapping the backward differentiates (§2.2), for one neuron: IF `clamp(ī, 0, V_th)`;
/// LIF `clamp(ĩ/τ, 0, V_th/Δt)`. Double, for finite-difference checks.
public func dsrMappingReference(_ p: DSRParameters, threshold vth: Double, mean m: Double) -> Double {
    switch p.model {
    case .integrateAndFire: return min(max(m, 0), vth)
    case .leakyIntegrateAndFire: return min(max(m / Double(p.tau), 0), vth / Double(p.dt))
    }
}

/// Reference threshold clamp (§2.2): `max(V_th, V_b)`.
public func dsrClampThresholdReference(_ vth: Float, _ p: DSRParameters) -> Float {
    max(vth, p.thresholdFloor)
}
