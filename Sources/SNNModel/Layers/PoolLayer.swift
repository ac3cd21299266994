import SNNCore
import SNNEnergy

/// Average or max pooling with window = stride = `size` over channels-last maps, applied to every step.
/// Average-pooled spikes stay "spike-like" (0, 1/size², …): the next layer's cost is still event-driven.
public final class PoolLayer: Layer, @unchecked Sendable {
    public enum Kind: Sendable { case average, max }
    public let name: String
    public let index: Int
    public let kind: Kind
    public let size: Int
    public let inputShape: [Int]
    public var parameterOffset = 0, stateOffset = 0, statisticsOffset = 0
    public var outputShape: [Int] { [inputShape[0] / size, inputShape[1] / size, inputShape[2]] }
    public var parameterCount: Int { 0 }

    public init(name: String, index: Int, kind: Kind, size: Int, inputShape: [Int]) {
        self.name = name; self.index = index; self.kind = kind; self.size = size; self.inputShape = inputShape
    }

    public func initialize(parameters: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
                           initializer: WeightInitializer, rng: inout RandomStream) {}

    public func forward(_ x: Activation, context: inout PassContext, cache: LayerCache) -> Activation {
        let (h, w, c) = (inputShape[0], inputShape[1], inputShape[2])
        let images = x.steps * x.batch
        var y = Activation(uninitialized: x.steps, batch: x.batch, features: outputShape, spikeLike: x.spikeLike)
        if x.spikeLike { y.spikeMultiplicity = kind == .average ? x.spikeMultiplicity * size * size : x.spikeMultiplicity }
        var arg = kind == .max ? [Int32](repeating: 0, count: y.data.count) : []
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                switch kind {
                case .average:
                    avgPoolForward(input: xp.baseAddress!, images: images, height: h, width: w, channels: c, size: size, output: yp.baseAddress!)
                case .max:
                    maxPoolForward(input: xp.baseAddress!, images: images, height: h, width: w, channels: c, size: size,
                                   output: yp.baseAddress!, argmax: &arg)
                }
            }
        }
        if context.mode == .training && kind == .max { cache.save(PoolLayerState(argmax: arg)) }
        // Spike-like input: average pooling is folded into the next weighted layer (which counts one synaptic op
        // per constituent spike, see `Activation.spikeMultiplicity`), so it costs nothing here; max pooling of
        // spikes is event-driven, one OR per input spike. Real-valued input: one add (or compare) per input value.
        let densePerStep = Int64(x.batch * (inputShape[0] / size) * (inputShape[1] / size) * size * size * c)
        for t in 0..<x.steps {
            var e = EventCounts()
            if !x.spikeLike { e.synapticOps = densePerStep } else if kind == .max { e.synapticOps = Int64(x.nonZeros(step: t)) }
            context.ledger.record(context.forwardPhase, layer: index, t: t, e)
        }
        return y
    }

    public func backward(_ dy: Activation, context: inout PassContext, cache: LayerCache, needInput: Bool) -> Activation? {
        let (h, w, c) = (inputShape[0], inputShape[1], inputShape[2])
        let images = dy.steps * dy.batch
        let saved = cache.take(PoolLayerState.self)
        if kind == .max && saved == nil { preconditionFailure("\(name): backward without forward") }
        // Both backward kernels clear `gradInput` themselves: no zero-filled allocation first.
        var dx = Activation(uninitialized: dy.steps, batch: dy.batch, features: inputShape)
        dy.data.withUnsafeBufferPointer { dp in
            dx.data.withUnsafeMutableBufferPointer { dxp in
                switch kind {
                case .average:
                    avgPoolBackward(gradOutput: dp.baseAddress!, images: images, height: h, width: w, channels: c, size: size,
                                    gradInput: dxp.baseAddress!)
                case .max:
                    maxPoolBackward(gradOutput: dp.baseAddress!, argmax: saved!.argmax, outputCount: dy.data.count,
                                    inputCount: dxp.count, gradInput: dxp.baseAddress!)
                }
            }
        }
        recordBackwardEvents(dy, context: &context)
        return dx
    }
}

/// Reshapes `[H, W, C]` feature maps to a vector (H, W, C order) for dense layers; free.
public final class FlattenLayer: Layer, @unchecked Sendable {
    public let name: String
    public let index: Int
    public let inputShape: [Int]
    public var parameterOffset = 0, stateOffset = 0, statisticsOffset = 0
    public var outputShape: [Int] { [inputShape.reduce(1, *)] }
    public var parameterCount: Int { 0 }

    public init(name: String, index: Int, inputShape: [Int]) { self.name = name; self.index = index; self.inputShape = inputShape }

    public func initialize(parameters: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
                           initializer: WeightInitializer, rng: inout RandomStream) {}

    public func forward(_ x: Activation, context: inout PassContext, cache: LayerCache) -> Activation {
        var y = x; y.features = outputShape; return y
    }

    public func backward(_ dy: Activation, context: inout PassContext, cache: LayerCache, needInput: Bool) -> Activation? {
        var dx = dy; dx.features = inputShape; return dx
    }
}

extension PoolLayer {
    /// The ledger's events of one backward: one synaptic operation per window element of every output gradient.
    /// `BatchNormSpikingPool`, which runs this layer fused, records the same.
    func recordBackwardEvents(_ dy: Activation, context: inout PassContext) {
        for t in 0..<dy.steps {
            var e = EventCounts(); e.synapticOps = Int64(dy.stepCount * size * size)
            context.ledger.record(.trainBackward, layer: index, t: t, e)
        }
    }
}
