import Testing
import SNNCore
import SNNEnergy
import SNNModel

/// Everything one pass produces that the fused batch norm → LIF → average pool forward could change.
private struct PassOutcome: Equatable {
    var logits: [Float] = []
    var gradients: [Float] = []
    var statistics: [Float] = []
    var ledger: EventLedger
    var normInputs: [[Float]] = [], normMeans: [[Float]] = []
    /// Saved LIF potentials, and how many LIF layers saved none (a fused soft-reset block recomputes them).
    var potentials: [[Float]] = [], recomputed = 0
}

private func runPass(_ net: Network, _ params: [Float], _ state: [Float], _ x: Activation, mode: PassMode, fused: Bool,
                     fusedBackward: Bool? = nil) -> PassOutcome {
    var out = PassOutcome(ledger: net.makeLedger())
    var grads = [Float](repeating: 0, count: net.parameterCount)
    var stats = [Float](repeating: 0, count: net.statisticsCount)
    params.withUnsafeBufferPointer { pp in state.withUnsafeBufferPointer { sp in
        grads.withUnsafeMutableBufferPointer { gp in stats.withUnsafeMutableBufferPointer { stp in
            var ctx = PassContext(mode: mode, steps: net.timesteps, parameters: pp.baseAddress!, state: sp.baseAddress!,
                                  gradients: gp.baseAddress, statistics: stp.baseAddress, ledger: net.makeLedger())
            let caches = net.makeCaches()
            let (logits, last) = net.forward(x, context: &ctx, caches: caches, fused: fused)
            out.logits = logits
            for c in caches {
                if let s = c.saved(BatchNormLayerState.self) { out.normInputs.append(s.input.data); out.normMeans.append(s.mean + s.invStd) }
                if let s = c.saved(SpikingLayerState.self) { out.potentials.append(s.potentials) }
                if c.saved(RecomputedSpikingLayerState.self) != nil { out.recomputed += 1 }
            }
            if mode == .training {
                let labels = (0..<x.batch).map { Int32($0 % net.classes) }
                var d = [Float](repeating: 0, count: logits.count)
                _ = softmaxCrossEntropy(logits: logits, batch: labels.count, classes: net.classes, labels: labels, scale: 1, gradLogits: &d)
                net.backward(gradLogits: d, last: last, context: &ctx, caches: caches, fused: fusedBackward ?? fused)
            }
            out.ledger = ctx.ledger
        }}
    }}
    out.gradients = grads; out.statistics = stats
    return out
}

@Suite struct BatchNormSpikingPoolTests {
    static func network(perStep: Bool, reset: ResetMode) -> Network {
        let neuron = LIFParameters(leak: perStep ? 0.95 : 0.5, threshold: 1, reset: reset, comparison: perStep ? .greater : .greaterOrEqual)
        let surrogate: Surrogate = perStep ? .triangular(scale: 0.3) : .atan(alpha: 2)
        let bn = LayerConfig.batchNorm(perStep: perStep, shift: !perStep, epsilon: 1e-5, momentum: 0.1)
        return Network(NetworkConfig(inputShape: [8, 8, 1], timesteps: 4, layers: [
            .conv(channels: 16, kernel: 3, stride: 1, padding: 1, bias: true), bn, .spiking(neuron, surrogate), .avgPool(size: 2),
            .conv(channels: 5, kernel: 3, stride: 1, padding: 1, bias: false), bn, .spiking(neuron, surrogate), .avgPool(size: 2),
            .flatten, .dense(units: 3, bias: true), .spiking(neuron, surrogate),
        ], readout: .spikeCount, initializer: .torchDefault(gain: 1)))
    }

    /// The network's forward and backward give the same logits, saved states, batch
    /// statistics, event counts and gradients, bit for bit, fused and layer by layer: W2's blocks (stacked batch norm
    /// with shift, soft reset) and BNTT's (per-step batch norm), on a constant input and on one of every step.
    @Test(arguments: [(false, ResetMode.soft), (true, .soft), (false, .hard), (true, .softUnleaked)])
    func fusedForwardEqualsLayerByLayer(perStep: Bool, reset: ResetMode) {
        let net = Self.network(perStep: perStep, reset: reset)
        var (params, state) = net.initialValues(seed: 3)
        var r = GradRNG(s: 11)
        for i in params.indices { params[i] += 0.2 * r.float() }
        for i in state.indices { state[i] = abs(state[i] + 0.3 * r.float()) + 0.05 }   // running means and variances
        for inputSteps in [1, 4] {
            let x = randomInput(steps: inputSteps, batch: 3, features: [8, 8, 1], seed: 5 + UInt64(inputSteps))
            for mode in [PassMode.training, .inference] {
                var fused = runPass(net, params, state, x, mode: mode, fused: true)
                let plain = runPass(net, params, state, x, mode: mode, fused: false)
                // A soft reset's fused blocks keep no potentials (their backward recomputes them); the last LIF
                // layer's are the same.
                let recomputing = mode == .training && reset != .hard
                #expect(fused.recomputed == (recomputing ? 2 : 0) && plain.recomputed == 0)
                if recomputing {
                    #expect(fused.potentials.count == 1 && plain.potentials.count == 3 && fused.potentials[0] == plain.potentials[2])
                    fused.potentials = plain.potentials; fused.recomputed = 0
                }
                #expect(fused == plain, "perStep \(perStep) reset \(reset) input steps \(inputSteps) \(mode)")
                // The fused backward of the pool and LIF layers also runs on potentials a layer-by-layer forward saved.
                if mode == .training {
                    let mixed = runPass(net, params, state, x, mode: mode, fused: false, fusedBackward: true)
                    #expect(mixed == plain, "forward layer by layer, backward fused: perStep \(perStep) reset \(reset)")
                }
                // The check is not vacuous: neurons fired and (training) gradients flowed.
                #expect(fused.ledger.total(.trainForward).spikes + fused.ledger.total(.inference).spikes > 0)
                if mode == .training {
                    #expect(fused.gradients.contains { $0 != 0 })
                    #expect(plain.potentials.count == 3)
                }
            }
        }
    }
}
