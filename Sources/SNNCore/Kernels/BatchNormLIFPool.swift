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
/// The same input and affine map at every step (the band's normalised input is computed once, not T times), or a
/// per-step input normalised on the fly, with or without a shift.
protocol FusedInput { static var constant: Bool { get }; static var shifted: Bool { get } }
enum FusedConstantInput: FusedInput { static var constant: Bool { true }; static var shifted: Bool { false } }
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

/// Floats of potentials and normalised input a band of a constant input holds: whole rows of pooling windows,
/// about 16 KiB each, so that both stay in L1 across the T steps.
let fusedBandFloats = 4096

/// Floats of potentials a group of whole images with a per-step input holds (256 KiB, in L2): each step then reads
/// the group's input as one long contiguous stream, which the hardware prefetchers follow. (Bands of a few rows
/// read a few KiB per step at T different places, and waited on memory for most of the pass.)
let fusedGroupFloats = 65536

/// A band of whole rows of pooling windows (constant input) or a group of whole images (per-step input) is carried
/// through all T steps. Each window's s×s neurons are updated one after the other and their spikes summed in
/// registers into the pooled value: the full-size spikes are never stored. Spike sums of 0/1 values are exact in
/// any order, so the pooled values equal `avgPoolForward`'s bit for bit; the per-step spike count adds the window
/// sums (exact integers). Every neuron's own recursion runs in step order, as in `lifForward`.
private func fusedKernel<R: FusedReset, C: FusedComparison, K: FusedPotentials, I: FusedInput>(
    _ p: LIFParameters, _ a: ChannelAffine, _ input: UnsafePointer<Float>, _ k: FusedShape,
    _ potentials: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>,
    _ counts: UnsafeMutablePointer<Int>, _: R.Type, _: C.Type, _: K.Type, _: I.Type
) -> Int {
    let (h, w, ch, s) = (k.height, k.width, k.channels, k.size)
    let oh = h / s, ow = w / s
    let rowLength = w * ch, imageFloats = h * rowLength, stepCount = k.images * imageFloats
    let inputStride = k.inputSteps == 1 ? 0 : stepCount, outputStep = k.images * oh * ow * ch
    var total = 0
    if !I.constant {
        let group = max(1, fusedGroupFloats / max(1, imageFloats))
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, min(group, k.images) * imageFloats)) { buffer in
            let u = buffer.baseAddress!
            var n0 = 0
            while n0 < k.images {
                let images = min(group, k.images - n0)
                u.initialize(repeating: p.initialPotential, count: images * imageFloats)
                for t in 0..<k.steps {
                    let g = a.perStep ? t * ch : 0
                    var fired = 0
                    for i in 0..<images {
                        let n = n0 + i, base = n * imageFloats
                        let band = FusedBand(x: input + t * inputStride + base, center: a.center + g, scale: a.scale + g,
                                             shift: I.shifted ? a.shift! + g : a.center, u: u + i * imageFloats,
                                             v: potentials + t * stepCount + base, out: output + t * outputStep + n * oh * ow * ch)
                        fired += fusedBandStep(p, band, rows: h, width: w, channels: ch, size: s, R.self, C.self, K.self, I.self)
                    }
                    counts[t] += fired; total += fired
                }
                n0 += images
            }
        }
        return total
    }
    let windowRows = max(1, fusedBandFloats / max(1, s * rowLength))
    let bandRows = min(h, windowRows * s)
    let bandCapacity = max(1, bandRows * rowLength)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * bandCapacity) { buffer in
        let u = buffer.baseAddress!, normalised = u + bandCapacity
        for n in 0..<k.images {
            var r0 = 0
            while r0 < h {
                let rows = min(bandRows, h - r0), base = (n * h + r0) * rowLength
                u.initialize(repeating: p.initialPotential, count: rows * rowLength)
                normaliseBand(a, input + base, pixels: rows * w, channels: ch, into: normalised)
                for t in 0..<k.steps {
                    let band = FusedBand(x: UnsafePointer(normalised), center: a.center, scale: a.scale, shift: a.center, u: u,
                                         v: potentials + t * stepCount + base, out: output + t * outputStep + (n * oh + r0 / s) * ow * ch)
                    let fired = fusedBandStep(p, band, rows: rows, width: w, channels: ch, size: s, R.self, C.self, K.self, I.self)
                    counts[t] += fired; total += fired
                }
                r0 += rows
            }
        }
    }
    return total
}

