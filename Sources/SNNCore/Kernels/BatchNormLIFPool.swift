// Batch norm (its per-channel affine map), LIF neurons over all T steps and average pooling, in one pass.
//
// Run one after the other, the three kernels each stream the whole activation: the affine map writes y, LIF reads y
// and writes the spikes (and, training, the potentials), the pool reads the spikes. Fused, the input is read once
// and only the potentials (training) and the pooled spikes are written: W2's first block writes a quarter of the
// spikes' bytes and never allocates y or the full-size spikes.
//
// The arithmetic is that of `applyAffine` (BatchNorm.swift), `lifForward` and `avgPoolForward`, element by element
// in the same order, so the results are bit-identical to running the three kernels (and to the scalar reference
// `batchNormLIFAvgPoolForwardReference`).

/// The per-channel affine map of a batch norm, `y = (x − center[c])·scale[c] + shift[c]` (no shift when nil): what
/// `batchNormForwardTraining` applies with the batch statistics and `batchNormForwardInference` with the running ones.
public struct ChannelAffine {
    public let center: UnsafePointer<Float>
    public let scale: UnsafePointer<Float>
    public let shift: UnsafePointer<Float>?
    /// One map per step (BNTT's per-step statistics, `steps × channels` entries each) instead of one for all steps.
    public let perStep: Bool

    public init(center: UnsafePointer<Float>, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>?, perStep: Bool) {
        self.center = center; self.scale = scale; self.shift = shift; self.perStep = perStep
    }
}

/// `avgPoolForward(lifForward(affine(x)))` over channels-last images, in one pass.
///
/// - `input`: `[inputSteps, images, height, width, channels]`, `inputSteps` = `steps` or 1 (the same input at every
///   step; with a per-step affine map, each step still applies its own).
/// - `potentials`: when given, receives the pre-reset potentials `[steps, images·height·width·channels]`, as
///   `lifForward` writes them (training); nil at inference.
/// - `output`: the average-pooled spikes `[steps, images, height/size, width/size, channels]` (window = stride =
///   `poolSize`, floor sizes).
/// - `stepSpikes`: receives the number of spikes of each step (`steps` entries, all neurons, pooled or not).
///
/// Returns the total number of spikes.
@discardableResult
public func batchNormLIFAvgPoolForward(_ p: LIFParameters, affine: ChannelAffine, input: UnsafePointer<Float>,
                                       inputSteps: Int, steps: Int, images: Int, height: Int, width: Int, channels: Int,
                                       poolSize: Int, potentials: UnsafeMutablePointer<Float>?,
                                       output: UnsafeMutablePointer<Float>, stepSpikes: UnsafeMutablePointer<Int>) -> Int {
    precondition(inputSteps == steps || inputSteps == 1, "LIF input has \(inputSteps) steps; expected 1 or \(steps)")
    precondition(poolSize >= 1 && steps >= 0 && images >= 0 && height >= 0 && width >= 0 && channels >= 0)
    stepSpikes.initialize(repeating: 0, count: steps)
    let k = FusedShape(steps: steps, inputSteps: inputSteps, images: images, height: height, width: width,
                       channels: channels, size: poolSize)
    let kept = potentials != nil
    let v = potentials ?? output   // never written when not kept
    // Every flag becomes a type, so that each combination gets its own loop without a branch per element.
    if inputSteps == 1 && !affine.perStep {
        if affine.shift != nil {
            return fusedDispatch(p, affine, input, k, v, output, stepSpikes, kept, FusedConstantShiftedInput.self)
        }
        return fusedDispatch(p, affine, input, k, v, output, stepSpikes, kept, FusedConstantInput.self)
    } else if affine.shift != nil {
        return fusedDispatch(p, affine, input, k, v, output, stepSpikes, kept, FusedShiftedInput.self)
    }
    return fusedDispatch(p, affine, input, k, v, output, stepSpikes, kept, FusedUnshiftedInput.self)
}

private struct FusedShape {
    let steps: Int, inputSteps: Int, images: Int, height: Int, width: Int, channels: Int, size: Int
}

