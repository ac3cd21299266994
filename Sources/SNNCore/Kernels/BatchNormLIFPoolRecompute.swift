// The backward of a batch norm → LIF → average pool block without saved potentials: each pooling window
// recomputes its potentials from the batch norm's input (the affine map and the LIF recursion, as
// `batchNormLIFAvgPoolForward` computes them, so the same bits) into a few KiB of stack, then runs the backward
// of `avgPoolLIFBackward` over them, neuron by neuron with the same arithmetic.
//
// Saving the potentials costs a write of T·N floats in the forward and a read in the backward (W2's first block:
// 26 MB each per micro-batch); recomputing them reads the batch norm's input, which is saved anyway and, on W2's
// first block, is one step (the image's convolution, the same at every step), so the pass reads an eighth as much.

/// `avgPoolLIFBackward` with the potentials recomputed from `input` through `affine` (soft resets only).
///
/// `input`, `inputSteps` and `affine` are what `batchNormLIFAvgPoolForward` was given; `gradOutput` is the gradient
/// of its pooled output; `gradInput` is overwritten with the gradient of the LIF input current (the batch norm's
/// output), `[steps, …]` or summed over the steps `[1, …]` when `inputSteps == 1`.
public func batchNormLIFAvgPoolRecomputedBackward(_ p: LIFParameters, surrogate: Surrogate, affine: ChannelAffine,
                                                  input: UnsafePointer<Float>, inputSteps: Int, steps: Int, images: Int,
                                                  height: Int, width: Int, channels: Int, poolSize: Int,
                                                  gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>) {
    precondition(p.reset != .hard, "a hard reset's backward reads the spikes: run avgPoolBackward and lifBackward")
    precondition(inputSteps == steps || inputSteps == 1, "LIF input has \(inputSteps) steps; expected 1 or \(steps)")
    precondition(poolSize >= 1 && steps >= 0 && images >= 0 && height >= 0 && width >= 0 && channels >= 0)
    let k = RecomputeShape(steps: steps, inputSteps: inputSteps, images: images, height: height, width: width,
                           channels: channels, size: poolSize)
    func run<S: SurrogateSIMD>(_ sg: S) {
        if inputSteps == 1 && !affine.perStep {
            if affine.shift != nil {
                recomputeDispatch(p, sg, affine, input, k, gradOutput, gradInput, FusedConstantShiftedInput.self)
            } else {
                recomputeDispatch(p, sg, affine, input, k, gradOutput, gradInput, FusedConstantInput.self)
            }
        } else if affine.shift != nil {
            recomputeDispatch(p, sg, affine, input, k, gradOutput, gradInput, FusedShiftedInput.self)
        } else {
            recomputeDispatch(p, sg, affine, input, k, gradOutput, gradInput, FusedUnshiftedInput.self)
        }
    }
    switch surrogate {
    case .triangular(let scale): run(TriangularSIMD(scale: scale, threshold: p.threshold))
    case .atan(let alpha): run(ATanSIMD(alpha: alpha, threshold: p.threshold))
    case .sigmoid(let alpha): run(SigmoidSIMD(alpha: alpha, threshold: p.threshold))
    }
}

@inline(__always)
private func recomputeDispatch<S: SurrogateSIMD, I: FusedInput>(
    _ p: LIFParameters, _ sg: S, _ a: ChannelAffine, _ input: UnsafePointer<Float>, _ k: RecomputeShape,
    _ gradOutput: UnsafePointer<Float>, _ gradInput: UnsafeMutablePointer<Float>, _: I.Type
) {
    if p.comparison == .greaterOrEqual {
        recomputeKernel(p, sg, a, input, k, gradOutput, gradInput, FusedAtOrAbove.self, I.self)
    } else {
        recomputeKernel(p, sg, a, input, k, gradOutput, gradInput, FusedAbove.self, I.self)
    }
}

private struct RecomputeShape {
    let steps: Int, inputSteps: Int, images: Int, height: Int, width: Int, channels: Int, size: Int
}

