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
    func run<R: FusedReset, C: FusedComparison>(_: R.Type, _: C.Type) -> Int {
        if let potentials {
            return fusedKernel(p, affine, input, k, potentials, output, stepSpikes, R.self, C.self, FusedKept.self)
        }
        return fusedKernel(p, affine, input, k, output, output, stepSpikes, R.self, C.self, FusedDropped.self)
    }
    switch (p.reset == .hard, p.comparison) {
    case (false, .greater): return run(FusedSoft.self, FusedAbove.self)
    case (false, .greaterOrEqual): return run(FusedSoft.self, FusedAtOrAbove.self)
    case (true, .greater): return run(FusedHard.self, FusedAbove.self)
    case (true, .greaterOrEqual): return run(FusedHard.self, FusedAtOrAbove.self)
    }
}

private struct FusedShape {
    let steps: Int, inputSteps: Int, images: Int, height: Int, width: Int, channels: Int, size: Int
}

// Reset, comparison and whether potentials are kept, as types: each combination gets its own specialised loop.
private protocol FusedReset { static var hard: Bool { get } }
private enum FusedSoft: FusedReset { static var hard: Bool { false } }
private enum FusedHard: FusedReset { static var hard: Bool { true } }
private protocol FusedComparison { static var orEqual: Bool { get } }
private enum FusedAbove: FusedComparison { static var orEqual: Bool { false } }
private enum FusedAtOrAbove: FusedComparison { static var orEqual: Bool { true } }
private protocol FusedPotentials { static var kept: Bool { get } }
private enum FusedKept: FusedPotentials { static var kept: Bool { true } }
private enum FusedDropped: FusedPotentials { static var kept: Bool { false } }

/// One band of `size` image rows (one row of pooling windows) of one image is carried through all T steps: its
/// potentials and the step's spikes (2·size·width·channels floats, 7 KiB on W2) stay in L1.
private func fusedKernel<R: FusedReset, C: FusedComparison, K: FusedPotentials>(
    _ p: LIFParameters, _ a: ChannelAffine, _ input: UnsafePointer<Float>, _ k: FusedShape,
    _ potentials: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>,
    _ counts: UnsafeMutablePointer<Int>, _: R.Type, _: C.Type, _: K.Type
) -> Int {
    let hard = R.hard, orEqual = C.orEqual, kept = K.kept
    let (h, w, ch, s) = (k.height, k.width, k.channels, k.size)
    let oh = h / s, ow = w / s
    let rowLength = w * ch, stepCount = k.images * h * rowLength
    let inputStride = k.inputSteps == 1 ? 0 : stepCount, outputStep = k.images * oh * ow * ch
    let vectorChannels = ch / 16 * 16
    let leak = Vec16(repeating: p.leak), gain = Vec16(repeating: p.inputGain)
    let theta = Vec16(repeating: p.resetAmount), level = Vec16(repeating: p.firingLevel), zero = Vec16(repeating: 0)
    let leak1 = p.leak, gain1 = p.inputGain, theta1 = p.resetAmount, level1 = p.firingLevel
    let area = Float(s * s), varea = Vec16(repeating: area)
    let exactReciprocal = (s * s) & (s * s - 1) == 0, vinverse = Vec16(repeating: 1 / area)
    let bandCapacity = max(1, s * rowLength)
    var total = 0
    // The same input and affine map at every step: the band's normalised input is computed once, not T times.
    let constant = k.inputSteps == 1 && !a.perStep
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * bandCapacity) { buffer in
        let u = buffer.baseAddress!, spikes = u + bandCapacity, normalised = spikes + bandCapacity
        for n in 0..<k.images {
            var r0 = 0
            while r0 < h {
                let rows = min(s, h - r0), pixels = rows * w, base = (n * h + r0) * rowLength
                u.initialize(repeating: p.initialPotential, count: rows * rowLength)
                if constant { normaliseBand(a, input + base, pixels: pixels, channels: ch, into: normalised) }
                for t in 0..<k.steps {
                    let x = input + t * inputStride + base, v = potentials + t * stepCount + base
                    let g = a.perStep ? t * ch : 0
                    let center = a.center + g, scale = a.scale + g, shift = a.shift.map { $0 + g }
                    var fired = SIMD16<Int32>(repeating: 0)
                    var firedScalar = 0
                    for pix in 0..<pixels {
                        let o = pix * ch
                        var c = 0
                        while c < vectorChannels {
                            let at = o + c
                            var y: Vec16
                            if constant { y = load16(normalised + at) } else {
                                y = (load16(x + at) - load16(center + c)) * load16(scale + c)
                                if let shift { y = y + load16(shift + c) }
                            }
                            var uj = leak * load16(u + at) + gain * y
                            let m = orEqual ? (uj .>= level) : (uj .> level)
                            if kept { store16(uj, v + at) }
                            store16(ones16(where: m), spikes + at)
                            fired &-= unsafeBitCast(m, to: SIMD16<Int32>.self)  // mask lanes are −1
                            uj = hard ? uj.replacing(with: zero, where: m) : uj - zero.replacing(with: theta, where: m)
                            store16(uj, u + at)
                            c += 16
                        }
                        while c < ch {
                            let at = o + c
                            var y: Float
                            if constant { y = normalised[at] } else {
                                y = (x[at] - center[c]) * scale[c]
                                if let shift { y = y + shift[c] }
                            }
                            var uj = leak1 * u[at] + gain1 * y
                            let fire = orEqual ? (uj >= level1) : (uj > level1)
                            if kept { v[at] = uj }
                            spikes[at] = fire ? 1 : 0
                            if fire { firedScalar += 1; uj = hard ? 0 : uj - theta1 }
                            u[at] = uj
                            c += 1
                        }
                    }
                    let stepFired = Int(fired.wrappedSum()) + firedScalar
                    counts[t] += stepFired; total += stepFired
                    // The band's row of pooling windows (none for the trailing rows of an image not divisible by s).
                    guard rows == s else { continue }
                    let out = output + t * outputStep + (n * oh + r0 / s) * ow * ch
                    for j in 0..<ow {
                        let corner = j * s * ch, to = out + j * ch
                        var c = 0
                        while c < vectorChannels {
                            var sum = Vec16(repeating: 0)
                            for dy in 0..<s {
                                for dx in 0..<s { sum += load16(spikes + corner + (dy * w + dx) * ch + c) }
                            }
                            store16(exactReciprocal ? sum * vinverse : sum / varea, to + c)
                            c += 16
                        }
                        while c < ch {
                            var sum: Float = 0
                            for dy in 0..<s {
                                for dx in 0..<s { sum += spikes[corner + (dy * w + dx) * ch + c] }
                            }
                            to[c] = sum / area
                            c += 1
                        }
                    }
                }
                r0 += s
            }
        }
    }
    return total
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