// Reset, comparison, whether potentials are kept and how the input is normalised, as types: each combination gets
// its own specialised loop.
protocol FusedReset { static var hard: Bool { get } }
enum FusedSoft: FusedReset { static var hard: Bool { false } }
enum FusedHard: FusedReset { static var hard: Bool { true } }
protocol FusedComparison { static var orEqual: Bool { get } }
enum FusedAbove: FusedComparison { static var orEqual: Bool { false } }
enum FusedAtOrAbove: FusedComparison { static var orEqual: Bool { true } }
protocol FusedPotentials { static var kept: Bool { get } }
enum FusedKept: FusedPotentials { static var kept: Bool { true } }
enum FusedDropped: FusedPotentials { static var kept: Bool { false } }
/// The same input and affine map at every step (each window's normalised input is computed once, not T times), or
/// a per-step input normalised on the fly; with or without a shift.
protocol FusedInput { static var constant: Bool { get }; static var shifted: Bool { get } }
enum FusedConstantInput: FusedInput { static var constant: Bool { true }; static var shifted: Bool { false } }
enum FusedConstantShiftedInput: FusedInput { static var constant: Bool { true }; static var shifted: Bool { true } }
enum FusedShiftedInput: FusedInput { static var constant: Bool { false }; static var shifted: Bool { true } }
enum FusedUnshiftedInput: FusedInput { static var constant: Bool { false }; static var shifted: Bool { false } }

@inline(__always)
private func fusedDispatch<I: FusedInput>(
    _ p: LIFParameters, _ a: ChannelAffine, _ input: UnsafePointer<Float>, _ k: FusedShape,
    _ v: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ counts: UnsafeMutablePointer<Int>,
    _ kept: Bool, _: I.Type
) -> Int {
    switch (p.reset == .hard, p.comparison == .greaterOrEqual, kept) {
    case (false, true, true): return fusedKernel(p, a, input, k, v, output, counts, FusedSoft.self, FusedAtOrAbove.self, FusedKept.self, I.self)
    case (false, true, false): return fusedKernel(p, a, input, k, v, output, counts, FusedSoft.self, FusedAtOrAbove.self, FusedDropped.self, I.self)
    case (false, false, true): return fusedKernel(p, a, input, k, v, output, counts, FusedSoft.self, FusedAbove.self, FusedKept.self, I.self)
    case (false, false, false): return fusedKernel(p, a, input, k, v, output, counts, FusedSoft.self, FusedAbove.self, FusedDropped.self, I.self)
    case (true, true, true): return fusedKernel(p, a, input, k, v, output, counts, FusedHard.self, FusedAtOrAbove.self, FusedKept.self, I.self)
    case (true, true, false): return fusedKernel(p, a, input, k, v, output, counts, FusedHard.self, FusedAtOrAbove.self, FusedDropped.self, I.self)
    case (true, false, true): return fusedKernel(p, a, input, k, v, output, counts, FusedHard.self, FusedAbove.self, FusedKept.self, I.self)
    case (true, false, false): return fusedKernel(p, a, input, k, v, output, counts, FusedHard.self, FusedAbove.self, FusedDropped.self, I.self)
    }
}

