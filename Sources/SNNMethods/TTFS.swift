import SNNCore
import SNNEnergy
import SNNModel

/// TTFS (Park & Yoon 2021; METHODS §1): trains a surrogate DNN whose hidden activation is the temporal-kernel round
/// trip TK (conv/dense → BN with batch statistics → TK), with stochastic relaxation (ReLU or TK per layer per step),
/// straight-through gradients including ∂/∂τ and ∂/∂t_d of every layer's kernel, the L2-I kernel regulariser and the
/// TKBN loss; evaluation runs the trained weights as a real one-spike-per-neuron SNN (`TTFSNetworkSNN`).
///
/// Training has no time axis (T = 1: memory like a DNN). Every random choice is keyed by (run seed, epoch, step,
/// layer), so every worker draws the same relaxation coins and the parameters stay bit-identical for any worker count.
public struct TTFS: TrainingMethod {
    public let name = "ttfs"
    public let network: Network
    public let settings: TTFSSpec
    let encoder: InputEncoder
    /// The network's TK layers, in order.
    public let kernelLayers: [TTFSKernelLayer]
    /// For each TK layer, the batch norm right before it (its γ, β get the TKBN loss), if any.
    let batchNorms: [BatchNormLayer?]

    /// Fails with a message naming what makes `network` not a TTFS network (the spec validation says the same
    /// for spec files; this guards networks built in code).
    public init(network: Network, encoder: InputEncoder, settings: TTFSSpec) throws(MethodError) {
        guard network.timesteps == 1 else { throw MethodError("TTFS trains without a time axis: timesteps must be 1") }
        guard network.layers.last is DenseLayer, network.config.readout == .meanPotential else {
            throw MethodError("TTFS reads the membrane potential of a last dense layer: use readout \"mean-potential\"")
        }
        var kernels: [TTFSKernelLayer] = [], bns: [BatchNormLayer?] = []
        for (i, l) in network.layers.enumerated() {
            if l is any SpikingNeuronLayer { throw MethodError("TTFS: \(l.name) is not a temporal-kernel layer") }
            if let p = l as? PoolLayer, p.kind == .average { throw MethodError("TTFS pools by first spike: \(l.name) must be a max pool") }
            if let bn = l as? BatchNormLayer, bn.perStep { throw MethodError("TTFS: \(bn.name) must not be per step") }
            if let tk = l as? TTFSKernelLayer {
                kernels.append(tk)
                bns.append(i > 0 ? network.layers[i - 1] as? BatchNormLayer : nil)
            }
        }
        guard !kernels.isEmpty else { throw MethodError("TTFS needs temporal-kernel layers: add spiking layers") }
        self.network = network; self.encoder = encoder; self.settings = settings
        self.kernelLayers = kernels; self.batchNorms = bns
    }

    /// With the spec's `ttfs` settings (defaults when absent).
    public init(spec: RunSpec, network: Network, encoder: InputEncoder) throws(MethodError) {
        try self.init(network: network, encoder: encoder, settings: spec.ttfs ?? TTFSSpec())
    }

    /// The temporal-kernel activation with the spec's initial τ, t_d and window T_w: TTFS trains a surrogate DNN, and
    /// its spiking layers become neurons that fire once only in the SNN it evaluates (`TTFSNetworkSNN`).
    public static func spikingLayer(for neuron: NeuronSpec, spec: RunSpec) throws(MethodError) -> LayerConfig {
        let t = spec.ttfs ?? TTFSSpec()
        return .temporalKernel(TemporalKernel(tau: t.tau, delay: t.delay, window: t.window))
    }

    /// Steps the SNN runs: one window per weight layer (layer l integrates in window l − 1 and fires in window l).
    public func inferenceSteps(parameters: [Float]) -> Int { weightLayerCount * settings.window }

    var weightLayerCount: Int { network.layers.filter { $0 is ConvLayer || $0 is DenseLayer }.count }

    /// Probability that a hidden layer uses TK in epoch `epoch` (stochastic relaxation).
    public func relaxationProbability(epoch: Int) -> Float {
        ttfsRelaxationProbability(epoch: epoch, targetEpoch: settings.relaxationEpochs, bypass: settings.relaxationBypass)
    }

    /// The relaxation coin of TK layer `k` in (epoch, step): one uniform draw keyed by the run seed, epoch, step and
    /// layer — never by a worker's state — so every worker and every micro-batch of the step agree.
    public static func coin(seed: UInt64, epoch: Int, step: Int, layer k: Int) -> Float {
        var rng = RandomStream(seed: seed, epoch: UInt64(epoch) | (1 << 41), sample: UInt64(step) << 16 | UInt64(k))
        return rng.nextUniform()
    }