/// Where one step of one band reads and writes: its input (or normalised input), the affine map of the step, the
/// band's potentials carried over the steps, its potentials of this step (when kept) and its pooled output.
struct FusedBand {
    let x: UnsafePointer<Float>, center: UnsafePointer<Float>, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>
    let u: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
}

/// The per-step constants of the LIF update, as vectors and scalars.
struct FusedLIF {
    let leak: Vec16, gain: Vec16, theta: Vec16, level: Vec16
    let leak1: Float, gain1: Float, theta1: Float, level1: Float
    init(_ p: LIFParameters) {
        leak = Vec16(repeating: p.leak); gain = Vec16(repeating: p.inputGain)
        theta = Vec16(repeating: p.resetAmount); level = Vec16(repeating: p.firingLevel)
        leak1 = p.leak; gain1 = p.inputGain; theta1 = p.resetAmount; level1 = p.firingLevel
    }
}

/// The 16 neurons at `at` (channels c ..< c + 16): the affine map, the LIF update and its reset, in the operations
/// and order of `applyAffine` and `lifForward`; returns the spike mask. (A top-level function: nested functions of
/// the band step were outlined and their masks scalarised.)
@inline(__always)
func fusedUpdate16<R: FusedReset, C: FusedComparison, K: FusedPotentials, I: FusedInput>(
    _ q: FusedLIF, _ b: FusedBand, _ at: Int, _ c: Int, _: R.Type, _: C.Type, _: K.Type, _: I.Type
) -> SIMDMask<SIMD16<Int32>> {
    var y: Vec16
    if I.constant { y = load16(b.x + at) } else {
        y = (load16(b.x + at) - load16(b.center + c)) * load16(b.scale + c)
        if I.shifted { y = y + load16(b.shift + c) }
    }
    var uj = q.leak * load16(b.u + at) + q.gain * y
    let m = C.orEqual ? (uj .>= q.level) : (uj .> q.level)
    if K.kept { store16(uj, b.v + at) }
    uj = R.hard ? uj.replacing(with: Vec16(repeating: 0), where: m) : uj - Vec16(repeating: 0).replacing(with: q.theta, where: m)
    store16(uj, b.u + at)
    return m
}

/// `fusedUpdate16` for one neuron; returns whether it fired.
@inline(__always)
func fusedUpdate1<R: FusedReset, C: FusedComparison, K: FusedPotentials, I: FusedInput>(
    _ q: FusedLIF, _ b: FusedBand, _ at: Int, _ c: Int, _: R.Type, _: C.Type, _: K.Type, _: I.Type
) -> Bool {
    var y: Float
    if I.constant { y = b.x[at] } else {
        y = (b.x[at] - b.center[c]) * b.scale[c]
        if I.shifted { y = y + b.shift[c] }
    }
    var uj = q.leak1 * b.u[at] + q.gain1 * y
    let fire = C.orEqual ? (uj >= q.level1) : (uj > q.level1)
    if K.kept { b.v[at] = uj }
    if fire { uj = R.hard ? 0 : uj - q.theta1 }
    b.u[at] = uj
    return fire
}