/// Each pooling window's s×s neurons (16 channels at a time) are carried through all T steps with their potentials
/// in registers: the input is read once per step (once in all when it and the affine map are the same at every step),
/// the pooled spikes are written once, and the potentials (unless kept) and the full-size spikes never go to
/// memory. (Keeping a band's potentials in L1 across the steps instead cost twice as much per neuron on a Zen 4
/// core with W2's constant input: every update loaded and stored its potential and the loop spilled its pointers.)
/// The T input streams of a per-step input advance in order, one window after the other, which the hardware
/// prefetchers follow. Spike sums of 0/1 values are exact in any order, so the pooled values equal
/// `avgPoolForward`'s bit for bit; every neuron's own recursion runs in step order with `lifForward`'s operations.
private func fusedKernel<R: FusedReset, C: FusedComparison, K: FusedPotentials, I: FusedInput>(
    _ p: LIFParameters, _ a: ChannelAffine, _ input: UnsafePointer<Float>, _ k: FusedShape,
    _ potentials: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>,
    _ counts: UnsafeMutablePointer<Int>, _: R.Type, _: C.Type, _: K.Type, _: I.Type
) -> Int {
    let (h, w, ch, s, steps) = (k.height, k.width, k.channels, k.size, k.steps)
    guard steps > 0 else { return 0 }
    let oh = h / s, ow = w / s
    let rowLength = w * ch, imageFloats = h * rowLength, stepCount = k.images * imageFloats
    let g = FusedGeometry(inputStride: k.inputSteps == 1 ? 0 : stepCount, potentialStride: stepCount,
                          outputStride: k.images * oh * ow * ch, channels: ch, perStep: a.perStep)
    let q = FusedLIF(p)
    let vectorChannels = ch / 16 * 16
    var total = 0
    withUnsafeTemporaryAllocation(of: Vec16.self, capacity: max(1, steps * (1 + s * s))) { buffer in
        // Per step, the spikes counted in vector lanes (small integers, exact in Float; flushed after each image),
        // then room for the potentials of a window larger than 2×2.
        let fired = buffer.baseAddress!, window = fired + steps
        for n in 0..<k.images {
            fired.initialize(repeating: Vec16(repeating: 0), count: steps)
            let base = n * imageFloats
            var scalarFired = 0
            for wr in 0..<oh {
                for j in 0..<ow {
                    let corner = base + (wr * s * w + j * s) * ch
                    let out = output + ((n * oh + wr) * ow + j) * ch
                    var c = 0
                    while c < vectorChannels {
                        if s == 2 {
                            fusedWindow2x2(q, a, g, input + corner + c, rowLength, c, potentials + corner + c, out + c,
                                           fired, steps, R.self, C.self, K.self, I.self)
                        } else {
                            fusedWindow(q, a, g, input + corner + c, rowLength, s, c, potentials + corner + c, out + c,
                                        fired, window, steps, R.self, C.self, K.self, I.self)
                        }
                        c += 16
                    }
                    while c < ch {
                        scalarFired += fusedWindow1(q, a, g, input + corner + c, rowLength, s, c, potentials + corner + c,
                                                    out + c, counts, steps, R.self, C.self, K.self, I.self)
                        c += 1
                    }
                }
            }
            // Neurons no window covers: updated and counted, not pooled.
            forEachUncovered(height: h, width: w, channels: ch, size: s) { i, c in
                scalarFired += fusedNeuron(q, a, g, input + base + i, c, potentials + base + i, counts, steps,
                                           R.self, C.self, K.self, I.self)
            }
            for t in 0..<steps {
                let f = Int(fired[t].sum())
                counts[t] += f; total += f
            }
            total += scalarFired
        }
    }
    return total
}

/// Where the steps of one neuron (or 16) lie: the input, potentials and pooled output of step t are `t·stride`
/// floats after step 0's (an input stride of 0: the same input at every step); with `perStep`, step t's affine map
/// starts at `t·channels`.
struct FusedGeometry {
    let inputStride: Int, potentialStride: Int, outputStride: Int, channels: Int, perStep: Bool
}

/// Calls `body(i, c)` for every neuron of one channels-last image that no s×s pooling window covers (the trailing
/// columns of each row of windows, then the trailing rows), `i` its offset in the image and `c` its channel.
@inline(__always)
func forEachUncovered(height h: Int, width w: Int, channels ch: Int, size s: Int, _ body: (Int, Int) -> Void) {
    let rowLength = w * ch, covered = w / s * s * ch
    for row in 0..<(h / s * s) {
        for i in covered..<rowLength { body(row * rowLength + i, i % ch) }
    }
    for i in (h / s * s * rowLength)..<(h * rowLength) { body(i, i % ch) }
}

