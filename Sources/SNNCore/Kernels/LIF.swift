// The IF/LIF neuron over a whole sequence of T steps, forward and backward (BPTT), for N independent neurons.
//
// Layout is time-major `[T, N]`. Blocks of neurons are carried through all T steps with their potentials in a
// small buffer that stays in L1, so the kernels only stream the inputs and outputs once (memory-bound). The
// arithmetic is the reference formula lane by lane, in the same order, so results are bit-identical to
// `lifForwardReference` / `lifBackwardReference` (except the sigmoid surrogate, see `SurrogateSIMD`).

/// Runs `steps` time steps of `count` neurons from the potential `p.initialPotential`.
///
/// `U_t = leak·U'_{t−1} + inputGain·I_t`; `s_t = (U_t cmp alpha·θ) ? 1 : 0`; `U'_t = U_t − θ·s_t` (soft),
/// `U_t − (θ/leak)·s_t` (soft-unleaked: `p.resetAmount`) or `U_t·(1 − s_t)` (hard). `input` is `[inputSteps, count]` with `inputSteps == steps`, or `1` for the same input
/// at every step. Writes `spikes` `[steps, count]` (0/1) and `potentials` `[steps, count]` = `U_t` before the reset
/// (what the backward pass needs). Returns the number of spikes; `stepSpikes` (when given, `steps` entries) receives
/// the number of each step, counted as the spikes are made (no second pass over them).
public func lifForward(_ p: LIFParameters, input: UnsafePointer<Float>, inputSteps: Int, steps: Int, count: Int,
                       spikes: UnsafeMutablePointer<Float>, potentials: UnsafeMutablePointer<Float>,
                       stepSpikes: UnsafeMutablePointer<Int>? = nil) -> Int {
    precondition(inputSteps == steps || inputSteps == 1, "LIF input has \(inputSteps) steps; expected 1 or \(steps)")
    precondition(steps >= 0 && count >= 0)
    return lifForwardDispatch(p, input, inputSteps, steps, count, spikes, potentials, stepSpikes, Kept.self)
}

/// `lifForward` for inference: the same spikes, bit for bit, without writing the potentials (nothing reads them
/// without a backward pass; at W2's first LIF layer they were as many bytes as the spikes).
public func lifForward(_ p: LIFParameters, input: UnsafePointer<Float>, inputSteps: Int, steps: Int, count: Int,
                       spikes: UnsafeMutablePointer<Float>, stepSpikes: UnsafeMutablePointer<Int>? = nil) -> Int {
    precondition(inputSteps == steps || inputSteps == 1, "LIF input has \(inputSteps) steps; expected 1 or \(steps)")
    precondition(steps >= 0 && count >= 0)
    return lifForwardDispatch(p, input, inputSteps, steps, count, spikes, spikes, stepSpikes, Dropped.self)
}

private func lifForwardDispatch<K: PotentialsKind>(
    _ p: LIFParameters, _ input: UnsafePointer<Float>, _ inputSteps: Int, _ steps: Int, _ count: Int,
    _ spikes: UnsafeMutablePointer<Float>, _ potentials: UnsafeMutablePointer<Float>,
    _ stepSpikes: UnsafeMutablePointer<Int>?, _: K.Type
) -> Int {
    withUnsafeTemporaryAllocation(of: Int.self, capacity: max(1, steps)) { counts in
        let c = counts.baseAddress!
        c.initialize(repeating: 0, count: steps)
        let total = lifForwardSelect(p, input, inputSteps, steps, count, spikes, potentials, c, K.self)
        stepSpikes?.update(from: c, count: steps)
        return total
    }
}

/// The kernel specialised for the neuron's reset and comparison.
private func lifForwardSelect<K: PotentialsKind>(
    _ p: LIFParameters, _ input: UnsafePointer<Float>, _ inputSteps: Int, _ steps: Int, _ count: Int,
    _ spikes: UnsafeMutablePointer<Float>, _ potentials: UnsafeMutablePointer<Float>,
    _ counts: UnsafeMutablePointer<Int>, _: K.Type
) -> Int {
    switch (p.reset, p.comparison) {
    case (.soft, .greater), (.softUnleaked, .greater):
        return lifForwardKernel(p, input, inputSteps, steps, count, spikes, potentials, counts, SoftReset.self, StrictlyAbove.self, K.self)
    case (.soft, .greaterOrEqual), (.softUnleaked, .greaterOrEqual):
        return lifForwardKernel(p, input, inputSteps, steps, count, spikes, potentials, counts, SoftReset.self, AtOrAbove.self, K.self)
    case (.hard, .greater):
        return lifForwardKernel(p, input, inputSteps, steps, count, spikes, potentials, counts, HardReset.self, StrictlyAbove.self, K.self)
    case (.hard, .greaterOrEqual):
        return lifForwardKernel(p, input, inputSteps, steps, count, spikes, potentials, counts, HardReset.self, AtOrAbove.self, K.self)
    }
}

