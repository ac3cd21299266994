/// The IF/LIF neuron over a whole sequence of T steps, forward and backward (BPTT), for N independent neurons.
///
/// Layout is time-major `[T, N]`. Each block of 16 neurons is carried through all T steps with its potential in a
/// register, so the kernels only stream the inputs and outputs once (memory-bound). The block's arithmetic is the
/// reference formula lane by lane, in the same order, so results are bit-identical to `lifForwardReference` /
/// `lifBackwardReference` (except the sigmoid surrogate, see `Surrogate`).

/// Runs `steps` time steps of `count` neurons from the potential `p.initialPotential`.
///
/// `U_t = leak·U'_{t−1} + inputGain·I_t`; `s_t = (U_t cmp alpha·θ) ? 1 : 0`; `U'_t = U_t − θ·s_t` (soft) or
/// `U_t·(1 − s_t)` (hard). `input` is `[inputSteps, count]` with `inputSteps == steps`, or `1` for the same input
/// at every step. Writes `spikes` `[steps, count]` (0/1) and `potentials` `[steps, count]` = `U_t` before the reset
/// (what the backward pass needs). Returns the number of spikes.
public func lifForward(_ p: LIFParameters, input: UnsafePointer<Float>, inputSteps: Int, steps: Int, count: Int,
                       spikes: UnsafeMutablePointer<Float>, potentials: UnsafeMutablePointer<Float>) -> Int {
    precondition(inputSteps == steps || inputSteps == 1, "LIF input has \(inputSteps) steps; expected 1 or \(steps)")
    precondition(steps >= 0 && count >= 0)
    switch (p.reset, p.comparison) {
    case (.soft, .greater):
        return lifForwardKernel(p, input, inputSteps, steps, count, spikes, potentials, hard: false, orEqual: false)
    case (.soft, .greaterOrEqual):
        return lifForwardKernel(p, input, inputSteps, steps, count, spikes, potentials, hard: false, orEqual: true)
    case (.hard, .greater):
        return lifForwardKernel(p, input, inputSteps, steps, count, spikes, potentials, hard: true, orEqual: false)
    case (.hard, .greaterOrEqual):
        return lifForwardKernel(p, input, inputSteps, steps, count, spikes, potentials, hard: true, orEqual: true)
    }
}

@inline(__always)
private func lifForwardKernel(_ p: LIFParameters, _ input: UnsafePointer<Float>, _ inputSteps: Int, _ steps: Int,
                              _ count: Int, _ spikes: UnsafeMutablePointer<Float>,
                              _ potentials: UnsafeMutablePointer<Float>, hard: Bool, orEqual: Bool) -> Int {
    let inputStride = inputSteps == 1 ? 0 : count
    let leak = Vec16(repeating: p.leak), gain = Vec16(repeating: p.inputGain)
    let theta = Vec16(repeating: p.threshold), level = Vec16(repeating: p.firingLevel)
    let zero = Vec16(repeating: 0)
    var total = 0
    var i = 0
    while i + 16 <= count {
        var u = Vec16(repeating: p.initialPotential)
        var fired = SIMD16<Int32>(repeating: 0)
        for t in 0..<steps {
            u = leak * u + gain * load16(input + t * inputStride + i)
            let m = orEqual ? (u .>= level) : (u .> level)
            store16(u, potentials + t * count + i)
            store16(ones16(where: m), spikes + t * count + i)
            fired &-= unsafeBitCast(m, to: SIMD16<Int32>.self)  // mask lanes are −1
            u = hard ? u.replacing(with: 0, where: m) : u - zero.replacing(with: theta, where: m)
        }
        total += Int(fired.wrappedSum())
        i += 16
    }
    // Remaining neurons: the same arithmetic on scalars.
    let leak1 = p.leak, gain1 = p.inputGain, theta1 = p.threshold, level1 = p.firingLevel
    while i < count {
        var u = p.initialPotential
        for t in 0..<steps {
            u = leak1 * u + gain1 * input[t * inputStride + i]
            let fire = orEqual ? (u >= level1) : (u > level1)
            potentials[t * count + i] = u
            spikes[t * count + i] = fire ? 1 : 0
            if fire {
                total += 1
                u = hard ? 0 : u - theta1
            }
        }
        i += 1
    }
    return total
}