/// Step t's normalised input of the 16 neurons at `x` (channels c ..< c + 16): `applyAffine`'s operations.
@inline(__always)
func fusedInput16<I: FusedInput>(_ a: ChannelAffine, _ g: FusedGeometry, _ x: UnsafePointer<Float>, _ t: Int, _ c: Int,
                                 _: I.Type) -> Vec16 {
    let m = g.perStep ? t * g.channels + c : c
    var y = (load16(x + t * g.inputStride) - load16(a.center + m)) * load16(a.scale + m)
    if I.shifted { y = y + load16(a.shift! + m) }
    return y
}

/// One LIF update of 16 neurons from potential `u` and input `y` (`lifForward`'s operations); writes the pre-reset
/// potential to `v` when kept, returns the spike mask and leaves the reset potential in `u`.
@inline(__always)
func fusedStep16<R: FusedReset, C: FusedComparison, K: FusedPotentials>(
    _ q: FusedLIF, _ u: inout Vec16, _ y: Vec16, _ v: UnsafeMutablePointer<Float>, _: R.Type, _: C.Type, _: K.Type
) -> SIMDMask<SIMD16<Int32>> {
    let uj = q.leak * u + q.gain * y
    let m = C.orEqual ? (uj .>= q.level) : (uj .> q.level)
    if K.kept { store16(uj, v) }
    u = R.hard ? uj.replacing(with: Vec16(repeating: 0), where: m) : uj - Vec16(repeating: 0).replacing(with: q.theta, where: m)
    return m
}

/// The common 2×2 window of 16 channels through all steps: four potentials in registers, their spikes added as a
/// tree into the pooled value of each step.
@inline(__always)
private func fusedWindow2x2<R: FusedReset, C: FusedComparison, K: FusedPotentials, I: FusedInput>(
    _ q: FusedLIF, _ a: ChannelAffine, _ g: FusedGeometry, _ x: UnsafePointer<Float>, _ rowLength: Int, _ c: Int,
    _ v: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ fired: UnsafeMutablePointer<Vec16>,
    _ steps: Int, _: R.Type, _: C.Type, _: K.Type, _: I.Type
) {
    let ch = g.channels, quarter = Vec16(repeating: 0.25)
    var u0 = Vec16(repeating: q.initial), u1 = u0, u2 = u0, u3 = u0
    if I.constant {
        // The same input and map at every step: normalised once.
        let y0 = fusedInput16(a, g, x, 0, c, I.self), y1 = fusedInput16(a, g, x + ch, 0, c, I.self)
        let y2 = fusedInput16(a, g, x + rowLength, 0, c, I.self), y3 = fusedInput16(a, g, x + rowLength + ch, 0, c, I.self)
        var t = 0
        repeat {
            let o = t * g.potentialStride
            let m0 = fusedStep16(q, &u0, y0, v + o, R.self, C.self, K.self)
            let m1 = fusedStep16(q, &u1, y1, v + o + ch, R.self, C.self, K.self)
            let m2 = fusedStep16(q, &u2, y2, v + o + rowLength, R.self, C.self, K.self)
            let m3 = fusedStep16(q, &u3, y3, v + o + rowLength + ch, R.self, C.self, K.self)
            let sum = (ones16(where: m0) + ones16(where: m1)) + (ones16(where: m2) + ones16(where: m3))
            fired[t] += sum
            store16(sum * quarter, out + t * g.outputStride)
            t += 1
        } while t < steps
    } else {
        var t = 0
        repeat {
            let o = t * g.potentialStride
            let m0 = fusedStep16(q, &u0, fusedInput16(a, g, x, t, c, I.self), v + o, R.self, C.self, K.self)
            let m1 = fusedStep16(q, &u1, fusedInput16(a, g, x + ch, t, c, I.self), v + o + ch, R.self, C.self, K.self)
            let m2 = fusedStep16(q, &u2, fusedInput16(a, g, x + rowLength, t, c, I.self), v + o + rowLength,
                                 R.self, C.self, K.self)
            let m3 = fusedStep16(q, &u3, fusedInput16(a, g, x + rowLength + ch, t, c, I.self), v + o + rowLength + ch,
                                 R.self, C.self, K.self)
            let sum = (ones16(where: m0) + ones16(where: m1)) + (ones16(where: m2) + ones16(where: m3))
            fired[t] += sum
            store16(sum * quarter, out + t * g.outputStride)
            t += 1
        } while t < steps
    }
}

