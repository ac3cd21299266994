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
    /// The rounding error that update quantization (`UpdateQuantization`) carries to the next step, one per
    /// parameter; empty when updates are exact.
    public var residual: [Float] = []

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
/// `decayMask[i] == false` exempts parameter `i` from weight decay (e.g. BN scales or thresholds when a method
/// wants that); `nil` decays every parameter, as the BNTT and DSR references do.
///
/// Every parameter is updated from its own gradient and state words alone, so splitting the vector over `threads`
/// gives the same bits as one pass; large vectors (W1 has 407 k parameters) are split to use the cores that sit
/// idle while the coordinator commits.
public func optimizerStep(_ kind: OptimizerKind, learningRate: Float, parameters: inout [Float], gradients: [Float],
                          state: inout OptimizerState, decayMask: [Bool]? = nil, threads: Int = 1) {
    let n = parameters.count
    checkOptimizerInputs(kind, gradients: gradients.count, parameters: n, state: state, decayMask: decayMask)
    state.step += 1
    guard n > 0 else { return }
    let update = OptimizerUpdate(kind: kind, learningRate: learningRate, step: state.step)
    // Take the state buffers out so they are uniquely referenced while written (no copy-on-write copy).
    var buffers = state.buffers
    state.buffers = []
    let mask: [Bool] = decayMask ?? []
    func run(_ first: UnsafeMutablePointer<Float>?, _ second: UnsafeMutablePointer<Float>?) {
        mask.withUnsafeBufferPointer { maskBuffer in
            parameters.withUnsafeMutableBufferPointer { pb in
                gradients.withUnsafeBufferPointer { gb in
                    let pointers = OptimizerUpdate.Pointers(parameters: pb.baseAddress!, gradients: gb.baseAddress!, first: first,
                                                            second: second, decayable: decayMask == nil ? nil : maskBuffer.baseAddress)
                    ParallelRanges.forEach(count: n, threads: threads) { update.apply(pointers, range: $0) }
                }
            }
        }
    }
    switch buffers.count {
    case 0: run(nil, nil)
    case 1: buffers[0].withUnsafeMutableBufferPointer { run($0.baseAddress, nil) }
    default:
        var second = buffers[1]
        buffers[1] = []
        buffers[0].withUnsafeMutableBufferPointer { f in second.withUnsafeMutableBufferPointer { run(f.baseAddress, $0.baseAddress) } }
        buffers[1] = second
    }
    state.buffers = buffers
}

/// One step's update rule with its per-step constants, applied to any range of the flat vectors.
struct OptimizerUpdate: Sendable {
    let kind: OptimizerKind
    let lr: Float
    /// `state.step` after the increment: 1 on the first step.
    let step: Int

    init(kind: OptimizerKind, learningRate: Float, step: Int) { self.kind = kind; lr = learningRate; self.step = step }

    /// The flat buffers of one step (state buffers nil when the optimizer keeps none).
    struct Pointers: @unchecked Sendable {
        let parameters: UnsafeMutablePointer<Float>
        let gradients: UnsafePointer<Float>
        let first: UnsafeMutablePointer<Float>?
        let second: UnsafeMutablePointer<Float>?
        let decayable: UnsafePointer<Bool>?
    }

