#if canImport(Glibc)
import Glibc
#endif
import SNNCore
import SNNEnergy

/// Batch norm → LIF neurons → average pooling (W2's and BNTT's conv blocks) run forward as one pass
/// (`batchNormLIFAvgPoolForward`): the normalised input and the full-size spikes are never written.
///
/// Not a layer: the three layers keep their indices, parameters, event counts and backward passes. The fused
/// forward leaves in each layer's cache exactly the state its own forward would have saved (the batch norm's input
/// and statistics, the LIF potentials; average pooling saves nothing), records the same events and returns the
/// same pooled spikes bit for bit, so the layers' own backward passes run unchanged after it.
public struct BatchNormSpikingPool: Sendable {
    let norm: BatchNormLayer
    let neurons: SpikingLayer
    let pool: PoolLayer

    /// Off only to measure or test the layer-by-layer path against the fused one (SNN_UNFUSED=1).
    public static let enabled = getenv("SNN_UNFUSED") == nil

    /// Off only to measure saving the potentials against recomputing them (SNN_SAVE_POTENTIALS=1).
    static let recomputesPotentials = getenv("SNN_SAVE_POTENTIALS") == nil

    /// The block starting at `layers[i]`, when the three layers there fit the fused kernel.
    init?(_ layers: [any Layer], at i: Int) {
        guard i + 2 < layers.count, let norm = layers[i] as? BatchNormLayer, let neurons = layers[i + 1] as? SpikingLayer,
              let pool = layers[i + 2] as? PoolLayer, pool.kind == .average, norm.shape.count == 3,
              neurons.shape == norm.shape, pool.inputShape == norm.shape
        else { return nil }
        self.norm = norm; self.neurons = neurons; self.pool = pool
    }

    /// Whether a pass in `mode` can run fused: a training pass with a hard reset must save the spikes as bits for
    /// the backward pass, which only the layer-by-layer path does.
    func fuses(_ mode: PassMode) -> Bool { mode == .inference || neurons.neuron.reset != .hard }