/// An s×s window of 16 channels through all steps (s ≠ 2): the s² potentials in `window`.
@inline(__always)
private func fusedWindow<R: FusedReset, C: FusedComparison, K: FusedPotentials, I: FusedInput>(
    _ q: FusedLIF, _ a: ChannelAffine, _ g: FusedGeometry, _ x: UnsafePointer<Float>, _ rowLength: Int, _ s: Int,
    _ c: Int, _ v: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ fired: UnsafeMutablePointer<Vec16>,
    _ window: UnsafeMutablePointer<Vec16>, _ steps: Int, _: R.Type, _: C.Type, _: K.Type, _: I.Type
) {
    let area = Float(s * s), varea = Vec16(repeating: area)
    let exactReciprocal = (s * s) & (s * s - 1) == 0, vinverse = Vec16(repeating: 1 / area)
    window.initialize(repeating: Vec16(repeating: q.initial), count: s * s)
    for t in 0..<steps {
        var sum = Vec16(repeating: 0)
        for dy in 0..<s {
            for dx in 0..<s {
                let at = dy * rowLength + dx * g.channels
                let m = fusedStep16(q, &window[dy * s + dx], fusedInput16(a, g, x + at, t, c, I.self),
                                    v + t * g.potentialStride + at, R.self, C.self, K.self)
                sum += ones16(where: m)
            }
        }
        fired[t] += sum
        store16(exactReciprocal ? sum * vinverse : sum / varea, out + t * g.outputStride)
    }
}

/// Step t's normalised input of the one neuron at `x` (channel c).
@inline(__always)
func fusedInput1<I: FusedInput>(_ a: ChannelAffine, _ g: FusedGeometry, _ x: UnsafePointer<Float>, _ t: Int, _ c: Int,
                                _: I.Type) -> Float {
    let m = g.perStep ? t * g.channels + c : c
    var y = (x[t * g.inputStride] - a.center[m]) * a.scale[m]
    if I.shifted { y = y + a.shift![m] }
    return y
}

/// One LIF update of one neuron; returns whether it fired.
@inline(__always)
func fusedStep1<R: FusedReset, C: FusedComparison, K: FusedPotentials>(
    _ q: FusedLIF, _ u: inout Float, _ y: Float, _ v: UnsafeMutablePointer<Float>, _: R.Type, _: C.Type, _: K.Type
) -> Bool {
    let uj = q.leak1 * u + q.gain1 * y
    let fire = C.orEqual ? (uj >= q.level1) : (uj > q.level1)
    if K.kept { v.pointee = uj }
    u = fire ? (R.hard ? 0 : uj - q.theta1) : uj
    return fire
}

/// An s×s window of one channel through all steps (channels past the last multiple of 16); counts its spikes in
/// `counts` and returns their number.
private func fusedWindow1<R: FusedReset, C: FusedComparison, K: FusedPotentials, I: FusedInput>(
    _ q: FusedLIF, _ a: ChannelAffine, _ g: FusedGeometry, _ x: UnsafePointer<Float>, _ rowLength: Int, _ s: Int,
    _ c: Int, _ v: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ counts: UnsafeMutablePointer<Int>,
    _ steps: Int, _: R.Type, _: C.Type, _: K.Type, _: I.Type
) -> Int {
    let area = Float(s * s)
    var fired = 0
    withUnsafeTemporaryAllocation(of: Float.self, capacity: s * s) { window in
        let u = window.baseAddress!
        u.initialize(repeating: q.initial, count: s * s)
        for t in 0..<steps {
            var sum: Float = 0
            for dy in 0..<s {
                for dx in 0..<s {
                    let at = dy * rowLength + dx * g.channels
                    if fusedStep1(q, &u[dy * s + dx], fusedInput1(a, g, x + at, t, c, I.self), v + t * g.potentialStride + at,
                                  R.self, C.self, K.self) { sum += 1 }
                }
            }
            counts[t] += Int(sum); fired += Int(sum)
            out[t * g.outputStride] = sum / area
        }
    }
    return fired
}

