import Testing
import SNNCore
import SNNEnergy
import SNNModel

/// Counts on a toy network worked out by hand:
/// input x = [1, 0, 0, 0] (constant) → fc1 (4→3) → IF (θ 1, soft reset, ">") → fc2 (3→2) → IF, T = 2, batch 1.
/// fc1's column for input 0 is [1.5, 0.6, 0.2], so the currents are [1.5, 0.6, 0.2] at both steps:
///   n0: U 1.5 (spike, →0.5), 2.0 (spike); n1: 0.6, 1.2 (spike); n2: 0.2, 0.4 → lif1 spikes: t0 1, t1 2.
/// fc2 rows: n0 → [2, 0], n1 → [0, 0.5], n2 → [0, 0]: currents t0 [2, 0], t1 [2, 0.5]
///   m0: 2 (spike, →1), 3 (spike); m1: 0, 0.5 → lif2 spikes: t0 1, t1 1.
@Suite struct EventCountTests {
    func toy() -> (Network, [Float]) {
        let neuron = LIFParameters(leak: 1, threshold: 1, reset: .soft, comparison: .greater)
        let net = Network(NetworkConfig(inputShape: [4], timesteps: 2,
                                        layers: [.dense(units: 3, bias: false), .spiking(neuron, .triangular(scale: 0.3)),
                                                 .dense(units: 2, bias: false), .spiking(neuron, .triangular(scale: 0.3))],
                                        readout: .spikeCount, initializer: .xavierUniform(gain: 1)))
        var p = [Float](repeating: 0, count: net.parameterCount)
        p[0] = 1.5; p[1] = 0.6; p[2] = 0.2                 // W1[0, 0..2]
        let w2 = net.layers[2].parameterOffset
        p[w2 + 0] = 2; p[w2 + 1 * 2 + 1] = 0.5            // W2[0,0] = 2, W2[1,1] = 0.5
        return (net, p)
    }

    @Test func inferenceCountsMatchHandComputation() {
        let (net, p) = toy()
        let x = Activation(steps: 1, batch: 1, features: [4], data: [1, 0, 0, 0])
        var ctx = PassContext(mode: .inference, steps: 2, parameters: p, state: p, gradients: nil, statistics: nil, ledger: net.makeLedger())
        let (logits, _) = net.forward(x, context: &ctx, caches: net.makeCaches())
        #expect(logits == [2, 0])
        let l = ctx.ledger
        // fc1: constant analog input, computed once: 1·4·3 MACs at t0, nothing at t1.
        #expect(l[.inference, 0, 0].macs == 12 && l[.inference, 0, 1].macs == 0)
        #expect(l[.inference, 0, 0].synapticOps == 0)
        // lif1: 3 neuron updates per step; spikes 1 then 2.
        #expect(l[.inference, 1, 0].neuronUpdates == 3 && l[.inference, 1, 1].neuronUpdates == 3)
        #expect(l[.inference, 1, 0].spikes == 1 && l[.inference, 1, 1].spikes == 2)
        // fc2: event-driven, spikes × fan-out 2: 2 then 4 synaptic ops, no MACs.
        #expect(l[.inference, 2, 0].synapticOps == 2 && l[.inference, 2, 1].synapticOps == 4)
        #expect(l[.inference, 2, 0].macs == 0)
        // lif2: one spike per step.
        #expect(l[.inference, 3, 0].spikes == 1 && l[.inference, 3, 1].spikes == 1)
        #expect(l.total(.inference).spikes == 5)
        #expect(l.total(.trainForward).spikes == 0)
        // The non-spiking equivalent: 4·3 + 3·2 MACs per sample.
        #expect(net.annMACsPerSample == 18)
    }

    @Test func trainingCountsForwardAndBackwardSeparately() {
        let (net, p) = toy()
        let x = Activation(steps: 1, batch: 1, features: [4], data: [1, 0, 0, 0])
        var grads = [Float](repeating: 0, count: p.count)
        var ctx = PassContext(mode: .training, steps: 2, parameters: p, state: p, gradients: &grads, statistics: nil, ledger: net.makeLedger())
        let caches = net.makeCaches()
        let (_, last) = net.forward(x, context: &ctx, caches: caches)
        net.backward(gradLogits: [0.5, -0.5], last: last, context: &ctx, caches: caches)
        let l = ctx.ledger
        #expect(l.total(.trainForward).spikes == 5)
        #expect(l.total(.inference).spikes == 0)
        // Backward: fc2 computes dW and dx for 2 steps of 1·3·2 → 2·6·2 = 24 MACs; fc1 only dW, once: 12.
        #expect(l.total(.trainBackward, layer: 2).macs == 24)
        #expect(l.total(.trainBackward, layer: 0).macs == 12)
        // Saved state for BPTT: each LIF writes a potential word per neuron and the spikes as bits per step.
        #expect(l.total(.trainForward, layer: 1).savedStateWrites == 8)   // 3 potentials + 1 word of 3 spike bits, × 2 steps
        #expect(l.total(.trainBackward, layer: 1).savedStateReads == 8)
    }

