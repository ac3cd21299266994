// Plain scalar versions of `lifForward` / `lifBackward` on arrays, written as the textbook recursions.
// They define what the SIMD kernels must compute; tests compare the two.

/// `lifForward` on arrays: returns spikes and pre-reset potentials, both `[steps, count]`.
public func lifForwardReference(_ p: LIFParameters, input: [Float], inputSteps: Int, steps: Int,
                                count: Int) -> (spikes: [Float], potentials: [Float]) {
    precondition(inputSteps == steps || inputSteps == 1)
    precondition(input.count == inputSteps * count)
    var spikes = [Float](repeating: 0, count: steps * count)
    var potentials = [Float](repeating: 0, count: steps * count)
    for n in 0..<count {
        var u = p.initialPotential  // U'_0
        var previous: Float = 0  // s_{t−1}, for soft-unleaked
        for t in 0..<steps {
            let current = input[(inputSteps == 1 ? 0 : t) * count + n]
            if p.reset == .softUnleaked {
                // snnTorch's recursion as written there: U_t = β·U_{t−1} + I_t − θ·s_{t−1}.
                u = p.leak * u + p.inputGain * current - p.threshold * previous
            } else {
                u = p.leak * u + p.inputGain * current
            }
            let s: Float = p.fires(u) ? 1 : 0
            previous = s
            potentials[t * count + n] = u
            spikes[t * count + n] = s
            switch p.reset {
            case .soft: u = u - p.threshold * s
            case .hard: u = u * (1 - s)
            case .softUnleaked: break  // subtracted at the next step, after the leak
            }
        }
    }
    return (spikes, potentials)
}

/// `lifBackward` on arrays: returns ∂L/∂I, `[steps, count]`, or `[count]` summed over steps when `inputSteps == 1`.
public func lifBackwardReference(_ p: LIFParameters, surrogate: Surrogate, gradSpikes: [Float], potentials: [Float],
                                 spikes: [Float], steps: Int, count: Int, inputSteps: Int) -> [Float] {
    precondition(inputSteps == steps || inputSteps == 1)
    precondition(gradSpikes.count == steps * count && potentials.count == steps * count && spikes.count == steps * count)
    var gradInput = [Float](repeating: 0, count: inputSteps * count)
    for n in 0..<count {
        var delta: Float = 0  // δ_{T+1}
        var sum: Float = 0
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let at = t * count + n
            let k: Float = p.reset == .hard ? 1 - spikes[at] : 1
            let d = surrogate.derivative(potential: potentials[at], threshold: p.threshold)
            delta = gradSpikes[at] * d + p.leak * k * delta
            if inputSteps == 1 { sum += p.inputGain * delta } else { gradInput[at] = p.inputGain * delta }
        }
        if inputSteps == 1 { gradInput[n] = sum }
    }
    return gradInput
}