/// One neuron no window covers, through all steps: updated and counted, not pooled.
private func fusedNeuron<R: FusedReset, C: FusedComparison, K: FusedPotentials, I: FusedInput>(
    _ q: FusedLIF, _ a: ChannelAffine, _ g: FusedGeometry, _ x: UnsafePointer<Float>, _ c: Int,
    _ v: UnsafeMutablePointer<Float>, _ counts: UnsafeMutablePointer<Int>, _ steps: Int,
    _: R.Type, _: C.Type, _: K.Type, _: I.Type
) -> Int {
    var u = q.initial, fired = 0
    for t in 0..<steps where fusedStep1(q, &u, fusedInput1(a, g, x, t, c, I.self), v + t * g.potentialStride,
                                        R.self, C.self, K.self) {
        counts[t] += 1; fired += 1
    }
    return fired
}

/// The per-step constants of the LIF update, as vectors and scalars.
struct FusedLIF {
    let leak: Vec16, gain: Vec16, theta: Vec16, level: Vec16
    let leak1: Float, gain1: Float, theta1: Float, level1: Float, initial: Float
    init(_ p: LIFParameters) {
        initial = p.initialPotential
        leak = Vec16(repeating: p.leak); gain = Vec16(repeating: p.inputGain)
        theta = Vec16(repeating: p.resetAmount); level = Vec16(repeating: p.firingLevel)
        leak1 = p.leak; gain1 = p.inputGain; theta1 = p.resetAmount; level1 = p.firingLevel
    }
}

/// Scalar reference of `batchNormLIFAvgPoolForward`, on arrays: the affine map, the LIF recursion (as `lifForward`
/// computes it: a soft reset subtracts `resetAmount`) and the average of each window, one value at a time.
/// Returns the potentials `[steps, images·height·width·channels]`, the pooled spikes and the spikes of each step.
public func batchNormLIFAvgPoolForwardReference(
    _ p: LIFParameters, center: [Float], scale: [Float], shift: [Float]?, perStep: Bool, input: [Float],
    inputSteps: Int, steps: Int, images: Int, height: Int, width: Int, channels: Int, poolSize s: Int
) -> (potentials: [Float], output: [Float], stepSpikes: [Int]) {
    let count = images * height * width * channels
    precondition(input.count == inputSteps * count)
    var potentials = [Float](repeating: 0, count: steps * count)
    var spikes = potentials
    var stepSpikes = [Int](repeating: 0, count: steps)
    for i in 0..<count {
        let c = i % channels
        var u = p.initialPotential
        for t in 0..<steps {
            let g = (perStep ? t * channels : 0) + c
            var y = (input[(inputSteps == 1 ? 0 : t) * count + i] - center[g]) * scale[g]
            if let shift { y = y + shift[g] }
            u = p.leak * u + p.inputGain * y
            let fire = p.comparison == .greaterOrEqual ? u >= p.firingLevel : u > p.firingLevel
            potentials[t * count + i] = u
            spikes[t * count + i] = fire ? 1 : 0
            if fire { stepSpikes[t] += 1; u = p.reset == .hard ? 0 : u - p.resetAmount }
        }
    }
    let oh = height / s, ow = width / s
    var output = [Float](repeating: 0, count: steps * images * oh * ow * channels)
    for t in 0..<steps {
        for n in 0..<images {
            for i in 0..<oh {
                for j in 0..<ow {
                    for c in 0..<channels {
                        var sum: Float = 0
                        for dy in 0..<s {
                            for dx in 0..<s {
                                sum += spikes[t * count + ((n * height + i * s + dy) * width + j * s + dx) * channels + c]
                            }
                        }
                        output[(((t * images + n) * oh + i) * ow + j) * channels + c] = sum / Float(s * s)
                    }
                }
            }
        }
    }
    return (potentials, output, stepSpikes)
}
