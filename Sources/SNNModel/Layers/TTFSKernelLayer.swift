import SNNCore
import SNNEnergy

/// How a `TTFSKernelLayer` computes in one pass (chosen by the TTFS method per layer per step).
public enum TTFSKernelMode: Sendable, Equatable {
    /// Stochastic relaxation lost the coin flip: plain ReLU, no kernel gradient.
    case relu
    /// The temporal-kernel activation; `trainKernel` lets τ and t_d receive their gradient.
    case kernel(quantizer: TKQuantizer, clip: Bool, trainKernel: Bool)
    /// Evaluation limited to what the SNN can send: like `kernel` with clipping, but a value quantised to step T_w
    /// (kept by the training clip at x_m) is 0 too, since a neuron fires only at local steps 0..<T_w (METHODS §1.3).
    case window(quantizer: TKQuantizer)

    /// The surrogate model's evaluation mode: ceil, clip (METHODS §1.3).
    public static let evaluation = TTFSKernelMode.kernel(quantizer: .ceil, clip: true, trainKernel: false)
}

/// The TTFS surrogate DNN's activation (METHODS §1.3): the temporal-kernel round trip TK (or ReLU when relaxed), with
/// the layer's kernel parameters τ and t_d as its two trainable parameters (`[τ, t_d]` at `parameterOffset`).
///
/// No time axis: it maps each value once (a steps == 1 input stays one step), so TTFS trains with DNN memory.
/// In the SNN this layer is the layer of neurons that fire once each (see `TTFSNetworkSNN` in SNNMethods).
public final class TTFSKernelLayer: Layer, @unchecked Sendable {
    public let name: String
    public let index: Int
    public let shape: [Int]
    /// Initial τ, t_d and the fixed window T_w.
    public let initialKernel: TemporalKernel
    public var parameterOffset = 0, stateOffset = 0, statisticsOffset = 0
    public var inputShape: [Int] { shape }
    public var outputShape: [Int] { shape }
    public var parameterCount: Int { 2 }

    public init(name: String, index: Int, shape: [Int], kernel: TemporalKernel) {
        self.name = name; self.index = index; self.shape = shape; self.initialKernel = kernel
    }

    public func initialize(parameters: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
                           initializer: WeightInitializer, rng: inout RandomStream) {
        parameters[parameterOffset] = initialKernel.tau
        parameters[parameterOffset + 1] = initialKernel.delay
    }

    /// The current kernel (trained τ, t_d) in `parameters`.
    public func kernel(_ parameters: UnsafePointer<Float>) -> TemporalKernel {
        TemporalKernel(tau: parameters[parameterOffset], delay: parameters[parameterOffset + 1], window: initialKernel.window)
    }

    /// Without a mode: the surrogate model's evaluation mode (ceil, clip).
    public func forward(_ x: Activation, context: inout PassContext, cache: LayerCache) -> Activation {
        forward(x, mode: .evaluation, context: &context, cache: cache)
    }

    public func forward(_ x: Activation, mode: TTFSKernelMode, context: inout PassContext, cache: LayerCache) -> Activation {
        var y = Activation(uninitialized: x.steps, batch: x.batch, features: x.features)
        let n = x.data.count
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                switch mode {
                case .relu:
                    for i in 0..<n { yp[i] = max(xp[i], 0) }
                case let .kernel(q, clip, _):
                    temporalKernelForward(kernel(context.parameters), quantizer: q, clip: clip,
                                          input: xp.baseAddress!, count: n, output: yp.baseAddress!)
                case let .window(q):
                    // A window one step shorter makes x_m = κ(T_w − 1): the clip then also drops step T_w.
                    var k = kernel(context.parameters); k.window -= 1
                    temporalKernelForward(k, quantizer: q, clip: true, input: xp.baseAddress!, count: n, output: yp.baseAddress!)
                }
            }
        }
        var e = EventCounts(); e.neuronUpdates = Int64(n)
        context.ledger.record(context.forwardPhase, layer: index, t: 0, e)
        if context.mode == .training {
            cache.save(TTFSKernelLayerState(input: x, output: y, mode: mode))
        }
        return y
    }

    public func backward(_ dy: Activation, context: inout PassContext, cache: LayerCache, needInput: Bool) -> Activation? {
        guard let saved = cache.take(TTFSKernelLayerState.self), let grads = context.gradients
        else { preconditionFailure("\(name): backward without forward") }
        let x = saved.input, y = saved.output, mode = saved.mode
        var dx = Activation(uninitialized: x.steps, batch: x.batch, features: x.features)
        let n = x.data.count
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeBufferPointer { yp in
                dy.data.withUnsafeBufferPointer { dp in
                    dx.data.withUnsafeMutableBufferPointer { dxp in
                        switch mode {
                        case .relu:
                            for i in 0..<n { dxp[i] = xp[i] > 0 ? dp[i] : 0 }
                        case .window:
                            preconditionFailure("\(name): the SNN-window mode is for evaluation only")
                        case let .kernel(q, _, train):
                            let g = temporalKernelBackward(kernel(context.parameters), quantizer: q, input: xp.baseAddress!,
                                                           output: yp.baseAddress!, gradOutput: dp.baseAddress!, count: n,
                                                           gradInput: dxp.baseAddress!)
                            if train {
                                grads[parameterOffset] += Float(g.tau)
                                grads[parameterOffset + 1] += Float(g.delay)
                            }
                        }
                    }
                }
            }
        }
        var e = EventCounts(); e.neuronUpdates = Int64(n); e.savedStateReads = Int64(2 * n)
        context.ledger.record(.trainBackward, layer: index, t: 0, e)
        return dx
    }
}