    /// The toy network behind a flatten (input [2, 2, 1]): fc1 is still the first layer with parameters, so it
    /// computes only dW (12 MACs, as without the flatten), never the input gradient nothing would read; the
    /// gradients are those of the network without the flatten, bit for bit, and every saved state is let go.
    @Test func firstLayerWithParametersBehindAFlattenComputesNoInputGradient() {
        let (plain, p) = toy()
        let neuron = LIFParameters(leak: 1, threshold: 1, reset: .soft, comparison: .greater)
        let flat = Network(NetworkConfig(inputShape: [2, 2, 1], timesteps: 2,
                                         layers: [.flatten, .dense(units: 3, bias: false), .spiking(neuron, .triangular(scale: 0.3)),
                                                  .dense(units: 2, bias: false), .spiking(neuron, .triangular(scale: 0.3))],
                                         readout: .spikeCount, initializer: .xavierUniform(gain: 1)))
        #expect(flat.parameterCount == p.count)
        func train(_ net: Network, features: [Int]) -> ([Float], EventLedger, [LayerCache]) {
            let x = Activation(steps: 1, batch: 1, features: features, data: [1, 0, 0, 0])
            var grads = [Float](repeating: 0, count: p.count)
            var ctx = PassContext(mode: .training, steps: 2, parameters: p, state: p, gradients: &grads, statistics: nil, ledger: net.makeLedger())
            let caches = net.makeCaches()
            let (_, last) = net.forward(x, context: &ctx, caches: caches)
            net.backward(gradLogits: [0.5, -0.5], last: last, context: &ctx, caches: caches)
            return (grads, ctx.ledger, caches)
        }
        let (g0, l0, _) = train(plain, features: [4])
        let (g1, l1, caches) = train(flat, features: [2, 2, 1])
        #expect(g1.map(\.bitPattern) == g0.map(\.bitPattern))
        #expect(g1.contains { $0 != 0 })
        #expect(l1.total(.trainBackward, layer: 1).macs == 12)          // fc1: dW only
        #expect(l1.total(.trainBackward, layer: 1) == l0.total(.trainBackward, layer: 0))
        #expect(l1.total(.trainBackward, layer: 0).macs == 0)           // the flatten
        #expect(caches.allSatisfy { $0.state == nil })
    }

    /// Spikes [1, 1, 1, 0] on a 2×2 map → 2×2 pool → dense (1 → 2 outputs), one step.
    func pooled(_ pool: LayerConfig) -> EventLedger {
        let net = Network(NetworkConfig(inputShape: [2, 2, 1], timesteps: 1,
                                        layers: [pool, .flatten, .dense(units: 2, bias: false)],
                                        readout: .spikeCount, initializer: .xavierUniform(gain: 1)))
        let p = [Float](repeating: 0.5, count: net.parameterCount)
        let x = Activation(steps: 1, batch: 1, features: [2, 2, 1], data: [1, 1, 1, 0], spikeLike: true)
        var ctx = PassContext(mode: .inference, steps: 1, parameters: p, state: p, gradients: nil, statistics: nil, ledger: net.makeLedger())
        _ = net.forward(x, context: &ctx, caches: net.makeCaches())
        return ctx.ledger
    }

    @Test func averagePoolingIsFoldedIntoTheNextLayerPerConstituentSpike() {
        let l = pooled(.avgPool(size: 2))
        // The pooled value 0.75 merges 3 spikes: 3 spikes × fan-out 2 = 6 synaptic ops (not 1 non-zero × 2),
        // and the pool itself costs nothing (folded into the dense weights, w/4).
        #expect(l[.inference, 0, 0].synapticOps == 0)
        #expect(l[.inference, 2, 0].synapticOps == 6 && l[.inference, 2, 0].weightReads == 6)
    }

    @Test func maxPoolingOfSpikesIsEventDriven() {
        let l = pooled(.maxPool(size: 2))
        // One OR per input spike (3), then the single pooled spike × fan-out 2.
        #expect(l[.inference, 0, 0].synapticOps == 3)
        #expect(l[.inference, 2, 0].synapticOps == 2)
    }

    @Test func energyShapesDescribeEveryLayer() {
        let (net, _) = toy()
        let s = net.energyShapes
        #expect(s.map(\.kind) == [.weighted, .spiking, .weighted, .spiking])
        #expect(s[0].weights == 12 && s[0].annMACs == 12 && s[0].outputs == 3 && s[0].inputs == 4)
        #expect(s[1].leaky == false)   // leak 1: IF
    }
}
