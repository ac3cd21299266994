// DSR spiking-layer forward pass (METHODS §2.2): IF and LIF neurons with soft reset by `V_th`, firing when
// `U' ≥ α·V_th`, run over N steps on time-major `[steps, count]` tensors.
//
// Layout and cost: the kernel walks neuron tiles of `dsrTileWidth`; inside a tile the time loop is outside and a
// SIMD16 loop over neurons inside, so a tile's membrane and running input sum stay in L1 and each step streams
// only its input row (read) and output row (write). IF runs the LIF update with `β = 1`, `1 − β = 1`, which is
// bit-identical to `U + I` (multiplying by 1 is exact and Swift never contracts into FMA), so one kernel serves both.

/// Forward over N steps for `count` neurons, time-major `[steps, count]`; input currents `I[n]` (`inputSteps == steps`,
/// or 1 = the same row every step).
///
/// Writes outputs `o[n]` (IF: `V_th·s`; LIF: `V_th·s/Δt`) `[steps, count]`, and saves what backward needs: the
/// per-neuron mean input `ī` (IF) or weighted mean `ĩ = Σ w_n I[n] / Σ w_n` (LIF) into `meanInput[count]` (for a
/// constant input that is the input row itself, exactly). Returns the spike count. `threshold` is the already
/// clamped `V_th` (see `dsrClampThreshold`).
public func dsrForward(_ p: DSRParameters, threshold: Float, input: UnsafePointer<Float>, inputSteps: Int, steps: Int, count: Int,
                       output: UnsafeMutablePointer<Float>, meanInput: UnsafeMutablePointer<Float>) -> Int {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: dsrTileWidth) { scratch in
        dsrForwardTiled(p, threshold: threshold, input: input, inputSteps: inputSteps, steps: steps, count: count,
                        output: output, meanInput: meanInput, membrane: scratch.baseAddress!, membraneIsScratch: true)
    }
}

/// Same as `dsrForward(_:threshold:input:inputSteps:steps:count:output:meanInput:)`, and additionally leaves the final
/// membrane residual `U[N]` of every neuron in `finalMembrane[count]` (what the exact identities of §2.2 and the
/// diagnostics need; training does not).
public func dsrForward(_ p: DSRParameters, threshold: Float, input: UnsafePointer<Float>, inputSteps: Int, steps: Int, count: Int,
                       output: UnsafeMutablePointer<Float>, meanInput: UnsafeMutablePointer<Float>,
                       finalMembrane: UnsafeMutablePointer<Float>) -> Int {
    dsrForwardTiled(p, threshold: threshold, input: input, inputSteps: inputSteps, steps: steps, count: count,
                    output: output, meanInput: meanInput, membrane: finalMembrane, membraneIsScratch: false)
}

/// The tile loop behind both `dsrForward` entry points. `membrane` is either one tile of scratch
/// (`membraneIsScratch`) or a `[count]` buffer that keeps `U[N]`.
func dsrForwardTiled(_ p: DSRParameters, threshold: Float, input: UnsafePointer<Float>, inputSteps: Int, steps: Int, count: Int,
                     output: UnsafeMutablePointer<Float>, meanInput: UnsafeMutablePointer<Float>,
                     membrane: UnsafeMutablePointer<Float>, membraneIsScratch: Bool) -> Int {
    precondition(steps >= 1, "DSR needs at least one time step")
    precondition(inputSteps == 1 || inputSteps == steps, "inputSteps must be 1 or steps")
    precondition(count >= 0)
    if count == 0 { return 0 }

    let lif = p.model == .leakyIntegrateAndFire
    let beta = lif ? p.beta : 1
    let constants = DSRStepConstants(
        decay: beta, gain: lif ? 1 - beta : 1, fireLevel: p.alpha * threshold, threshold: threshold,
        amplitude: lif ? threshold / p.dt : threshold, sumDecay: beta)
    // ī = Σ I / N;  ĩ = (Σ β^{N−n} I[n]) / Σ w, the numerator accumulated by Horner's rule in the step loop.
    let meanDivisor: Float = lif ? Float(dsrStepWeightSum(beta: beta, steps: steps)) : Float(steps)
    let constantInput = inputSteps == 1
    let inputStride = constantInput ? 0 : count

    var spikes = 0
    var t0 = 0
    while t0 < count {
        let width = min(dsrTileWidth, count - t0)
        let u = membraneIsScratch ? membrane : membrane + t0
        let mean = meanInput + t0
        u.update(repeating: 0, count: width)
        if constantInput {
            for n in 0..<steps {
                spikes += dsrStepTile(u, input + t0, output + n * count + t0, mean, width, constants, accumulate: false)
            }
            mean.update(from: input + t0, count: width)
        } else {
            mean.update(repeating: 0, count: width)
            for n in 0..<steps {
                spikes += dsrStepTile(u, input + n * inputStride + t0, output + n * count + t0, mean, width, constants,
                                      accumulate: true)
            }
            dsrDivide(mean, width, by: meanDivisor)
        }
        t0 += width
    }
    return spikes
}

