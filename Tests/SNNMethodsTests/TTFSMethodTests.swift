import Foundation
import Testing
import SNNCore
import SNNEnergy
import SNNModel
import SNNMethods

/// TTFS on a small network: the backward pass against finite differences, the shared relaxation coins, the
/// regularisers, and the trained network run as an SNN against its surrogate.
@Suite struct TTFSMethodTests {
    static func smallTTFS(_ settings: TTFSSpec = TTFSSpec(relaxationEpochs: 1, kernelTrainingFrom: 0, tkbnAfter: 0)) throws -> TTFS {
        let kernel = TemporalKernel(tau: settings.tau, delay: settings.delay, window: settings.window)
        let net = Network(NetworkConfig(inputShape: [8, 8, 1], timesteps: 1,
                                        layers: [.conv(channels: 4, kernel: 3, stride: 1, padding: 1, bias: true),
                                                 .batchNorm(perStep: false, shift: true, epsilon: 1e-3, momentum: 0.1),
                                                 .temporalKernel(kernel), .maxPool(size: 2), .flatten,
                                                 .dense(units: 12, bias: true),
                                                 .batchNorm(perStep: false, shift: true, epsilon: 1e-3, momentum: 0.1),
                                                 .temporalKernel(kernel),
                                                 .dense(units: 3, bias: true)],
                                        readout: .meanPotential, initializer: .xavierUniform(gain: 1)))
        return try TTFS(network: net, encoder: InputEncoder(kind: .direct, mean: 0.3, std: 0.3, shape: [8, 8, 1]), settings: settings)
    }

    func work(epoch: Int = 0, step: Int = 0, samples: Range<Int> = 0..<16, phase: WorkPhase = .train) -> MicroBatch {
        MicroBatch(epoch: epoch, step: step, index: 0, phase: phase, samples: samples.map { Int32($0) }, seed: 5)
    }

    /// Epoch 0 (TK without rounding or clipping, kernel trained): every checked gradient equals the central difference
    /// of the summed loss — weights, biases, BN γ and β, and τ, t_d of both TK layers.
    @Test func backwardMatchesFiniteDifferences() throws {
        let m = try Self.smallTTFS()
        let data = syntheticImages(count: 16)
        var (p, s) = m.network.initialValues(seed: 3)
        // Move τ, t_d off their initial values so that both kernel gradients are generic.
        for (k, l) in m.kernelLayers.enumerated() { p[l.parameterOffset] = 1.8 + 0.3 * Float(k); p[l.parameterOffset + 1] = 0.2 }
        let g = m.run(work(), data: data, parameters: p, state: s).gradient
        func loss(_ q: [Float]) -> Double { m.run(work(), data: data, parameters: q, state: s).lossSum }
        var checked: [Int] = []
        for l in m.network.layers where l.parameterCount > 0 {
            let n = l.parameterCount
            checked += [0, n / 3, n / 2, n - 1].map { l.parameterOffset + $0 }
        }
        checked += m.kernelLayers.flatMap { [$0.parameterOffset, $0.parameterOffset + 1] }
        var failures: [String] = []
        for i in Set(checked).sorted() {
            let h: Float = 5e-4 * max(1, abs(p[i]))
            var a = p, b = p; a[i] += h; b[i] -= h
            let fd = (loss(a) - loss(b)) / Double(a[i] - b[i])
            if abs(Double(g[i]) - fd) > 2e-2 * abs(fd) + 2e-2 { failures.append("param \(i): \(g[i]) vs \(fd)") }
        }
        _ = s.count
        #expect(failures.isEmpty, "\(failures)")
        // τ and t_d did get gradient (saturated values exist at initialisation).
        #expect(m.kernelLayers.contains { g[$0.parameterOffset + 1] != 0 })
    }

