// DSR rate readout (METHODS §2.3: the network output is the (weighted) firing rate of the last spiking layer,
// fed to cross-entropy as logits) and its backward.
//
// IF: `a = (1/N) Σ_n o[n]`. LIF: `a = Σ_n w_n o[n] / Σ_n w_n` with `w_n = β^{N−n}` (latest step weight 1).
// Both run time-outside / SIMD16-inside per tile; the LIF numerator is accumulated by Horner's rule
// (`S ← β·S + o[n]`), which equals `Σ β^{N−n} o[n]` up to rounding.

/// Weighted/plain firing rate `a` of each neuron (IF: mean of `o`; LIF: `Σ w_n o[n] / Σ w_n`, `w_n = β^{N−n}`):
/// `outputs` `[steps, count]` → `rate[count]`. Used by the rate readout.
public func dsrRate(_ p: DSRParameters, outputs: UnsafePointer<Float>, steps: Int, count: Int, rate: UnsafeMutablePointer<Float>) {
    precondition(steps >= 1, "DSR needs at least one time step")
    precondition(count >= 0)
    let lif = p.model == .leakyIntegrateAndFire
    let beta: Float = lif ? p.beta : 1
    let divisor: Float = lif ? Float(dsrStepWeightSum(beta: beta, steps: steps)) : Float(steps)
    var t0 = 0
    while t0 < count {
        let width = min(dsrTileWidth, count - t0)
        let acc = rate + t0
        acc.update(from: outputs + t0, count: width)
        for s in 1..<steps { dsrDecayAdd(acc, outputs + s * count + t0, width, decay: beta) }
        dsrDivide(acc, width, by: divisor)
        t0 += width
    }
}

/// Backward of `dsrRate`: gradient wrt `outputs` `[steps, count]` (overwritten) from the gradient wrt `rate` `[count]`
/// (IF: `g/N` at every step; LIF: `g·w_n/Σw` at step n).
public func dsrRateBackward(_ p: DSRParameters, gradRate: UnsafePointer<Float>, steps: Int, count: Int,
                            gradOutputs: UnsafeMutablePointer<Float>) {
    precondition(steps >= 1, "DSR needs at least one time step")
    precondition(count >= 0)
    if count == 0 { return }
    switch p.model {
    case .integrateAndFire:
        // Every step gets the same row g/N: compute it once, then copy.
        gradOutputs.update(from: gradRate, count: count)
        dsrDivide(gradOutputs, count, by: Float(steps))
        for s in 1..<steps { (gradOutputs + s * count).update(from: gradOutputs, count: count) }
    case .leakyIntegrateAndFire:
        let w = dsrStepWeights(beta: p.beta, steps: steps)
        let total = w.reduce(0, +)
        for s in 0..<steps {
            dsrScale(gradOutputs + s * count, gradRate, count, by: Float(w[s] / total))
        }
    }
}

/// `y[i] = x[i] * factor` over `count` values (SIMD16 body, scalar tail).
@inline(__always)
func dsrScale(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int, by factor: Float) {
    let yr = UnsafeMutableRawPointer(y), xr = UnsafeRawPointer(x)
    let fv = SIMD16<Float>(repeating: factor)
    var i = 0
    while i &+ 16 <= count {
        yr.storeBytes(of: xr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self) * fv,
                      toByteOffset: i &* 4, as: SIMD16<Float>.self)
        i &+= 16
    }
    while i < count { y[i] = x[i] * factor; i &+= 1 }
}
