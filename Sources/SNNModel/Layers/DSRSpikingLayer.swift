import SNNCore
import SNNEnergy

/// DSR spiking layer (Meng et al. 2022; METHODS §2): IF or LIF neurons firing at U ≥ α·V_th with soft reset by
/// V_th and spikes of amplitude V_th (IF) or V_th/Δt (LIF), one trainable threshold V_th per layer.
///
/// Backward does not go through the membrane: it differentiates the layer's spike representation (a clamp of the
/// mean input) and spreads the gradient evenly over the steps (§2.4). The V_th gradient is one parameter's
/// gradient like any other: summed over samples, reduced exactly across micro-batches and divided by the batch
/// size — i.e. averaged, not the reference's accidental sum over ranks (METHODS §2.5).
public final class DSRSpikingLayer: Layer, @unchecked Sendable {
    public let name: String
    public let index: Int
    public let shape: [Int]
    public let neuron: DSRParameters
    public let initialThreshold: Float
    public var parameterOffset = 0, stateOffset = 0, statisticsOffset = 0
    public var inputShape: [Int] { shape }
    public var outputShape: [Int] { shape }
    /// The layer's V_th.
    public var parameterCount: Int { 1 }

    public init(name: String, index: Int, shape: [Int], neuron: DSRParameters, initialThreshold: Float) {
        self.name = name; self.index = index; self.shape = shape; self.neuron = neuron
        self.initialThreshold = initialThreshold
    }

    public func initialize(parameters: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
                           initializer: WeightInitializer, rng: inout RandomStream) {
        parameters[parameterOffset] = initialThreshold
    }

    /// V_th ← max(V_th, V_b), applied whenever parameters change (so every forward sees a clamped threshold).
    public func clampThreshold(_ parameters: inout [Float]) {
        var v = parameters[parameterOffset]
        _ = dsrClampThreshold(&v, neuron)
        parameters[parameterOffset] = v
    }

    public func forward(_ x: Activation, context: inout PassContext, cache: LayerCache) -> Activation {
        let steps = context.steps, count = x.stepCount
        let vth = context.parameters[parameterOffset]
        var out = Activation(zeros: steps, batch: x.batch, features: x.features, spikeLike: true)
        var mean = [Float](repeating: 0, count: count)
        x.data.withUnsafeBufferPointer { xp in
            out.data.withUnsafeMutableBufferPointer { op in
                _ = dsrForward(neuron, threshold: vth, input: xp.baseAddress!, inputSteps: x.steps, steps: steps,
                               count: count, output: op.baseAddress!, meanInput: &mean)
            }
        }
        let training = context.mode == .training
        for t in 0..<steps {
            var e = EventCounts()
            e.neuronUpdates = Int64(count); e.spikes = Int64(out.nonZeros(step: t))
            e.membraneReads = Int64(count); e.membraneWrites = Int64(count)
            if training && t == 0 { e.savedStateWrites = Int64(count) }   // only the mean input is kept
            context.ledger.record(context.forwardPhase, layer: index, t: t, e)
        }
        if training { cache.save(DSRSpikingLayerState(meanInput: mean, inputSteps: x.steps, steps: steps)) }
        return out
    }

    public func backward(_ dy: Activation, context: inout PassContext, cache: LayerCache, needInput: Bool) -> Activation? {
        guard let s = cache.take(DSRSpikingLayerState.self), let grads = context.gradients
        else { preconditionFailure("\(name): backward without forward") }
        let inputSteps = s.inputSteps, steps = s.steps, count = dy.stepCount
        var dx = Activation(zeros: inputSteps, batch: dy.batch, features: dy.features)
        let vth = context.parameters[parameterOffset]
        let gth = dy.data.withUnsafeBufferPointer { dp in
            dx.data.withUnsafeMutableBufferPointer { dxp in
                dsrBackward(neuron, threshold: vth, gradOutput: dp.baseAddress!, meanInput: s.meanInput,
                            steps: steps, count: count, gradInput: dxp.baseAddress!, inputSteps: inputSteps)
            }
        }
        grads[parameterOffset] += Float(gth)
        var e = EventCounts(); e.neuronUpdates = Int64(count * steps); e.savedStateReads = Int64(count)
        context.ledger.record(.trainBackward, layer: index, t: 0, e)
        return dx
    }

    /// The readout rate (IF: mean output; LIF: β-weighted mean, §2.2) of each neuron, `[batch·features]`.
    public func rate(_ y: Activation) -> [Float] {
        var r = [Float](repeating: 0, count: y.stepCount)
        y.data.withUnsafeBufferPointer { yp in dsrRate(neuron, outputs: yp.baseAddress!, steps: y.steps, count: y.stepCount, rate: &r) }
        return r
    }

    /// Gradient of `rate` with respect to the outputs of every step.
    public func rateBackward(_ gradRate: [Float], like y: Activation) -> Activation {
        var d = Activation(zeros: y.steps, batch: y.batch, features: y.features)
        d.data.withUnsafeMutableBufferPointer { dp in
            dsrRateBackward(neuron, gradRate: gradRate, steps: y.steps, count: y.stepCount, gradOutputs: dp.baseAddress!)
        }
        return d
    }
}