/// Each pooling window's s×s neurons (16 channels at a time) recompute their potentials of all T steps into a few
/// KiB of stack and run the backward through the steps with their deltas (and, for a constant input, their sums) in
/// registers: `avgPoolLIFBackward`'s arithmetic per neuron (its gradient of the spikes is the pooled gradient over
/// the window's area; neurons no window covers get none), so the same bits. (Bands of whole window rows held T
/// steps of potentials plus four working rows, 46 KiB on W2's first block: more than a Zen 4 core's 32 KiB L1.)
private func recomputeKernel<S: SurrogateSIMD, C: FusedComparison, I: FusedInput>(
    _ p: LIFParameters, _ sg: S, _ a: ChannelAffine, _ input: UnsafePointer<Float>, _ k: RecomputeShape,
    _ gradOutput: UnsafePointer<Float>, _ gradInput: UnsafeMutablePointer<Float>, _: C.Type, _: I.Type
) {
    let (h, w, ch, s, steps) = (k.height, k.width, k.channels, k.size, k.steps)
    let oh = h / s, ow = w / s
    let rowLength = w * ch, imageFloats = h * rowLength, stepCount = k.images * imageFloats
    let shared = k.inputSteps == 1 && steps != 1
    guard steps > 0 else {
        if k.inputSteps == 1 { gradInput.initialize(repeating: 0, count: stepCount) }
        return
    }
    let g = FusedGeometry(inputStride: k.inputSteps == 1 ? 0 : stepCount, potentialStride: stepCount,
                          outputStride: k.images * oh * ow * ch, channels: ch, perStep: a.perStep)
    let b = RecomputeBackward(sg: sg, leak: p.leak, gain: p.inputGain, shared: shared, gradStride: stepCount)
    let q = FusedLIF(p)
    let vectorChannels = ch / 16 * 16, area = s * s
    // The potentials of one window's 16-channel vectors at every step (`[steps, s², 16]`; a lone neuron's `[steps]`
    // at its start), then the deltas and sums of a window larger than 2×2.
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * (steps * area + 2 * area)) { buffer in
        let potentials = buffer.baseAddress!, deltas = potentials + 16 * steps * area, sums = deltas + 16 * area
        for n in 0..<k.images {
            let base = n * imageFloats
            for wr in 0..<oh {
                for j in 0..<ow {
                    let corner = base + (wr * s * w + j * s) * ch
                    let pooled = gradOutput + ((n * oh + wr) * ow + j) * ch
                    var c = 0
                    while c < vectorChannels {
                        if s == 2 {
                            recomputeWindow2x2(q, a, g, b, input + corner + c, rowLength, c, pooled + c,
                                               gradInput + corner + c, potentials, steps, C.self, I.self)
                        } else {
                            recomputeWindow(q, a, g, b, input + corner + c, rowLength, s, c, pooled + c,
                                            gradInput + corner + c, potentials, deltas, sums, steps, C.self, I.self)
                        }
                        c += 16
                    }
                    while c < ch {
                        for dy in 0..<s {
                            for dx in 0..<s {
                                let at = dy * rowLength + dx * ch
                                recomputeNeuron(q, a, g, b, input + corner + c + at, c, pooled + c, Float(area),
                                                gradInput + corner + c + at, potentials, steps, C.self, I.self)
                            }
                        }
                        c += 1
                    }
                }
            }
            // Neurons no window covers: no gradient from the pool.
            forEachUncovered(height: h, width: w, channels: ch, size: s) { i, c in
                recomputeNeuron(q, a, g, b, input + base + i, c, nil, 1, gradInput + base + i, potentials, steps,
                                C.self, I.self)
            }
        }
    }
}

/// The backward's constants: the surrogate, the leak and input gain, whether the input gradient is summed over
/// the steps (a constant input) or written per step `gradStride` floats apart.
private struct RecomputeBackward<S: SurrogateSIMD> {
    let sg: S, leak1: Float, gain1: Float, leak: Vec16, gain: Vec16, shared: Bool, gradStride: Int
    init(sg: S, leak: Float, gain: Float, shared: Bool, gradStride: Int) {
        self.sg = sg; leak1 = leak; gain1 = gain; self.leak = Vec16(repeating: leak); self.gain = Vec16(repeating: gain)
        self.shared = shared; self.gradStride = gradStride
    }
}

