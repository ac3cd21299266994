import Foundation

/// The optimizers, with PyTorch's update rules so that hyper-parameters copied from a reference mean the same.
///
/// Parameters are one flat vector (the coordinator owns the master copy and applies one step per global batch).
public enum OptimizerKind: Sendable, Equatable, Codable {
    /// `torch.optim.SGD` (dampening 0): `g += wd·p`; `v = m·v + g` (`v = g` on the first step);
    /// `p -= lr·(nesterov ? g + m·v : v)`. BNTT: m 0.9, wd 1e-4; DSR: m 0.9, wd 5e-4.
    case sgd(momentum: Float, weightDecay: Float, nesterov: Bool)
    /// `torch.optim.Adam` (`decoupled == false`: weight decay added to the gradient, L2) or `torch.optim.AdamW`
    /// (`decoupled == true`: `p *= 1 − lr·wd` before the update). Bias-corrected moments; no AMSGrad.
    case adam(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, decoupled: Bool)
}

/// What an optimizer remembers between steps; saved in checkpoints with the parameters.
public struct OptimizerState: Sendable, Codable, Equatable {
    /// Steps taken so far.
    public var step: Int
    /// SGD: `[momentum]` (empty without momentum); Adam: `[m, v]` (first and second moments).
    public var buffers: [[Float]]

    /// The state before the first step, for `parameterCount` parameters.
    public init(kind: OptimizerKind, parameterCount: Int) {
        step = 0
        let zeros = [Float](repeating: 0, count: parameterCount)
        switch kind {
        case .sgd(let momentum, _, _): buffers = momentum != 0 ? [zeros] : []
        case .adam: buffers = [zeros, zeros]
        }
    }
}

/// Applies one optimizer step to `parameters` with `gradients` and advances `state`.
///
/// Every parameter's update reads only its own gradient and state, so long vectors are split over the cores
/// (`ParallelRanges`) with the same result bit for bit.
///
/// `decayMask[i] == false` exempts parameter `i` from weight decay (e.g. BN scales or thresholds when a method
/// wants that); `nil` decays every parameter, as the BNTT and DSR references do.
public func optimizerStep(_ kind: OptimizerKind, learningRate: Float, parameters: inout [Float], gradients: [Float],
                          state: inout OptimizerState, decayMask: [Bool]? = nil) {
    let n = parameters.count
    precondition(gradients.count == n, "\(gradients.count) gradients for \(n) parameters")
    precondition(decayMask.map { $0.count == n } ?? true, "decay mask does not match the parameter count")
    state.step += 1
    guard n > 0 else { return }
    let lr = learningRate
    // One pass over flat buffers; the mask is read through an optional pointer so the unmasked loop stays simple.
    let mask: [Bool] = decayMask ?? []
    mask.withUnsafeBufferPointer { maskBuffer in
        let decayable = decayMask == nil ? nil : maskBuffer.baseAddress
        parameters.withUnsafeMutableBufferPointer { pb in
            gradients.withUnsafeBufferPointer { gb in
                let p = pb.baseAddress!, grad = gb.baseAddress!
                switch kind {
                case let .sgd(momentum, weightDecay, nesterov):
                    guard momentum != 0 else {
                        ParallelRanges.run(count: n) { r in for i in r {
                            var g = grad[i]
                            if weightDecay != 0 && decayable?[i] ?? true { g += weightDecay * p[i] }
                            p[i] -= lr * g
                        } }
                        return
                    }
                    precondition(state.buffers.count == 1 && state.buffers[0].count == n,
                                 "SGD state does not match the parameters")
                    let first = state.step == 1
                    state.buffers[0].withUnsafeMutableBufferPointer { vb in
                        let velocity = vb.baseAddress!
                        ParallelRanges.run(count: n) { r in for i in r {
                            var g = grad[i]
                            if weightDecay != 0 && decayable?[i] ?? true { g += weightDecay * p[i] }
                            let v = first ? g : momentum * velocity[i] + g
                            velocity[i] = v
                            p[i] -= lr * (nesterov ? g + momentum * v : v)
                        } }
                    }
                case let .adam(beta1, beta2, epsilon, weightDecay, decoupled):
                    precondition(state.buffers.count == 2 && state.buffers[0].count == n && state.buffers[1].count == n,
                                 "Adam state does not match the parameters")
                    let t = Double(state.step)
                    let stepSize = lr / Float(1 - pow(Double(beta1), t))
                    let correction2Root = Float((1 - pow(Double(beta2), t)).squareRoot())
                    let w1 = 1 - beta1, w2 = 1 - beta2
                    var first = state.buffers[0], second = state.buffers[1]
                    state.buffers = []  // keep the two buffers uniquely referenced while writing them
                    first.withUnsafeMutableBufferPointer { mb in
                        second.withUnsafeMutableBufferPointer { vb in
                            let m = mb.baseAddress!, v = vb.baseAddress!
                            ParallelRanges.run(count: n) { r in
                                if weightDecay == 0 {
                                    // The same arithmetic without the decay branch, so that the loop vectorises.
                                    for i in r {
                                        let g = grad[i]
                                        m[i] += w1 * (g - m[i])
                                        v[i] = beta2 * v[i] + w2 * g * g
                                        p[i] -= stepSize * (m[i] / (v[i].squareRoot() / correction2Root + epsilon))
                                    }
                                    return
                                }
                                for i in r {
                                    var g = grad[i]
                                    if decayable?[i] ?? true {
                                        if decoupled { p[i] *= 1 - lr * weightDecay } else { g += weightDecay * p[i] }
                                    }
                                    m[i] += w1 * (g - m[i])  // torch: exp_avg.lerp_(grad, 1 − β1)
                                    v[i] = beta2 * v[i] + w2 * g * g
                                    p[i] -= stepSize * (m[i] / (v[i].squareRoot() / correction2Root + epsilon))
                                }
                            }
                        }
                    }
                    state.buffers = [first, second]
                }
            }
        }
    }
}