/// Per-call constants of one neuron step: `U' = decay·U + gain·I`; fire when `U' ≥ fireLevel`; `U = U' − threshold·s`;
/// `o = amplitude·s`; running input sum `S = sumDecay·S + I`.
struct DSRStepConstants {
    var decay: Float, gain: Float, fireLevel: Float, threshold: Float, amplitude: Float, sumDecay: Float
}

/// One time step over `width` neurons of a tile (SIMD16 body, scalar tail with the same operations in the same
/// order, so every lane is bit-identical to the scalar reference). Returns the number of spikes.
@inline(__always)
func dsrStepTile(_ u: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                 _ sum: UnsafeMutablePointer<Float>, _ width: Int, _ c: DSRStepConstants, accumulate: Bool) -> Int {
    let ur = UnsafeMutableRawPointer(u), ir = UnsafeRawPointer(input)
    let or = UnsafeMutableRawPointer(output), sr = UnsafeMutableRawPointer(sum)
    let decay = SIMD16<Float>(repeating: c.decay), gain = SIMD16<Float>(repeating: c.gain)
    let fire = SIMD16<Float>(repeating: c.fireLevel), vth = SIMD16<Float>(repeating: c.threshold)
    let amp = SIMD16<Float>(repeating: c.amplitude), sumDecay = SIMD16<Float>(repeating: c.sumDecay)
    let zero = SIMD16<Float>(repeating: 0)
    var fired = SIMD16<Int32>(repeating: 0)
    var i = 0
    while i &+ 16 <= width {
        let off = i &* 4
        let x = ir.loadUnaligned(fromByteOffset: off, as: SIMD16<Float>.self)
        var v = decay * ur.loadUnaligned(fromByteOffset: off, as: SIMD16<Float>.self) + gain * x
        let m = v .>= fire
        v -= zero.replacing(with: vth, where: m)
        ur.storeBytes(of: v, toByteOffset: off, as: SIMD16<Float>.self)
        or.storeBytes(of: zero.replacing(with: amp, where: m), toByteOffset: off, as: SIMD16<Float>.self)
        fired &-= unsafeBitCast(m, to: SIMD16<Int32>.self)      // mask lanes are 0 / −1 (SWIFT-NOTES pitfall 8)
        if accumulate {
            let s = sumDecay * sr.loadUnaligned(fromByteOffset: off, as: SIMD16<Float>.self) + x
            sr.storeBytes(of: s, toByteOffset: off, as: SIMD16<Float>.self)
        }
        i &+= 16
    }
    var spikes = Int(fired.wrappedSum())
    while i < width {
        let x = input[i]
        var v = c.decay * u[i] + c.gain * x
        if v >= c.fireLevel {
            v -= c.threshold
            output[i] = c.amplitude
            spikes &+= 1
        } else {
            output[i] = 0
        }
        u[i] = v
        if accumulate { sum[i] = c.sumDecay * sum[i] + x }
        i &+= 1
    }
    return spikes
}

/// `x[i] /= d` over `width` values (SIMD16 body).
@inline(__always)
func dsrDivide(_ x: UnsafeMutablePointer<Float>, _ width: Int, by d: Float) {
    let xr = UnsafeMutableRawPointer(x)
    let dv = SIMD16<Float>(repeating: d)
    var i = 0
    while i &+ 16 <= width {
        let v = xr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self) / dv
        xr.storeBytes(of: v, toByteOffset: i &* 4, as: SIMD16<Float>.self)
        i &+= 16
    }
    while i < width { x[i] /= d; i &+= 1 }
}
