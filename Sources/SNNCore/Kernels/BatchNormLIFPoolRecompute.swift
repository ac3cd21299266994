// The backward of a batch norm → LIF → average pool block without saved potentials: each band of image rows
// recomputes its potentials from the batch norm's input (the affine map and the LIF recursion, as
// `batchNormLIFAvgPoolForward` computes them, so the same bits) into an L1/L2-sized buffer, then runs the backward
// of `avgPoolLIFBackward` over them.
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
            recomputeDispatch(p, sg, affine, input, k, gradOutput, gradInput, FusedConstantInput.self)
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

private func recomputeKernel<S: SurrogateSIMD, C: FusedComparison, I: FusedInput>(
    _ p: LIFParameters, _ sg: S, _ a: ChannelAffine, _ input: UnsafePointer<Float>, _ k: RecomputeShape,
    _ gradOutput: UnsafePointer<Float>, _ gradInput: UnsafeMutablePointer<Float>, _: C.Type, _: I.Type
) {
    let (h, w, ch, s, steps) = (k.height, k.width, k.channels, k.size, k.steps)
    let oh = h / s, ow = w / s
    let rowLength = w * ch, stepCount = k.images * h * rowLength, outputStep = k.images * oh * ow * ch
    let inputStride = k.inputSteps == 1 ? 0 : stepCount
    let shared = k.inputSteps == 1 && steps != 1
    let vectorChannels = ch / 16 * 16
    let q = FusedLIF(p)
    let band = max(1, s * rowLength)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: (5 + max(1, steps)) * band) { buffer in
        let u = buffer.baseAddress!, deltas = u + band, sums = deltas + band, grads = sums + band
        let normalised = grads + band, potentials = normalised + band   // [steps, band]
        for n in 0..<k.images {
            var r0 = 0
            while r0 < h {
                let rows = min(s, h - r0), length = rows * rowLength, base = (n * h + r0) * rowLength
                // Forward: the band's potentials of every step, with the operations of `batchNormLIFAvgPoolForward`.
                u.initialize(repeating: p.initialPotential, count: length)
                if I.constant { normaliseBand(a, input + base, pixels: rows * w, channels: ch, into: normalised) }
                for t in 0..<steps {
                    let g = a.perStep ? t * ch : 0
                    let b = FusedBand(x: I.constant ? UnsafePointer(normalised) : input + t * inputStride + base,
                                      center: a.center + g, scale: a.scale + g, shift: I.shifted ? a.shift! + g : a.center,
                                      u: u, v: potentials + t * band, out: u)
                    for pix in 0..<(rows * w) {
                        let o = pix * ch
                        var c = 0
                        while c < vectorChannels {
                            _ = fusedUpdate16(q, b, o + c, c, FusedSoft.self, C.self, FusedKept.self, I.self)
                            c += 16
                        }
                        while c < ch {
                            _ = fusedUpdate1(q, b, o + c, c, FusedSoft.self, C.self, FusedKept.self, I.self)
                            c += 1
                        }
                    }
                }
                // Backward through the steps, as `avgPoolLIFBackward`.
                deltas.initialize(repeating: 0, count: length)
                if shared { sums.initialize(repeating: 0, count: length) }
                grads.initialize(repeating: 0, count: length)
                var t = steps - 1
                while t >= 0 {
                    poolLIFBackwardBandStep(sg, leak: p.leak, gain: p.inputGain,
                                            pooled: rows == s ? gradOutput + t * outputStep + (n * oh + r0 / s) * ow * ch : nil,
                                            outputWidth: ow, width: w, channels: ch, size: s,
                                            potentials: potentials + t * band, gradInput: gradInput + t * stepCount + base,
                                            length: length, shared: shared, deltas: deltas, sums: sums, grads: grads)
                    t -= 1
                }
                if shared { (gradInput + base).update(from: sums, count: length) }
                r0 += s
            }
        }
    }
}