/// Backpropagation through time for `lifForward`, with the reset detached (a constant in the graph).
///
/// With `g_t = ∂L/∂s_t` (`gradSpikes`, `[steps, count]`) and δ_t = ∂L/∂U_t:
/// `δ_t = g_t·σ'(U_t) + leak·k_t·δ_{t+1}` (δ_{T+1} = 0), `k_t = 1` for a soft reset and `1 − s_t` for a hard one;
/// `∂L/∂I_t = inputGain·δ_t`. `potentials` and `spikes` are what the forward wrote. `gradInput` is overwritten:
/// `[steps, count]`, or `[1, count]` = Σ_t ∂L/∂I_t when `inputSteps == 1` (the input was shared by all steps).
public func lifBackward(_ p: LIFParameters, surrogate: Surrogate, gradSpikes: UnsafePointer<Float>,
                        potentials: UnsafePointer<Float>, spikes: UnsafePointer<Float>, steps: Int, count: Int,
                        gradInput: UnsafeMutablePointer<Float>, inputSteps: Int) {
    precondition(inputSteps == steps || inputSteps == 1, "LIF input has \(inputSteps) steps; expected 1 or \(steps)")
    precondition(steps >= 0 && count >= 0)
    let hard = p.reset == .hard
    switch surrogate {
    case .triangular(let scale):
        let sg = TriangularSIMD(scale: scale, threshold: p.threshold)
        hard ? lifBackwardKernel(p, sg, gradSpikes, potentials, spikes, steps, count, gradInput, inputSteps, hard: true)
             : lifBackwardKernel(p, sg, gradSpikes, potentials, spikes, steps, count, gradInput, inputSteps, hard: false)
    case .atan(let alpha):
        let sg = ATanSIMD(alpha: alpha, threshold: p.threshold)
        hard ? lifBackwardKernel(p, sg, gradSpikes, potentials, spikes, steps, count, gradInput, inputSteps, hard: true)
             : lifBackwardKernel(p, sg, gradSpikes, potentials, spikes, steps, count, gradInput, inputSteps, hard: false)
    case .sigmoid(let alpha):
        let sg = SigmoidSIMD(alpha: alpha, threshold: p.threshold)
        hard ? lifBackwardKernel(p, sg, gradSpikes, potentials, spikes, steps, count, gradInput, inputSteps, hard: true)
             : lifBackwardKernel(p, sg, gradSpikes, potentials, spikes, steps, count, gradInput, inputSteps, hard: false)
    }
}

@inline(__always)
private func lifBackwardKernel<S: SurrogateSIMD>(_ p: LIFParameters, _ sg: S, _ gradSpikes: UnsafePointer<Float>,
                                                 _ potentials: UnsafePointer<Float>, _ spikes: UnsafePointer<Float>,
                                                 _ steps: Int, _ count: Int, _ gradInput: UnsafeMutablePointer<Float>,
                                                 _ inputSteps: Int, hard: Bool) {
    let shared = inputSteps == 1 && steps != 1
    let leak = Vec16(repeating: p.leak), gain = Vec16(repeating: p.inputGain), one = Vec16(repeating: 1)
    var i = 0
    while i + 16 <= count {
        var delta = Vec16(repeating: 0)
        var sum = Vec16(repeating: 0)
        var t = steps - 1
        while t >= 0 {
            let at = t * count + i
            let carry = hard ? leak * (one - load16(spikes + at)) * delta : leak * delta
            delta = load16(gradSpikes + at) * sg(load16(potentials + at)) + carry
            if shared { sum += gain * delta } else { store16(gain * delta, gradInput + at) }
            t -= 1
        }
        if shared { store16(sum, gradInput + i) }
        i += 16
    }
    // Remaining neurons: the same arithmetic on scalars (the surrogate through lane 0 of a vector, so it matches).
    let leak1 = p.leak, gain1 = p.inputGain
    while i < count {
        var delta: Float = 0
        var sum: Float = 0
        var t = steps - 1
        while t >= 0 {
            let at = t * count + i
            let carry = hard ? leak1 * (1 - spikes[at]) * delta : leak1 * delta
            delta = gradSpikes[at] * sg(Vec16(repeating: potentials[at]))[0] + carry
            if shared { sum += gain1 * delta } else { gradInput[at] = gain1 * delta }
            t -= 1
        }
        if shared { gradInput[i] = sum }
        i += 1
    }
}