/// The common 2×2 window of 16 channels: the potentials of all steps recomputed into `v` (`[steps, 4, 16]`), then
/// the four deltas (and sums) carried backward in registers.
@inline(__always)
private func recomputeWindow2x2<S: SurrogateSIMD, C: FusedComparison, I: FusedInput>(
    _ q: FusedLIF, _ a: ChannelAffine, _ g: FusedGeometry, _ b: RecomputeBackward<S>, _ x: UnsafePointer<Float>,
    _ rowLength: Int, _ c: Int, _ pooled: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
    _ v: UnsafeMutablePointer<Float>, _ steps: Int, _: C.Type, _: I.Type
) {
    let ch = g.channels, quarter = Vec16(repeating: 0.25)
    let o1 = ch, o2 = rowLength, o3 = rowLength + ch
    var u0 = Vec16(repeating: q.initial), u1 = u0, u2 = u0, u3 = u0
    var t = 0
    if I.constant {
        let y0 = fusedInput16(a, g, x, 0, c, I.self), y1 = fusedInput16(a, g, x + o1, 0, c, I.self)
        let y2 = fusedInput16(a, g, x + o2, 0, c, I.self), y3 = fusedInput16(a, g, x + o3, 0, c, I.self)
        repeat {
            let vt = v + 64 * t
            _ = fusedStep16(q, &u0, y0, vt, FusedSoft.self, C.self, FusedKept.self)
            _ = fusedStep16(q, &u1, y1, vt + 16, FusedSoft.self, C.self, FusedKept.self)
            _ = fusedStep16(q, &u2, y2, vt + 32, FusedSoft.self, C.self, FusedKept.self)
            _ = fusedStep16(q, &u3, y3, vt + 48, FusedSoft.self, C.self, FusedKept.self)
            t += 1
        } while t < steps
    } else {
        repeat {
            let vt = v + 64 * t
            _ = fusedStep16(q, &u0, fusedInput16(a, g, x, t, c, I.self), vt, FusedSoft.self, C.self, FusedKept.self)
            _ = fusedStep16(q, &u1, fusedInput16(a, g, x + o1, t, c, I.self), vt + 16, FusedSoft.self, C.self, FusedKept.self)
            _ = fusedStep16(q, &u2, fusedInput16(a, g, x + o2, t, c, I.self), vt + 32, FusedSoft.self, C.self, FusedKept.self)
            _ = fusedStep16(q, &u3, fusedInput16(a, g, x + o3, t, c, I.self), vt + 48, FusedSoft.self, C.self, FusedKept.self)
            t += 1
        } while t < steps
    }
    let zero = Vec16(repeating: 0)
    var d0 = zero, d1 = zero, d2 = zero, d3 = zero
    if b.shared {
        var s0 = zero, s1 = zero, s2 = zero, s3 = zero
        t = steps - 1
        repeat {
            let grad = load16(pooled + t * g.outputStride) * quarter, vt = v + 64 * t
            d0 = grad * b.sg(load16(vt)) + b.leak * d0; s0 = s0 + b.gain * d0
            d1 = grad * b.sg(load16(vt + 16)) + b.leak * d1; s1 = s1 + b.gain * d1
            d2 = grad * b.sg(load16(vt + 32)) + b.leak * d2; s2 = s2 + b.gain * d2
            d3 = grad * b.sg(load16(vt + 48)) + b.leak * d3; s3 = s3 + b.gain * d3
            t -= 1
        } while t >= 0
        store16(s0, out); store16(s1, out + o1); store16(s2, out + o2); store16(s3, out + o3)
    } else {
        t = steps - 1
        repeat {
            let grad = load16(pooled + t * g.outputStride) * quarter, vt = v + 64 * t, to = out + t * b.gradStride
            d0 = grad * b.sg(load16(vt)) + b.leak * d0; store16(b.gain * d0, to)
            d1 = grad * b.sg(load16(vt + 16)) + b.leak * d1; store16(b.gain * d1, to + o1)
            d2 = grad * b.sg(load16(vt + 32)) + b.leak * d2; store16(b.gain * d2, to + o2)
            d3 = grad * b.sg(load16(vt + 48)) + b.leak * d3; store16(b.gain * d3, to + o3)
            t -= 1
        } while t >= 0
    }
}