    /// Each TK layer's mode in a training step (METHODS §1.3: quantise in epochs > quantizeAfterEpoch, clip in epochs >
    /// clipAfterEpoch, kernel trained from kernelTrainingFrom on, TK with probability p(e), ReLU otherwise).
    public func trainingModes(seed: UInt64, epoch: Int, step: Int) -> [TTFSKernelMode] {
        let p = relaxationProbability(epoch: epoch)
        let q: TKQuantizer = epoch > settings.quantizeAfterEpoch ? .round : .none
        let clip = epoch > settings.clipAfterEpoch, train = epoch >= settings.kernelTrainingFrom
        return kernelLayers.indices.map { k in
            p >= 1 || Self.coin(seed: seed, epoch: epoch, step: step, layer: k) < p
                ? .kernel(quantizer: q, clip: clip, trainKernel: train) : .relu
        }
    }

    /// The surrogate's evaluation mode matching the SNN's threshold offset: q = 0.5 rounds, q = 0 takes the ceiling.
    public var matchingEvaluationMode: TTFSKernelMode {
        .kernel(quantizer: settings.thresholdOffset == 0.5 ? .round : .ceil, clip: true, trainKernel: false)
    }

    /// `matchingEvaluationMode` without the value at step T_w that the SNN cannot send: what the SNN computes.
    public var windowEvaluationMode: TTFSKernelMode {
        .window(quantizer: settings.thresholdOffset == 0.5 ? .round : .ceil)
    }

    public func run(_ work: MicroBatch, data: LabeledImages, parameters: [Float], state: [Float]) -> MicroBatchResult {
        switch work.phase.passMode {
        case .training: train(work, data: data, parameters: parameters, state: state)
        case .inference: evaluateSNN(work, data: data, parameters: parameters, state: state)
        }
    }

    /// Runs the surrogate DNN forward with `modes` for the TK layers; returns the logits and the last activation.
    func surrogateForward(_ input: Activation, modes: [TTFSKernelMode], context: inout PassContext,
                          caches: [LayerCache]) -> (logits: [Float], last: Activation) {
        var x = input, k = 0
        for (i, l) in network.layers.enumerated() {
            if let tk = l as? TTFSKernelLayer {
                x = tk.forward(x, mode: modes[k], context: &context, cache: caches[i]); k += 1
            } else {
                x = l.forward(x, context: &context, cache: caches[i])
            }
        }
        return (network.readout(x), x)
    }

    /// One training micro-batch of the surrogate: forward, cross-entropy, backward, then the regularisers' gradients
    /// (added once per sample, so that the step's division by the batch size leaves them at their weight).
    func train(_ work: MicroBatch, data: LabeledImages, parameters: [Float], state: [Float]) -> MicroBatchResult {
        let start = computeNanosNow()
        let input = encoder.encode(work, data: data, steps: 1)
        let modes = trainingModes(seed: work.seed, epoch: work.epoch, step: work.step)
        var grads = [Float](repeating: 0, count: network.parameterCount)
        var stats = [Float](repeating: 0, count: network.statisticsCount)
        let caches = network.makeCaches()
        var lossSum = 0.0, correct = 0
        var ledger = network.makeLedger()
        let labels = work.samples.map { data.labels[Int($0)] }
        parameters.withUnsafeBufferPointer { pp in
            state.withUnsafeBufferPointer { sp in
                grads.withUnsafeMutableBufferPointer { gp in
                    stats.withUnsafeMutableBufferPointer { stp in
                        var ctx = PassContext(mode: .training, steps: 1, parameters: pp.baseAddress!,
                                              state: sp.baseAddress ?? pp.baseAddress!, gradients: gp.baseAddress,
                                              statistics: stp.baseAddress, ledger: ledger)
                        let (logits, last) = surrogateForward(input, modes: modes, context: &ctx, caches: caches)
                        var dLogits = [Float](repeating: 0, count: logits.count)
                        let r = logits.withUnsafeBufferPointer { lp in
                            labels.withUnsafeBufferPointer { lb in
                                dLogits.withUnsafeMutableBufferPointer { dp in
                                    softmaxCrossEntropy(logits: lp.baseAddress!, batch: labels.count, classes: network.classes,
                                                        labels: lb.baseAddress!, scale: 1, gradLogits: dp.baseAddress)
                                }
                            }
                        }
                        lossSum = r.lossSum; correct = r.correct
                        network.backward(gradLogits: dLogits, last: last, context: &ctx, caches: caches)
                        ledger = ctx.ledger
                    }
                }
            }
        }
        lossSum += addRegularizers(epoch: work.epoch, parameters: parameters, gradients: &grads, samples: work.samples.count)
        return MicroBatchResult(gradient: grads, statistics: stats, lossSum: lossSum, correct: correct,
                                samples: work.samples.count, ledger: ledger, spikesPerLayer: [Int64](repeating: 0, count: network.layers.count),
                                steps: 1, computeNanos: computeNanosNow() &- start)
    }

