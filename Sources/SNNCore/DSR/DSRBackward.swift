// DSR spiking-layer backward pass (METHODS §2.4): no BPTT through the membrane; the gradient goes through the
// derivative of the representation mapping and is spread uniformly over the time steps, exactly as the reference
// code does it (including LIF's uniform `1/N` spread and its `Δt` factor on the threshold gradient).
//
// Per neuron, with `g[n] = ∂L/∂o[n]`:
// * IF:  `G = Σ_n g[n]`; `∂L/∂I[n] = G/N · 1[0 ≤ ī ≤ V_th]`; `∂L/∂V_th += G · 1[ī > V_th]`.
// * LIF: `G_w = N · Σ_n w_n g[n] / Σ_n w_n`; `∂L/∂I[n] = (1/N)(1/τ) G_w · 1[0 < ĩ < τ·V_th/Δt]`;
//        `∂L/∂V_th += Δt · G_w · 1[ĩ > τ·V_th/Δt]`.
// The time loop is outside and SIMD16 runs over neurons, tile by tile (see `dsrTileWidth`).
//
// Reference versions differ in one place: `qymeng94/DSR` `cifar/modules/neuron.py` at 73fc6b48 zeroes the LIF
// threshold gradient where `ĩ ≤ V_th/Δt·τ` (what METHODS states and what this implements), while 3751dd56 uses
// `ĩ ≤ V_th/Δt` (no τ). They agree for the default τ = 1.

/// Backward (§2.4): `gradOutput` g[n] `[steps, count]` → `gradInput` `[steps, count]` (or `[1, count]` = the sum over
/// the N equal per-step values when `inputSteps == 1`, i.e. `G·mask` for IF and `G_w/τ·mask` for LIF), overwritten;
/// returns the threshold gradient of this call (sum over all `count` neurons, Double accumulation).
///
/// `meanInput` is what `dsrForward` saved; `threshold` must be the same (clamped) `V_th` the forward used.
public func dsrBackward(_ p: DSRParameters, threshold: Float, gradOutput: UnsafePointer<Float>, meanInput: UnsafePointer<Float>,
                        steps: Int, count: Int, gradInput: UnsafeMutablePointer<Float>, inputSteps: Int) -> Double {
    precondition(steps >= 1, "DSR needs at least one time step")
    precondition(inputSteps == 1 || inputSteps == steps, "inputSteps must be 1 or steps")
    precondition(count >= 0)
    if count == 0 { return 0 }

    let lif = p.model == .leakyIntegrateAndFire
    let beta: Float = lif ? p.beta : 1
    let n = Float(steps)
    let c: DSRBackwardConstants
    if lif {
        // Reference: `input_rate_coding > 0 & < Vth / delta_t * tau`, `<= Vth / delta_t * tau` zeroes the Vth grad.
        let upper = threshold / p.dt * p.tau
        c = DSRBackwardConstants(codeScale: n / Float(dsrStepWeightSum(beta: beta, steps: steps)), tau: p.tau, steps: n,
                                 lower: 0, upper: upper, inclusive: false)
    } else {
        c = DSRBackwardConstants(codeScale: 1, tau: 1, steps: n, lower: 0, upper: threshold, inclusive: true)
    }
    let vthFactor = lif ? Double(p.dt) : 1

    var vthGrad = 0.0
    withUnsafeTemporaryAllocation(of: Float.self, capacity: dsrTileWidth) { scratch in
        let code = scratch.baseAddress!
        var t0 = 0
        while t0 < count {
            let width = min(dsrTileWidth, count - t0)
            // Σ_n g[n] (IF) or Σ_n β^{N−n} g[n] (LIF, Horner) per neuron of the tile.
            code.update(from: gradOutput + t0, count: width)
            for s in 1..<steps {
                dsrDecayAdd(code, gradOutput + s * count + t0, width, decay: beta)
            }
            vthGrad += dsrGradientTile(code, meanInput + t0, width, c, sum: inputSteps == 1)
            if inputSteps == 1 {
                (gradInput + t0).update(from: code, count: width)
            } else {
                for s in 0..<steps { (gradInput + s * count + t0).update(from: code, count: width) }
            }
            t0 += width
        }
    }
    return vthGrad * vthFactor
}