/// An s×s window of 16 channels (s ≠ 2): potentials into `v` (`[steps, s², 16]`), deltas and sums in `deltas`,
/// `sums` (`[s², 16]` each).
@inline(__always)
private func recomputeWindow<S: SurrogateSIMD, C: FusedComparison, I: FusedInput>(
    _ q: FusedLIF, _ a: ChannelAffine, _ g: FusedGeometry, _ b: RecomputeBackward<S>, _ x: UnsafePointer<Float>,
    _ rowLength: Int, _ s: Int, _ c: Int, _ pooled: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
    _ v: UnsafeMutablePointer<Float>, _ deltas: UnsafeMutablePointer<Float>, _ sums: UnsafeMutablePointer<Float>,
    _ steps: Int, _: C.Type, _: I.Type
) {
    let area = s * s, varea = Vec16(repeating: Float(area))
    let exactReciprocal = area & (area - 1) == 0, vinverse = Vec16(repeating: 1 / Float(area))
    for dy in 0..<s {
        for dx in 0..<s {
            let at = dy * rowLength + dx * g.channels, kk = dy * s + dx
            var u = Vec16(repeating: q.initial)
            for t in 0..<steps {
                _ = fusedStep16(q, &u, fusedInput16(a, g, x + at, t, c, I.self), v + 16 * (area * t + kk),
                                FusedSoft.self, C.self, FusedKept.self)
            }
        }
    }
    deltas.initialize(repeating: 0, count: 16 * area)
    sums.initialize(repeating: 0, count: 16 * area)
    var t = steps - 1
    while t >= 0 {
        let p = load16(pooled + t * g.outputStride), grad = exactReciprocal ? p * vinverse : p / varea
        for dy in 0..<s {
            for dx in 0..<s {
                let kk = dy * s + dx, at = dy * rowLength + dx * g.channels
                let d = grad * b.sg(load16(v + 16 * (area * t + kk))) + b.leak * load16(deltas + 16 * kk)
                store16(d, deltas + 16 * kk)
                if b.shared { store16(load16(sums + 16 * kk) + b.gain * d, sums + 16 * kk) } else { store16(b.gain * d, out + t * b.gradStride + at) }
            }
        }
        t -= 1
    }
    if b.shared {
        for dy in 0..<s { for dx in 0..<s { store16(load16(sums + 16 * (dy * s + dx)), out + dy * rowLength + dx * g.channels) } }
    }
}

/// One neuron through all steps, one float at a time: a window's neuron past the last multiple of 16 channels
/// (`pooled` its pooled gradient, `area` the window's), or one no window covers (`pooled` nil: no gradient from the
/// pool). `v` holds its potentials.
private func recomputeNeuron<S: SurrogateSIMD, C: FusedComparison, I: FusedInput>(
    _ q: FusedLIF, _ a: ChannelAffine, _ g: FusedGeometry, _ b: RecomputeBackward<S>, _ x: UnsafePointer<Float>,
    _ c: Int, _ pooled: UnsafePointer<Float>?, _ area: Float, _ out: UnsafeMutablePointer<Float>,
    _ v: UnsafeMutablePointer<Float>, _ steps: Int, _: C.Type, _: I.Type
) {
    var u = q.initial
    for t in 0..<steps {
        _ = fusedStep1(q, &u, fusedInput1(a, g, x, t, c, I.self), v + t, FusedSoft.self, C.self, FusedKept.self)
    }
    var delta: Float = 0, sum: Float = 0
    var t = steps - 1
    while t >= 0 {
        let grad: Float = pooled.map { $0[t * g.outputStride] / area } ?? 0
        delta = grad * b.sg(Vec16(repeating: v[t]))[0] + b.leak1 * delta
        if b.shared { sum += b.gain1 * delta } else { out[t * b.gradStride] = b.gain1 * delta }
        t -= 1
    }
    if b.shared { out.pointee = sum }
}
