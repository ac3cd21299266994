// The backward of average pooling and the LIF neurons below it, in one pass (W2's and BNTT's conv blocks).
//
// Run one after the other, `avgPoolBackward` writes the spikes' gradient (every pooled gradient copied to its
// window, the full size of the activation) and `lifBackward` reads it back. Fused, each step's gradient of the
// spikes is made in L1 from the pooled gradient, a band of `size` image rows at a time, and never written out.
//
// Only for soft resets (and soft-unleaked), whose backward never reads the spikes. The arithmetic is that of
// `avgPoolBackward` then `lifBackward`, element by element in the same order: the results are bit-identical.

/// `lifBackward(avgPoolBackward(gradOutput))` over channels-last images.
///
/// - `gradOutput`: the gradient of the pooled spikes, `[steps, images, height/size, width/size, channels]`.
/// - `potentials`: the pre-reset potentials the forward saved, `[steps, images·height·width·channels]`.
/// - `gradInput`: overwritten with the gradient of the LIF input current, `[steps, images·height·width·channels]`,
///   or its sum over the steps `[1, …]` when `inputSteps == 1` (the input was the same at every step).
public func avgPoolLIFBackward(_ p: LIFParameters, surrogate: Surrogate, gradOutput: UnsafePointer<Float>,
                               potentials: UnsafePointer<Float>, steps: Int, images: Int, height: Int, width: Int,
                               channels: Int, poolSize: Int, gradInput: UnsafeMutablePointer<Float>, inputSteps: Int) {
    precondition(p.reset != .hard, "a hard reset's backward reads the spikes: run avgPoolBackward and lifBackward")
    precondition(inputSteps == steps || inputSteps == 1, "LIF input has \(inputSteps) steps; expected 1 or \(steps)")
    precondition(poolSize >= 1 && steps >= 0 && images >= 0 && height >= 0 && width >= 0 && channels >= 0)
    let k = PoolLIFShape(steps: steps, inputSteps: inputSteps, images: images, height: height, width: width,
                         channels: channels, size: poolSize)
    switch surrogate {
    case .triangular(let scale): poolLIFBackwardKernel(p, TriangularSIMD(scale: scale, threshold: p.threshold), gradOutput, potentials, k, gradInput)
    case .atan(let alpha): poolLIFBackwardKernel(p, ATanSIMD(alpha: alpha, threshold: p.threshold), gradOutput, potentials, k, gradInput)
    case .sigmoid(let alpha): poolLIFBackwardKernel(p, SigmoidSIMD(alpha: alpha, threshold: p.threshold), gradOutput, potentials, k, gradInput)
    }
}

private struct PoolLIFShape {
    let steps: Int, inputSteps: Int, images: Int, height: Int, width: Int, channels: Int, size: Int
}

/// One band of `size` image rows of one image carried backward through all T steps: its deltas, its sums (constant
/// input) and the step's spike gradient stay in L1.
private func poolLIFBackwardKernel<S: SurrogateSIMD>(
    _ p: LIFParameters, _ sg: S, _ gradOutput: UnsafePointer<Float>, _ potentials: UnsafePointer<Float>,
    _ k: PoolLIFShape, _ gradInput: UnsafeMutablePointer<Float>
) {
    let (h, w, ch, s) = (k.height, k.width, k.channels, k.size)
    let oh = h / s, ow = w / s
    let rowLength = w * ch, stepCount = k.images * h * rowLength, outputStep = k.images * oh * ow * ch
    let shared = k.inputSteps == 1 && k.steps != 1
    let bandCapacity = max(1, s * rowLength)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * bandCapacity) { buffer in
        let deltas = buffer.baseAddress!, sums = deltas + bandCapacity, grads = sums + bandCapacity
        for n in 0..<k.images {
            var r0 = 0
            while r0 < h {
                let rows = min(s, h - r0), length = rows * rowLength, base = (n * h + r0) * rowLength
                deltas.initialize(repeating: 0, count: length)
                if shared { sums.initialize(repeating: 0, count: length) }
                // Pixels outside every window (trailing rows and columns) get no gradient from the pool.
                grads.initialize(repeating: 0, count: length)
                var t = k.steps - 1
                while t >= 0 {
                    // The spikes' gradient of this band and step, as `avgPoolBackward` makes it, then the LIF deltas.
                    poolLIFBackwardBandStep(sg, leak: p.leak, gain: p.inputGain,
                                            pooled: rows == s ? gradOutput + t * outputStep + (n * oh + r0 / s) * ow * ch : nil,
                                            outputWidth: ow, width: w, channels: ch, size: s,
                                            potentials: potentials + t * stepCount + base, gradInput: gradInput + t * stepCount + base,
                                            length: length, shared: shared, deltas: deltas, sums: sums, grads: grads)
                    t -= 1
                }
                if shared { (gradInput + base).update(from: sums, count: length) }
                r0 += s
            }
        }
    }
}