    /// Before `kernelTrainingFrom`, τ and t_d get no gradient; in ReLU steps neither.
    @Test func kernelGradientOnlyWhenKernelTrains() throws {
        let m = try Self.smallTTFS(TTFSSpec(relaxationEpochs: 1, kernelTrainingFrom: 3, tkbnAfter: 10))
        let data = syntheticImages(count: 16)
        let (p, s) = m.network.initialValues(seed: 3)
        let before = m.run(work(epoch: 2), data: data, parameters: p, state: s).gradient
        let after = m.run(work(epoch: 3), data: data, parameters: p, state: s).gradient
        for l in m.kernelLayers { #expect(before[l.parameterOffset] == 0 && before[l.parameterOffset + 1] == 0) }
        #expect(m.kernelLayers.contains { after[$0.parameterOffset] != 0 || after[$0.parameterOffset + 1] != 0 })
    }

    /// The relaxation coins depend on (seed, epoch, step, layer) only: equal for every micro-batch of a step,
    /// p(e) on average, and fresh per step and layer.
    @Test func relaxationCoinsAreSharedAndFollowTheSchedule() throws {
        let m = try Self.smallTTFS(TTFSSpec(relaxationEpochs: 4))
        #expect(m.trainingModes(seed: 9, epoch: 1, step: 7) == m.trainingModes(seed: 9, epoch: 1, step: 7))
        var kernelUses = 0, differ = 0
        for step in 0..<400 {
            let modes = m.trainingModes(seed: 9, epoch: 1, step: step)   // p(1) = 0.5
            kernelUses += modes.filter { $0 != .relu }.count
            if modes[0] != modes[1] { differ += 1 }
        }
        #expect(abs(Double(kernelUses) / 800 - 0.5) < 0.08)
        #expect(differ > 100)
        #expect(m.trainingModes(seed: 9, epoch: 3, step: 0).allSatisfy { $0 != .relu })   // p(3) = 1
        // Two micro-batches of one step run the same surrogate: their losses equal those of the same samples.
        let data = syntheticImages(count: 32)
        let (p, s) = m.network.initialValues(seed: 1)
        let a = m.run(MicroBatch(epoch: 1, step: 5, index: 0, phase: .train, samples: (0..<16).map { Int32($0) }, seed: 9), data: data, parameters: p, state: s)
        let b = m.run(MicroBatch(epoch: 1, step: 5, index: 1, phase: .train, samples: (0..<16).map { Int32($0) }, seed: 9), data: data, parameters: p, state: s)
        #expect(a.gradient == b.gradient)
    }

    /// L2-I (oracle 4) and TKBN reach exactly τ, t_d and BN γ, β, scaled by the samples of the micro-batch.
    @Test func regularizersReachTheirParametersOnly() throws {
        let m = try Self.smallTTFS(TTFSSpec(relaxationEpochs: 1, kernelTrainingFrom: 0, kernelRegularization: 1e-4, tkbnWeight: 1e-2, tkbnAfter: 0))
        var (p, _) = m.network.initialValues(seed: 1)
        let (k0, k1) = (m.kernelLayers[0].parameterOffset, m.kernelLayers[1].parameterOffset)
        p[k0] = 2.5; p[k0 + 1] = 0.3; p[k1] = 1.8; p[k1 + 1] = -0.1
        var g = [Float](repeating: 0, count: p.count)
        let loss = m.addRegularizers(epoch: 1, parameters: p, gradients: &g, samples: 10)
        #expect(abs(Float(g[k0]) - 10 * 1e-4 * 1.0) < 1e-7 && abs(g[k0 + 1] - 10 * 1e-4 * 0.6) < 1e-7)
        #expect(abs(g[k1] - 10 * 1e-4 * -0.4) < 1e-7 && abs(g[k1 + 1] - 10 * 1e-4 * -0.2) < 1e-7)
        let bns = m.network.layers.compactMap { $0 as? BatchNormLayer }
        var touched = Set([k0, k0 + 1, k1, k1 + 1])
        for bn in bns { for i in 0..<(2 * bn.channels) { touched.insert(bn.parameterOffset + i) } }
        for i in g.indices where !touched.contains(i) { #expect(g[i] == 0) }
        // γ = 1, β = 0 at initialisation: ∂L/∂β = ½(x_T²γ + 2) per channel, with x_T of that layer's kernel.
        let xT = TemporalKernel(tau: 2.5, delay: 0.3, window: 8).minValue
        #expect(abs(g[bns[0].parameterOffset + bns[0].channels] - 10 * 1e-2 * 0.5 * (xT * xT + 2)) < 1e-5)
        let tkbn = Double(bns.reduce(0) { $0 + $1.channels })   // per channel value at (1, 0) is x_T(1 + x_T²/6) ≈ x_T
        #expect(loss > 10 * 1e-4 * 0.39 && loss < 10 * 1e-4 * 0.39 + 10 * 1e-2 * tkbn * 0.05)
        // Not before their start epochs.
        var g0 = [Float](repeating: 0, count: p.count)
        let m2 = try Self.smallTTFS(TTFSSpec(kernelTrainingFrom: 5, tkbnAfter: 5))
        #expect(m2.addRegularizers(epoch: 5, parameters: p, gradients: &g0, samples: 10) == 0 && g0.allSatisfy { $0 == 0 })
    }

    /// Trains the small net (Adam, BN running statistics as the cluster applies them), rounding from epoch 1 on.
    static func trained(_ m: TTFS, data: LabeledImages, steps: Int = 60) -> (parameters: [Float], state: [Float]) {
        var (p, s) = m.network.initialValues(seed: 4)
        var opt = OptimizerState(kind: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false), parameterCount: p.count)
        for step in 0..<steps {
            let ids = (0..<32).map { Int32((step * 32 + $0) % data.count) }
            let r = m.run(MicroBatch(epoch: 1 + step / 20, step: step % 20, index: 0, phase: .train, samples: ids, seed: 4),
                          data: data, parameters: p, state: s)
            optimizerStep(.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false), learningRate: 0.01,
                          parameters: &p, gradients: r.gradient.map { $0 / 32 }, state: &opt)
            m.network.applyStatistics(r.statistics, to: &s, microBatchSize: 32)
        }
        return (p, s)
    }