/// Whether the forward kernel writes the pre-reset potentials (training) or not (inference).
private protocol PotentialsKind { static var kept: Bool { get } }
private enum Kept: PotentialsKind { static var kept: Bool { true } }
private enum Dropped: PotentialsKind { static var kept: Bool { false } }

/// Neurons carried through all T steps together: their state (4 KiB) stays in L1 while each step streams one
/// contiguous 4 KiB stretch of every `[T, N]` array. Measured about 5× faster than carrying one 16-neuron column
/// through the steps, which touches 3·T pages per column.
private let lifBlock = 1024

// Reset and comparison as types, so that every combination gets its own specialised loop (a Bool argument was
// left as a run-time test inside the loop).
private protocol ResetKind { static var hard: Bool { get } }
private enum SoftReset: ResetKind { static var hard: Bool { false } }
private enum HardReset: ResetKind { static var hard: Bool { true } }
private protocol ComparisonKind { static var orEqual: Bool { get } }
private enum StrictlyAbove: ComparisonKind { static var orEqual: Bool { false } }
private enum AtOrAbove: ComparisonKind { static var orEqual: Bool { true } }

private func lifForwardKernel<R: ResetKind, C: ComparisonKind, K: PotentialsKind>(
    _ p: LIFParameters, _ input: UnsafePointer<Float>, _ inputSteps: Int, _ steps: Int, _ count: Int,
    _ spikes: UnsafeMutablePointer<Float>, _ potentials: UnsafeMutablePointer<Float>, _ counts: UnsafeMutablePointer<Int>,
    _: R.Type, _: C.Type, _: K.Type
) -> Int {
    let hard = R.hard, orEqual = C.orEqual, kept = K.kept
    let inputStride = inputSteps == 1 ? 0 : count
    let leak = Vec16(repeating: p.leak), gain = Vec16(repeating: p.inputGain)
    let theta = Vec16(repeating: p.resetAmount), level = Vec16(repeating: p.firingLevel)
    let zero = Vec16(repeating: 0)
    var total = 0
    let vectorCount = count / 16 * 16
    withUnsafeTemporaryAllocation(of: Vec16.self, capacity: lifBlock / 16) { state in
        let u = state.baseAddress!
        var b0 = 0
        while b0 < vectorCount {
            let b1 = min(vectorCount, b0 + lifBlock)
            let vectors = (b1 - b0) / 16
            u.initialize(repeating: Vec16(repeating: p.initialPotential), count: vectors)
            for t in 0..<steps {
                var fired = SIMD16<Int32>(repeating: 0)
                let x = input + t * inputStride + b0, v = potentials + t * count + b0, s = spikes + t * count + b0
                for j in 0..<vectors {
                    var uj = leak * u[j] + gain * load16(x + 16 * j)
                    let m = orEqual ? (uj .>= level) : (uj .> level)
                    if kept { store16(uj, v + 16 * j) }
                    store16(ones16(where: m), s + 16 * j)
                    fired &-= unsafeBitCast(m, to: SIMD16<Int32>.self)  // mask lanes are −1
                    uj = hard ? uj.replacing(with: zero, where: m) : uj - zero.replacing(with: theta, where: m)
                    u[j] = uj
                }
                let n = Int(fired.wrappedSum())
                counts[t] += n; total += n
            }
            b0 = b1
        }
    }
    var i = vectorCount
    // Remaining neurons: the same arithmetic on scalars.
    let leak1 = p.leak, gain1 = p.inputGain, theta1 = p.resetAmount, level1 = p.firingLevel
    while i < count {
        var u = p.initialPotential
        for t in 0..<steps {
            u = leak1 * u + gain1 * input[t * inputStride + i]
            let fire = orEqual ? (u >= level1) : (u > level1)
            if kept { potentials[t * count + i] = u }
            spikes[t * count + i] = fire ? 1 : 0
            if fire {
                total += 1; counts[t] += 1
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
/// `δ_t = g_t·σ'(U_t) + leak·k_t·δ_{t+1}` (δ_{T+1} = 0), `k_t = 1` for a soft (or soft-unleaked) reset and `1 − s_t`
/// for a hard one;
/// `∂L/∂I_t = inputGain·δ_t`. `potentials` and `spikes` are what the forward wrote. `gradInput` is overwritten:
/// `[steps, count]`, or `[1, count]` = Σ_t ∂L/∂I_t when `inputSteps == 1` (the input was shared by all steps).
public func lifBackward(_ p: LIFParameters, surrogate: Surrogate, gradSpikes: UnsafePointer<Float>,
                        potentials: UnsafePointer<Float>, spikes: UnsafePointer<Float>, steps: Int, count: Int,
                        gradInput: UnsafeMutablePointer<Float>, inputSteps: Int) {
    precondition(inputSteps == steps || inputSteps == 1, "LIF input has \(inputSteps) steps; expected 1 or \(steps)")
    precondition(steps >= 0 && count >= 0)
    func run<S: SurrogateSIMD>(_ sg: S) {
        if p.reset == .hard {
            lifBackwardKernel(p, sg, gradSpikes, potentials, spikes, steps, count, gradInput, inputSteps, HardReset.self)
        } else {
            lifBackwardKernel(p, sg, gradSpikes, potentials, spikes, steps, count, gradInput, inputSteps, SoftReset.self)
        }
    }
    switch surrogate {
    case .triangular(let scale): run(TriangularSIMD(scale: scale, threshold: p.threshold))
    case .atan(let alpha): run(ATanSIMD(alpha: alpha, threshold: p.threshold))
    case .sigmoid(let alpha): run(SigmoidSIMD(alpha: alpha, threshold: p.threshold))
    }
}

private func lifBackwardKernel<S: SurrogateSIMD, R: ResetKind>(
    _ p: LIFParameters, _ sg: S, _ gradSpikes: UnsafePointer<Float>, _ potentials: UnsafePointer<Float>,
    _ spikes: UnsafePointer<Float>, _ steps: Int, _ count: Int, _ gradInput: UnsafeMutablePointer<Float>,
    _ inputSteps: Int, _: R.Type
) {
    let hard = R.hard
    let shared = inputSteps == 1 && steps != 1
    let leak = Vec16(repeating: p.leak), gain = Vec16(repeating: p.inputGain), one = Vec16(repeating: 1)
    let vectorCount = count / 16 * 16
    withUnsafeTemporaryAllocation(of: Vec16.self, capacity: 2 * lifBlock / 16) { state in
        let deltas = state.baseAddress!, sums = deltas + lifBlock / 16
        var b0 = 0
        while b0 < vectorCount {
            let b1 = min(vectorCount, b0 + lifBlock)
            let vectors = (b1 - b0) / 16
            deltas.initialize(repeating: Vec16(repeating: 0), count: vectors)
            if shared { sums.initialize(repeating: Vec16(repeating: 0), count: vectors) }
            var t = steps - 1
            while t >= 0 {
                let at = t * count + b0
                let g = gradSpikes + at, u = potentials + at, s = spikes + at, out = gradInput + at
                // Two loops rather than a branch per vector (as in `poolLIFBackwardBandStep`), so that each compiles to
                // whole-register code.
                if shared {
                    for j in 0..<vectors {
                        let carry = hard ? leak * (one - load16(s + 16 * j)) * deltas[j] : leak * deltas[j]
                        let delta = load16(g + 16 * j) * sg(load16(u + 16 * j)) + carry
                        deltas[j] = delta
                        sums[j] += gain * delta
                    }
                } else {
                    for j in 0..<vectors {
                        let carry = hard ? leak * (one - load16(s + 16 * j)) * deltas[j] : leak * deltas[j]
                        let delta = load16(g + 16 * j) * sg(load16(u + 16 * j)) + carry
                        deltas[j] = delta
                        store16(gain * delta, out + 16 * j)
                    }
                }
                t -= 1
            }
            if shared {
                for j in 0..<vectors { store16(sums[j], gradInput + b0 + 16 * j) }
            }
            b0 = b1
        }
    }
    var i = vectorCount
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