/// One step t of the backward over one band: the pooled gradient (`nil` for a band of trailing rows no window
/// covers) spread over its windows into `grads`, as `avgPoolBackward` does, then the LIF delta recurrence over the
/// band with `potentials` the band's potentials at step t, as `lifBackward` does. `shared` (a constant input): the
/// input gradient accumulates into `sums`; otherwise it is written to `gradInput`. Shared by the fused backward and
/// its recomputing twin so that both make the same bits by construction.
@inline(__always)
func poolLIFBackwardBandStep<S: SurrogateSIMD>(
    _ sg: S, leak leak1: Float, gain gain1: Float, pooled g: UnsafePointer<Float>?, outputWidth ow: Int, width w: Int,
    channels ch: Int, size s: Int, potentials u: UnsafePointer<Float>, gradInput out: UnsafeMutablePointer<Float>,
    length: Int, shared: Bool, deltas: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>,
    grads: UnsafeMutablePointer<Float>
) {
    let leak = Vec16(repeating: leak1), gain = Vec16(repeating: gain1)
    let vectorChannels = ch / 16 * 16
    let area = Float(s * s), varea = Vec16(repeating: area)
    // Dividing by a power of two and multiplying by its reciprocal round the same exact value: the same bits.
    let exactReciprocal = (s * s) & (s * s - 1) == 0, vinverse = Vec16(repeating: 1 / area)
    if let g {
        for j in 0..<ow {
            let from = g + j * ch, corner = j * s * ch
            var c = 0
            while c < vectorChannels {
                let v = exactReciprocal ? load16(from + c) * vinverse : load16(from + c) / varea
                for dy in 0..<s { for dx in 0..<s { store16(v, grads + corner + (dy * w + dx) * ch + c) } }
                c += 16
            }
            while c < ch {
                let v = from[c] / area
                for dy in 0..<s { for dx in 0..<s { grads[corner + (dy * w + dx) * ch + c] = v } }
                c += 1
            }
        }
    }
    // Two loops rather than a branch per vector: with the branch inside, the loop was compiled into pieces of
    // 4 and 8 lanes with shuffles between them.
    let vectorLength = length / 16 * 16
    if shared {
        var i = 0
        while i < vectorLength {
            let delta = load16(grads + i) * sg(load16(u + i)) + leak * load16(deltas + i)
            store16(delta, deltas + i)
            store16(load16(sums + i) + gain * delta, sums + i)
            i += 16
        }
    } else {
        var i = 0
        while i < vectorLength {
            let delta = load16(grads + i) * sg(load16(u + i)) + leak * load16(deltas + i)
            store16(delta, deltas + i)
            store16(gain * delta, out + i)
            i += 16
        }
    }
    var i = vectorLength
    while i < length {
        let carry = leak1 * deltas[i]
        let delta = grads[i] * sg(Vec16(repeating: u[i]))[0] + carry
        deltas[i] = delta
        if shared { sums[i] += gain1 * delta } else { out[i] = gain1 * delta }
        i += 1
    }
}