    /// The SNN with q = 0.5 reproduces the surrogate's training-mode rounding; with q = 0 the ceil surrogate. Each
    /// neuron fires at most once, and the SNN classifies the (easy) synthetic set like the surrogate.
    @Test(arguments: [Float(0.5), 0])
    func snnAgreesWithSurrogate(q: Float) throws {
        let m = try Self.smallTTFS(TTFSSpec(thresholdOffset: q, relaxationEpochs: 1, kernelTrainingFrom: 1, tkbnAfter: 100))
        let data = syntheticImages(count: 300, seed: 7)
        let (p, s) = Self.trained(m, data: data)
        let r = m.report(parameters: p, state: s, data: data)
        #expect(r.samples == 300)
        #expect(r.maxSpikesPerNeuron == 1)
        for (k, n) in r.neuronsPerLayer.enumerated() { #expect(r.spikeMax[k] <= n) }
        // Measured: 100 % (300/300) for both q; a disagreement needs a value within float rounding of a threshold
        // or one the training clip keeps at q = T_w that the SNN cannot fire.
        #expect(r.agreementRate >= 0.98, "\(r.rendered)")
        #expect(r.agreementWindow == r.samples, "\(r.rendered)")
        #expect(r.surrogateAccuracy >= 0.9, "\(r.rendered)")
        #expect(abs(r.snnAccuracy - r.surrogateAccuracy) <= 0.02)
        #expect(r.decisionStepMax <= r.latency && r.decisionStepMin >= (3 - 1) * 8)
        #expect(r.latency == 3 * 8)
    }

    /// Beyond the argmax: the SNN's output membrane potentials equal the logits of the surrogate that rounds like q
    /// and sends nothing at step T_w (folded BN and event-driven integration change only float rounding).
    @Test(arguments: [Float(0.5), 0])
    func snnPotentialsEqualTheWindowSurrogateLogits(q: Float) throws {
        let m = try Self.smallTTFS(TTFSSpec(thresholdOffset: q, relaxationEpochs: 1, kernelTrainingFrom: 1, tkbnAfter: 100))
        let data = syntheticImages(count: 200, seed: 9)
        let (p, s) = Self.trained(m, data: data)
        let w = work(samples: 0..<100, phase: .evaluate)
        var ledger = m.network.makeLedger()
        let snn = TTFSNetworkSNN(method: m, parameters: p, state: s)
        let outs = snn.run(InputEncoder(kind: .direct, mean: 0.3, std: 0.3, shape: [8, 8, 1]).encode(w, data: data, steps: 1), ledger: &ledger)
        let logits = m.surrogateLogits(w, data: data, parameters: p, state: s, mode: m.windowEvaluationMode)
        var worst: Float = 0
        for (i, o) in outs.enumerated() {
            for c in 0..<3 { worst = max(worst, abs(o.potentials[c] - logits[i * 3 + c]) / (1 + abs(logits[i * 3 + c]))) }
        }
        #expect(worst < 1e-4, "largest relative difference \(worst)")
    }

    /// Evaluation through the method runs the SNN: its spikes land in the ledger of the TK layers, the spike-fed
    /// layers count one synaptic operation per spike per fan-out, and the first layer counts dense MACs.
    @Test func evaluationCountsEventsOfTheSNN() throws {
        let m = try Self.smallTTFS()
        let data = syntheticImages(count: 64, seed: 2)
        let (p, s) = Self.trained(m, data: data, steps: 10)
        let r = m.run(work(samples: 0..<20, phase: .evaluate), data: data, parameters: p, state: s)
        #expect(r.steps == 24)
        let tk = m.kernelLayers
        let spikes1 = r.ledger.total(.inference, layer: tk[0].index).spikes, spikes2 = r.ledger.total(.inference, layer: tk[1].index).spikes
        #expect(spikes1 == r.spikesPerLayer[tk[0].index] && spikes2 == r.spikesPerLayer[tk[1].index])
        #expect(spikes1 > 0 && spikes1 <= 20 * 256 && spikes2 <= 20 * 12)
        let dense = m.network.layers.compactMap { $0 as? DenseLayer }
        // The output layer: spikes of tk2 × 3 outputs, plus one bias add per output per sample.
        #expect(r.ledger.total(.inference, layer: dense[1].index).synapticOps == spikes2 * 3 + 20 * 3)
        #expect(r.ledger.total(.inference, layer: dense[1].index).macs == 0)
        let conv = m.network.layers[0] as! ConvLayer
        #expect(r.ledger.total(.inference, layer: 0).macs == 20 * conv.annMACsPerSample)
        #expect(r.ledger.total(.inference, layer: 1).macs == 0)   // BN folded into the conv
    }
}