    /// Adds `samples ×` the gradients of the L2-I regulariser (to τ, t_d; epochs > kernelTrainingFrom) and of the TKBN
    /// loss (to BN γ, β only; epochs > tkbnAfter), and returns `samples ×` their weighted values for the loss.
    public func addRegularizers(epoch: Int, parameters: [Float], gradients: inout [Float], samples: Int) -> Double {
        let n = Float(samples)
        var loss = 0.0
        if epoch > settings.kernelTrainingFrom && settings.kernelRegularization > 0 {
            let w = settings.kernelRegularization
            let r = ttfsInitialValueRegularizer(tau: kernelLayers.map { parameters[$0.parameterOffset] },
                                                delay: kernelLayers.map { parameters[$0.parameterOffset + 1] },
                                                tauInit: settings.tau, delayInit: settings.delay)
            for (k, l) in kernelLayers.enumerated() {
                gradients[l.parameterOffset] += n * w * r.gradTau[k]
                gradients[l.parameterOffset + 1] += n * w * r.gradDelay[k]
            }
            loss += Double(n * w) * r.value
        }
        if epoch > settings.tkbnAfter && settings.tkbnWeight > 0 {
            let w = settings.tkbnWeight
            for (k, l) in kernelLayers.enumerated() {
                guard let bn = batchNorms[k] else { continue }
                let xT = parameters.withUnsafeBufferPointer { l.kernel($0.baseAddress!).minValue }
                let c = bn.channels, g0 = bn.gammaOffset
                var sum = 0.0
                for ch in 0..<c {
                    let beta: Float = bn.shift ? parameters[g0 + c + ch] : 0
                    let t = ttfsTKBNTerm(gamma: parameters[g0 + ch], beta: beta, xT: xT)
                    gradients[g0 + ch] += n * w * t.dGamma
                    if bn.shift { gradients[g0 + c + ch] += n * w * t.dBeta }
                    sum += Double(t.value)
                }
                loss += Double(n * w) * sum
            }
        }
        return loss
    }

    /// Evaluation: the trained weights as an event-driven SNN; accuracy, loss (of the output membrane potentials),
    /// spikes per layer and energy events are the SNN's.
    func evaluateSNN(_ work: MicroBatch, data: LabeledImages, parameters: [Float], state: [Float]) -> MicroBatchResult {
        let start = computeNanosNow()
        let snn = TTFSNetworkSNN(method: self, parameters: parameters, state: state)
        var ledger = network.makeLedger()
        let input = encoder.encode(work, data: data, steps: 1)
        let outputs = snn.run(input, ledger: &ledger)
        let labels = work.samples.map { data.labels[Int($0)] }
        var logits: [Float] = []
        for o in outputs { logits += o.potentials }
        let r = logits.withUnsafeBufferPointer { lp in
            labels.withUnsafeBufferPointer { lb in
                softmaxCrossEntropy(logits: lp.baseAddress!, batch: labels.count, classes: network.classes,
                                    labels: lb.baseAddress!, scale: 1, gradLogits: nil)
            }
        }
        var spikes = [Int64](repeating: 0, count: network.layers.count)
        for o in outputs { for (k, l) in kernelLayers.enumerated() { spikes[l.index] += Int64(o.spikesPerLayer[k]) } }
        return MicroBatchResult(gradient: [], statistics: [], lossSum: r.lossSum, correct: r.correct, samples: work.samples.count,
                                ledger: ledger, spikesPerLayer: spikes, steps: snn.latency, computeNanos: computeNanosNow() &- start)
    }

    /// The surrogate DNN's logits in evaluation (BN running statistics, TK in `mode`), `[batch, classes]`.
    public func surrogateLogits(_ work: MicroBatch, data: LabeledImages, parameters: [Float], state: [Float],
                                mode: TTFSKernelMode) -> [Float] {
        let input = encoder.encode(work, data: data, steps: 1)
        let caches = network.makeCaches()
        return parameters.withUnsafeBufferPointer { pp in
            state.withUnsafeBufferPointer { sp in
                var ctx = PassContext(mode: .inference, steps: 1, parameters: pp.baseAddress!, state: sp.baseAddress ?? pp.baseAddress!,
                                      gradients: nil, statistics: nil, ledger: network.makeLedger())
                return surrogateForward(input, modes: kernelLayers.map { _ in mode }, context: &ctx, caches: caches).logits
            }
        }
    }
}