/// One step of one band of `rows` image rows starting at a window row: every neuron updated once, the complete
/// windows pooled into `out`; returns the band's spikes of the step.
@inline(__always)
private func fusedBandStep<R: FusedReset, C: FusedComparison, K: FusedPotentials, I: FusedInput>(
    _ p: LIFParameters, _ b: FusedBand, rows: Int, width w: Int, channels ch: Int, size s: Int,
    _: R.Type, _: C.Type, _: K.Type, _: I.Type
) -> Int {
    let q = FusedLIF(p)
    let vectorChannels = ch / 16 * 16, rowLength = w * ch, ow = w / s
    let area = Float(s * s), varea = Vec16(repeating: area)
    let exactReciprocal = (s * s) & (s * s - 1) == 0, vinverse = Vec16(repeating: 1 / area)
    var fired = Vec16(repeating: 0)   // spike counts per lane: small integers, exact in Float
    var firedScalar = 0
    let windowRows = rows / s
    for wr in 0..<windowRows {
        let rowBase = wr * s * rowLength, to = b.out + wr * ow * ch
        for j in 0..<ow {
            let corner = rowBase + j * s * ch
            var c = 0
            while c < vectorChannels {
                var sum = Vec16(repeating: 0)
                if s == 2 {
                    // The common 2×2 window written out: four independent updates, their spikes added as a tree.
                    let a = corner + c, below = a + rowLength
                    let m0 = fusedUpdate16(q, b, a, c, R.self, C.self, K.self, I.self)
                    let m1 = fusedUpdate16(q, b, a + ch, c, R.self, C.self, K.self, I.self)
                    let m2 = fusedUpdate16(q, b, below, c, R.self, C.self, K.self, I.self)
                    let m3 = fusedUpdate16(q, b, below + ch, c, R.self, C.self, K.self, I.self)
                    sum = (ones16(where: m0) + ones16(where: m1)) + (ones16(where: m2) + ones16(where: m3))
                } else {
                    for dy in 0..<s {
                        for dx in 0..<s {
                            let m = fusedUpdate16(q, b, corner + (dy * w + dx) * ch + c, c, R.self, C.self, K.self, I.self)
                            sum += ones16(where: m)
                        }
                    }
                }
                fired += sum
                store16(exactReciprocal ? sum * vinverse : sum / varea, to + j * ch + c)
                c += 16
            }
            while c < ch {
                var sum: Float = 0
                for dy in 0..<s {
                    for dx in 0..<s {
                        if fusedUpdate1(q, b, corner + (dy * w + dx) * ch + c, c, R.self, C.self, K.self, I.self) { sum += 1 }
                    }
                }
                firedScalar += Int(sum)
                to[j * ch + c] = sum / area
                c += 1
            }
        }
        // Trailing columns no window covers: updated and counted, not pooled.
        if ow * s < w {
            for dy in 0..<s {
                let from = rowBase + dy * rowLength + ow * s * ch
                for i in 0..<((w - ow * s) * ch) where fusedUpdate1(q, b, from + i, i % ch, R.self, C.self, K.self, I.self) {
                    firedScalar += 1
                }
            }
        }
    }
    // Trailing rows no window covers (the last band of an image whose height s does not divide).
    let from = windowRows * s * rowLength
    for i in 0..<((rows - windowRows * s) * rowLength) where fusedUpdate1(q, b, from + i, i % ch, R.self, C.self, K.self, I.self) {
        firedScalar += 1
    }
    return Int(fired.sum()) + firedScalar
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

/// `y = (x − center[c])·scale[c] (+ shift[c])` for `pixels` pixels of one band (the map of step 0), the same
/// operations as the fused loops (and `applyAffine`) apply.
@inline(__always)
func normaliseBand(_ a: ChannelAffine, _ x: UnsafePointer<Float>, pixels: Int, channels ch: Int,
                   into y: UnsafeMutablePointer<Float>) {
    let vectorChannels = ch / 16 * 16
    for pix in 0..<pixels {
        let o = pix * ch
        var c = 0
        while c < vectorChannels {
            var v = (load16(x + o + c) - load16(a.center + c)) * load16(a.scale + c)
            if let shift = a.shift { v = v + load16(shift + c) }
            store16(v, y + o + c)
            c += 16
        }
        while c < ch {
            var v = (x[o + c] - a.center[c]) * a.scale[c]
            if let shift = a.shift { v = v + shift[c] }
            y[o + c] = v
            c += 1
        }
    }
}