/// Constants of the mapping derivative: coded gradient `Gc = codeScale · S` (S the plain or weighted step sum);
/// input gradient `Gc/τ/N` (or `Gc/τ` summed over steps) where `lower ≤ m ≤ upper` (`inclusive`) or
/// `lower < m < upper`; threshold contribution `Gc` where `m > upper`.
struct DSRBackwardConstants {
    var codeScale: Float, tau: Float, steps: Float, lower: Float, upper: Float, inclusive: Bool
}

/// `acc = decay·acc + x` over `width` values (SIMD16 body, scalar tail).
@inline(__always)
func dsrDecayAdd(_ acc: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ width: Int, decay: Float) {
    let ar = UnsafeMutableRawPointer(acc), xr = UnsafeRawPointer(x)
    let d = SIMD16<Float>(repeating: decay)
    var i = 0
    while i &+ 16 <= width {
        let off = i &* 4
        let v = d * ar.loadUnaligned(fromByteOffset: off, as: SIMD16<Float>.self)
            + xr.loadUnaligned(fromByteOffset: off, as: SIMD16<Float>.self)
        ar.storeBytes(of: v, toByteOffset: off, as: SIMD16<Float>.self)
        i &+= 16
    }
    while i < width { acc[i] = decay * acc[i] + x[i]; i &+= 1 }
}

/// Turns the per-neuron step sums in `code` into the per-step input gradient (or its sum over steps when `sum`),
/// in place, and returns this tile's threshold-gradient sum `Σ Gc·1[m > upper]` (before the LIF `Δt` factor),
/// accumulated in Double lane by lane.
@inline(__always)
func dsrGradientTile(_ code: UnsafeMutablePointer<Float>, _ mean: UnsafePointer<Float>, _ width: Int,
                     _ c: DSRBackwardConstants, sum: Bool) -> Double {
    let cr = UnsafeMutableRawPointer(code), mr = UnsafeRawPointer(mean)
    let scale = SIMD16<Float>(repeating: c.codeScale), tau = SIMD16<Float>(repeating: c.tau)
    let nSteps = SIMD16<Float>(repeating: c.steps)
    let lower = SIMD16<Float>(repeating: c.lower), upper = SIMD16<Float>(repeating: c.upper)
    let zero = SIMD16<Float>(repeating: 0)
    var acc = SIMD16<Double>(repeating: 0)
    var i = 0
    while i &+ 16 <= width {
        let off = i &* 4
        let g = cr.loadUnaligned(fromByteOffset: off, as: SIMD16<Float>.self) * scale
        let m = mr.loadUnaligned(fromByteOffset: off, as: SIMD16<Float>.self)
        let inside = c.inclusive ? (m .>= lower) .& (m .<= upper) : (m .> lower) .& (m .< upper)
        let total = g / tau
        let value = sum ? total : total / nSteps
        cr.storeBytes(of: zero.replacing(with: value, where: inside), toByteOffset: off, as: SIMD16<Float>.self)
        let above = zero.replacing(with: g, where: m .> upper)
        for l in 0..<16 { acc[l] += Double(above[l]) }
        i &+= 16
    }
    var result = acc.sum()
    while i < width {
        let g = code[i] * c.codeScale
        let m = mean[i]
        let inside = c.inclusive ? (m >= c.lower && m <= c.upper) : (m > c.lower && m < c.upper)
        let total = g / c.tau
        code[i] = inside ? (sum ? total : total / c.steps) : 0
        if m > c.upper { result += Double(g) }
        i &+= 1
    }
    return result
}
