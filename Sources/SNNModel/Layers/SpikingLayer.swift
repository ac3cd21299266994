import SNNCore
import SNNEnergy

/// Leaky integrate-and-fire neurons (IF when leak = 1) over all T steps, trained by BPTT with a surrogate gradient
/// and a detached reset (METHODS §3.4).
///
/// Input is the synaptic current of every step (or one constant current); output is binary spikes `[T, B, ...]`.
/// The pre-reset membrane potential of every step is kept for the backward pass.
public final class SpikingLayer: Layer, @unchecked Sendable {
    public let name: String
    public let index: Int
    public let shape: [Int]
    public let neuron: LIFParameters
    public let surrogate: Surrogate
    public var parameterOffset = 0, stateOffset = 0, statisticsOffset = 0
    public var inputShape: [Int] { shape }
    public var outputShape: [Int] { shape }
    public var parameterCount: Int { 0 }

    public init(name: String, index: Int, shape: [Int], neuron: LIFParameters, surrogate: Surrogate) {
        self.name = name; self.index = index; self.shape = shape; self.neuron = neuron; self.surrogate = surrogate
    }

    public func initialize(parameters: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
                           initializer: WeightInitializer, rng: inout RandomStream) {}

    public func forward(_ x: Activation, context: inout PassContext, cache: LayerCache) -> Activation {
        let steps = context.steps
        let count = x.stepCount
        var spikes = Activation(uninitialized: steps, batch: x.batch, features: x.features, spikeLike: true)
        let training = context.mode == .training
        // Potentials only where a backward pass will read them.
        var potentials = training ? [Float](unsafeUninitializedCapacity: steps * count) { _, c in c = steps * count } : []
        // Spikes per step, counted by the kernel as it makes them.
        var perStep = [Int](repeating: 0, count: steps)
        x.data.withUnsafeBufferPointer { xp in
            spikes.data.withUnsafeMutableBufferPointer { sp in
                perStep.withUnsafeMutableBufferPointer { cp in
                    if training {
                        potentials.withUnsafeMutableBufferPointer { pp in
                            _ = lifForward(neuron, input: xp.baseAddress!, inputSteps: x.steps, steps: steps, count: count,
                                           spikes: sp.baseAddress!, potentials: pp.baseAddress!, stepSpikes: cp.baseAddress)
                        }
                    } else {
                        _ = lifForward(neuron, input: xp.baseAddress!, inputSteps: x.steps, steps: steps, count: count,
                                       spikes: sp.baseAddress!, stepSpikes: cp.baseAddress)
                    }
                }
            }
        }
        recordForwardEvents(spikesPerStep: perStep, count: count, training: training, context: &context)
        if training {
            // The spikes as bits (the backward of a hard reset reads them; a soft reset does not): the float array
            // is freed as soon as the next layer is done with it. Of the output only the shape is kept.
            let bits = neuron.reset == .hard ? spikes.data.withUnsafeBufferPointer { packSpikes($0.baseAddress!, count: $0.count) } : []
            cache.save(SpikingLayerState(potentials: potentials, spikeBits: bits, steps: spikes.steps, batch: spikes.batch,
                                         features: spikes.features, inputSteps: x.steps))
        }
        return spikes
    }

    public func backward(_ dy: Activation, context: inout PassContext, cache: LayerCache, needInput: Bool) -> Activation? {
        guard let s = cache.take(SpikingLayerState.self) else { preconditionFailure("\(name): backward without forward") }
        let steps = s.steps, count = s.neuronsPerStep, inputSteps = s.inputSteps
        var dx = Activation(uninitialized: inputSteps, batch: s.batch, features: s.features)
        // A soft reset's backward never reads the spikes (the kernel is specialised on the reset): any pointer will do.
        let spikes = neuron.reset == .hard ? unpackSpikes(s.spikeBits, count: steps * count) : [0]
        dy.data.withUnsafeBufferPointer { dp in
            s.potentials.withUnsafeBufferPointer { pp in
                spikes.withUnsafeBufferPointer { sp in
                    dx.data.withUnsafeMutableBufferPointer { dxp in
                        lifBackward(neuron, surrogate: surrogate, gradSpikes: dp.baseAddress!, potentials: pp.baseAddress!,
                                    spikes: sp.baseAddress!, steps: steps, count: count,
                                    gradInput: dxp.baseAddress!, inputSteps: inputSteps)
                    }
                }
            }
        }
        recordBackwardEvents(steps: steps, count: count, context: &context)
        return dx
    }
}

extension SpikingLayer {
    /// The ledger's events of one forward of `count` neurons per step: an update, a membrane read and write per
    /// neuron, the step's spikes, and when training what BPTT saves (the pre-reset potential, one word, and the
    /// spike, one bit, 32 per word). `BatchNormSpikingPool`, which runs this layer fused, records the same.
    func recordForwardEvents(spikesPerStep perStep: [Int], count: Int, training: Bool, context: inout PassContext) {
        for t in 0..<perStep.count {
            var e = EventCounts()
            e.neuronUpdates = Int64(count)
            e.spikes = Int64(perStep[t])
            e.membraneReads = Int64(count); e.membraneWrites = Int64(count)
            if training { e.savedStateWrites = Int64(count + (count + 31) / 32) }
            context.ledger.record(context.forwardPhase, layer: index, t: t, e)
        }
    }

    /// The ledger's events of one backward over `steps` steps: an update per neuron and the saved state read back.
    func recordBackwardEvents(steps: Int, count: Int, context: inout PassContext) {
        for t in 0..<steps {
            var e = EventCounts(); e.neuronUpdates = Int64(count); e.savedStateReads = Int64(count + (count + 31) / 32)
            context.ledger.record(.trainBackward, layer: index, t: t, e)
        }
    }
}