    /// Updates the parameters (and state words) in `range`.
    func apply(_ b: Pointers, range: Range<Int>) {
        let p = b.parameters, grad = b.gradients, decayable = b.decayable
        switch kind {
        case let .sgd(momentum, weightDecay, nesterov):
            guard momentum != 0, let velocity = b.first else {
                for i in range {
                    var g = grad[i]
                    if weightDecay != 0 && decayable?[i] ?? true { g += weightDecay * p[i] }
                    p[i] -= lr * g
                }
                return
            }
            let first = step == 1
            var start = range.lowerBound
            if decayable == nil {
                // Vector lanes, the same operations per element as the loop below (bit-identical).
                let wd = Vec16(repeating: weightDecay), mom = Vec16(repeating: momentum), rate = Vec16(repeating: lr)
                while start + 16 <= range.upperBound {
                    var g = load16(grad + start)
                    let w = load16(p + start)
                    if weightDecay != 0 { g = g + wd * w }
                    let v = first ? g : mom * load16(velocity + start) + g
                    store16(v, velocity + start)
                    store16(w - rate * (nesterov ? g + mom * v : v), p + start)
                    start += 16
                }
            }
            for i in start..<range.upperBound {
                var g = grad[i]
                if weightDecay != 0 && decayable?[i] ?? true { g += weightDecay * p[i] }
                let v = first ? g : momentum * velocity[i] + g
                velocity[i] = v
                p[i] -= lr * (nesterov ? g + momentum * v : v)
            }
        case let .adam(beta1, beta2, epsilon, weightDecay, decoupled):
            let m = b.first!, v = b.second!
            let t = Double(step)
            let stepSize = lr / Float(1 - pow(Double(beta1), t))
            let correction2Root = Float((1 - pow(Double(beta2), t)).squareRoot())
            let w1 = 1 - beta1, w2 = 1 - beta2
            if weightDecay == 0 {
                // The common case without decay: vector lanes, then the same operations per element for the tail
                // (bit-identical: each lane does exactly the scalar sequence).
                var start = range.lowerBound
                let vw1 = Vec16(repeating: w1), vb2 = Vec16(repeating: beta2), vw2 = Vec16(repeating: w2)
                let vStep = Vec16(repeating: stepSize), vc2 = Vec16(repeating: correction2Root), veps = Vec16(repeating: epsilon)
                while start + 16 <= range.upperBound {
                    let g = load16(grad + start)
                    var mi = load16(m + start), vi = load16(v + start)
                    mi = mi + vw1 * (g - mi)
                    vi = vb2 * vi + vw2 * g * g
                    store16(mi, m + start); store16(vi, v + start)
                    store16(load16(p + start) - vStep * (mi / (squareRoot16(vi) / vc2 + veps)), p + start)
                    start += 16
                }
                for i in start..<range.upperBound {
                    let g = grad[i]
                    m[i] += w1 * (g - m[i])  // torch: exp_avg.lerp_(grad, 1 − β1)
                    v[i] = beta2 * v[i] + w2 * g * g
                    p[i] -= stepSize * (m[i] / (v[i].squareRoot() / correction2Root + epsilon))
                }
                return
            }
            for i in range {
                var g = grad[i]
                if decayable?[i] ?? true {
                    if decoupled { p[i] *= 1 - lr * weightDecay } else { g += weightDecay * p[i] }
                }
                m[i] += w1 * (g - m[i])
                v[i] = beta2 * v[i] + w2 * g * g
                p[i] -= stepSize * (m[i] / (v[i].squareRoot() / correction2Root + epsilon))
            }
        }
    }
}

/// The checks both forms of `optimizerStep` make before an update: one gradient per parameter, a decay mask of the
/// same length, and state buffers of the optimizer's shape (none for plain SGD, one for momentum, two for Adam).
func checkOptimizerInputs(_ kind: OptimizerKind, gradients: Int, parameters n: Int, state: OptimizerState,
                          decayMask: [Bool]?) {
    precondition(gradients == n, "\(gradients) gradients for \(n) parameters")
    precondition(decayMask.map { $0.count == n } ?? true, "decay mask does not match the parameter count")
    guard n > 0 else { return }
    switch kind {
    case .sgd(let momentum, _, _) where momentum != 0:
        precondition(state.buffers.count == 1 && state.buffers[0].count == n, "SGD state does not match the parameters")
    case .sgd: break
    case .adam:
        precondition(state.buffers.count == 2 && state.buffers[0].count == n && state.buffers[1].count == n,
                     "Adam state does not match the parameters")
    }
}