    func forward(_ x0: Activation, context: inout PassContext, caches: ArraySlice<LayerCache>) -> Activation {
        let bn = norm, c = bn.channels, n = bn.groups * c
        precondition(x0.features == bn.shape, "\(bn.name): expected input \(bn.shape), got \(x0.features)")
        let training = context.mode == .training
        // The batch norm's part: its statistics (training) or its running ones, as its own forward computes them.
        let x = bn.perStep && training ? x0.broadcast(to: context.steps) : x0
        let g = bn.perStep ? context.steps : 1
        let rows = (bn.perStep ? 1 : x.steps) * x.batch * (x.featureCount / c)
        let gamma = context.parameters + bn.parameterOffset
        let beta: UnsafePointer<Float>? = bn.shift ? context.parameters + bn.parameterOffset + n : nil
        var center = [Float](repeating: 0, count: g * c), scale = center
        if training {
            var invStd = center, variance = center
            x.data.withUnsafeBufferPointer { xp in
                batchNormStatistics(x: xp.baseAddress!, groups: g, rows: rows, channels: c, gamma: gamma,
                                    epsilon: bn.epsilon, mean: &center, invStd: &invStd, variance: &variance, scale: &scale)
            }
            if let s = context.statistics {
                (s + bn.statisticsOffset).update(from: center, count: g * c)
                (s + bn.statisticsOffset + n).update(from: variance, count: g * c)
            }
            caches[caches.startIndex].save(BatchNormLayerState(input: x, mean: center, invStd: invStd, inputSteps: x0.steps))
        } else {
            center.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: context.state + bn.stateOffset, count: g * c) }
            batchNormInferenceScale(count: g * c, gamma: gamma, runningVariance: context.state + bn.stateOffset + n,
                                    epsilon: bn.epsilon, scale: &scale)
        }
        // The batch norm's output has `context.steps` steps when per step (its input copied), else its input's.
        let normSteps = bn.perStep ? context.steps : x.steps
        for t in 0..<normSteps {
            var e = EventCounts(); e.macs = Int64(x.stepCount)
            if training { e.savedStateWrites = Int64(x.stepCount) }
            context.ledger.record(context.forwardPhase, layer: bn.index, t: t, e)
        }

        // LIF and pooling, fused with the affine map.
        let steps = context.steps, count = x.stepCount, (h, w) = (bn.shape[0], bn.shape[1])
        var y = Activation(uninitialized: steps, batch: x.batch, features: pool.outputShape, spikeLike: true)
        y.spikeMultiplicity = pool.size * pool.size
        // A soft reset's backward recomputes the potentials from the batch norm's saved input: none are kept.
        let recomputes = training && fusesBackward && BatchNormSpikingPool.recomputesPotentials
        var potentials = training && !recomputes ? [Float](unsafeUninitializedCapacity: steps * count) { _, k in k = steps * count } : []
        var perStep = [Int](repeating: 0, count: steps)
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                perStep.withUnsafeMutableBufferPointer { cp in
                    center.withUnsafeBufferPointer { cen in
                        scale.withUnsafeBufferPointer { sc in
                            let affine = ChannelAffine(center: cen.baseAddress!, scale: sc.baseAddress!, shift: beta, perStep: bn.perStep)
                            func run(_ v: UnsafeMutablePointer<Float>?) {
                                batchNormLIFAvgPoolForward(neurons.neuron, affine: affine, input: xp.baseAddress!,
                                                           inputSteps: x.steps, steps: steps, images: x.batch, height: h,
                                                           width: w, channels: c, poolSize: pool.size, potentials: v,
                                                           output: yp.baseAddress!, stepSpikes: cp.baseAddress!)
                            }
                            if training && !recomputes { potentials.withUnsafeMutableBufferPointer { run($0.baseAddress!) } } else { run(nil) }
                        }
                    }
                }
            }
        }
        // The LIF layer's events, as its forward records them.
        neurons.recordForwardEvents(spikesPerStep: perStep, count: count, training: training, context: &context)
        if recomputes {
            caches[caches.startIndex + 1].save(RecomputedSpikingLayerState(center: center, scale: scale, steps: steps, batch: x.batch,
                                                                           features: x.features, inputSteps: x.steps))
        } else if training {
            caches[caches.startIndex + 1].save(SpikingLayerState(potentials: potentials, spikeBits: [], steps: steps, batch: x.batch,
                                                                 features: x.features, inputSteps: x.steps))
        }
        // Average pooling of spikes is folded into the next weighted layer's count: nothing of its own.
        for t in 0..<steps { context.ledger.record(context.forwardPhase, layer: pool.index, t: t, EventCounts()) }
        return y
    }

    /// Whether the backward of the pool and the LIF layer can run fused: a soft reset's never reads the spikes.
    var fusesBackward: Bool { neurons.neuron.reset != .hard }

    /// The backward of the average pool and the LIF layer in one pass (`avgPoolLIFBackward`), with the same
    /// gradient and event counts as their own backward passes; returns the gradient of the LIF input (the batch
    /// norm's output), which the batch norm's own backward takes from there. `caches` are the block's three caches.
    func backwardPoolAndNeurons(_ dy: Activation, context: inout PassContext, caches: ArraySlice<LayerCache>) -> Activation {
        let (h, w, c) = (norm.shape[0], norm.shape[1], norm.shape[2])
        let steps: Int, count: Int
        var dx: Activation
        // `take` lets go of whatever state the cache holds: look before taking.
        if caches[caches.startIndex + 1].saved(RecomputedSpikingLayerState.self) != nil,
           let st = caches[caches.startIndex + 1].take(RecomputedSpikingLayerState.self) {
            guard let bn = caches[caches.startIndex].saved(BatchNormLayerState.self)
            else { preconditionFailure("\(norm.name): backward without forward") }
            steps = st.steps; count = st.batch * st.features.reduce(1, *)
            precondition(dy.steps == steps && dy.features == pool.outputShape, "\(pool.name): gradient shape \(dy.features)")
            dx = Activation(uninitialized: st.inputSteps, batch: st.batch, features: st.features)
            let beta: UnsafePointer<Float>? = norm.shift ? context.parameters + norm.parameterOffset + norm.groups * c : nil
            dy.data.withUnsafeBufferPointer { dp in
                bn.input.data.withUnsafeBufferPointer { xp in
                    dx.data.withUnsafeMutableBufferPointer { dxp in
                        st.center.withUnsafeBufferPointer { cen in
                            st.scale.withUnsafeBufferPointer { sc in
                                let affine = ChannelAffine(center: cen.baseAddress!, scale: sc.baseAddress!, shift: beta, perStep: norm.perStep)
                                batchNormLIFAvgPoolRecomputedBackward(neurons.neuron, surrogate: neurons.surrogate, affine: affine,
                                                                      input: xp.baseAddress!, inputSteps: st.inputSteps, steps: steps,
                                                                      images: st.batch, height: h, width: w, channels: c,
                                                                      poolSize: pool.size, gradOutput: dp.baseAddress!,
                                                                      gradInput: dxp.baseAddress!)
                            }
                        }
                    }
                }
            }
        } else {
            guard let st = caches[caches.startIndex + 1].take(SpikingLayerState.self)
            else { preconditionFailure("\(neurons.name): backward without forward") }
            steps = st.steps; count = st.neuronsPerStep
            precondition(dy.steps == steps && dy.features == pool.outputShape, "\(pool.name): gradient shape \(dy.features)")
            dx = Activation(uninitialized: st.inputSteps, batch: st.batch, features: st.features)
            dy.data.withUnsafeBufferPointer { dp in
                st.potentials.withUnsafeBufferPointer { pp in
                    dx.data.withUnsafeMutableBufferPointer { dxp in
                        avgPoolLIFBackward(neurons.neuron, surrogate: neurons.surrogate, gradOutput: dp.baseAddress!,
                                           potentials: pp.baseAddress!, steps: steps, images: st.batch, height: h, width: w,
                                           channels: c, poolSize: pool.size, gradInput: dxp.baseAddress!, inputSteps: st.inputSteps)
                    }
                }
            }
        }
        // The pool's events, then the LIF layer's, as their own backward passes record them.
        pool.recordBackwardEvents(dy, context: &context)
        neurons.recordBackwardEvents(steps: steps, count: count, context: &context)
        return dx
    }
}
