import SNNCore
import SNNEnergy

/// A feed-forward spiking network: an ordered list of layers sharing one flat parameter vector, one flat state
/// vector (running statistics) and one flat batch-statistics vector.
///
/// The network is immutable after construction and safe to share between threads; each concurrent micro-batch
/// brings its own caches (`makeCaches()`).
public final class Network: @unchecked Sendable {
    public let config: NetworkConfig
    public let layers: [any Layer]
    public let parameterCount: Int
    public let stateCount: Int
    public let statisticsCount: Int
    public var timesteps: Int { config.timesteps }
    public var classes: Int { layers.last!.outputShape.reduce(1, *) }
    public var layerNames: [String] { layers.map(\.name) }
    /// Batch norm → LIF → average pool blocks, by the index of their batch norm, run forward as one pass.
    private let fusedBlocks: [Int: BatchNormSpikingPool]

    public init(_ config: NetworkConfig) {
        self.config = config
        var built: [any Layer] = []
        var shape = config.inputShape
        var kinds: [String: Int] = [:]
        func label(_ k: String) -> String { kinds[k, default: 0] += 1; return "\(k)\(kinds[k]!)" }
        for (i, l) in config.layers.enumerated() {
            let layer: any Layer
            switch l {
            case let .conv(channels, kernel, stride, padding, bias):
                let g = ConvGeometry(height: shape[0], width: shape[1], channels: shape[2], kernel: kernel,
                                     stride: stride, padding: padding, outChannels: channels)
                layer = ConvLayer(name: label("conv"), index: i, geometry: g, bias: bias)
            case let .dense(units, bias):
                layer = DenseLayer(name: label("fc"), index: i, inputs: shape.reduce(1, *), outputs: units, bias: bias)
            case let .batchNorm(perStep, shift, epsilon, momentum, sharedAffine):
                layer = BatchNormLayer(name: label(perStep ? "bntt" : "bn"), index: i, shape: shape, perStep: perStep,
                                       shift: shift, epsilon: epsilon, momentum: momentum, timesteps: config.timesteps,
                                       sharedAffine: sharedAffine)
            case let .spiking(neuron, surrogate):
                layer = SpikingLayer(name: label("lif"), index: i, shape: shape, neuron: neuron, surrogate: surrogate)
            case let .dsrSpiking(neuron, threshold):
                layer = DSRSpikingLayer(name: label("dsr"), index: i, shape: shape, neuron: neuron, initialThreshold: threshold)
            case let .avgPool(size):
                layer = PoolLayer(name: label("avgpool"), index: i, kind: .average, size: size, inputShape: shape)
            case let .maxPool(size):
                layer = PoolLayer(name: label("maxpool"), index: i, kind: .max, size: size, inputShape: shape)
            case .flatten:
                layer = FlattenLayer(name: label("flatten"), index: i, inputShape: shape)
            case let .temporalKernel(kernel):
                layer = TTFSKernelLayer(name: label("tk"), index: i, shape: shape, kernel: kernel)
            case .relu:
                layer = ReLULayer(name: label("relu"), index: i, shape: shape)
            }
            shape = layer.outputShape
            built.append(layer)
        }
        var p = 0, s = 0, st = 0
        for l in built {
            l.parameterOffset = p; p += l.parameterCount
            l.stateOffset = s; s += l.stateCount
            l.statisticsOffset = st; st += l.statisticsCount
        }
        layers = built; parameterCount = p; stateCount = s; statisticsCount = st
        var blocks: [Int: BatchNormSpikingPool] = [:]
        for i in built.indices { if let b = BatchNormSpikingPool(built, at: i) { blocks[i] = b } }
        fusedBlocks = blocks
    }

    /// Fresh caches for one micro-batch (empty until a training forward saves each layer's state).
    public func makeCaches() -> [LayerCache] { layers.map { _ in LayerCache() } }

    /// An empty ledger shaped for this network.
    public func makeLedger() -> EventLedger { EventLedger(layerNames: layerNames, timesteps: timesteps) }

    /// Initial parameters and state, a deterministic function of `seed`.
    public func initialValues(seed: UInt64) -> (parameters: [Float], state: [Float]) {
        var params = [Float](repeating: 0, count: parameterCount)
        var state = [Float](repeating: 0, count: stateCount)
        params.withUnsafeMutableBufferPointer { pp in
            state.withUnsafeMutableBufferPointer { sp in
                for l in layers {
                    var rng = RandomStream(seed: seed, epoch: 0xFFFF_FFFF, sample: UInt64(l.index))
                    l.initialize(parameters: pp.baseAddress!, state: sp.baseAddress ?? UnsafeMutablePointer(pp.baseAddress!),
                                 initializer: config.initializer, rng: &rng)
                }
            }
        }
        return (params, state)
    }

    /// Runs all layers forward and returns the logits `[batch, classes]` (row-major) and the last layer's output.
    ///
    /// `fused`: batch norm → LIF → average pool blocks run as one pass (`BatchNormSpikingPool`), with the same
    /// results, saved states and event counts as layer by layer (false: layer by layer, to measure or test that).
    public func forward(_ input: Activation, context: inout PassContext, caches: [LayerCache],
                        fused: Bool = BatchNormSpikingPool.enabled) -> (logits: [Float], last: Activation) {
        var x = input
        var i = 0
        while i < layers.count {
            if fused, let block = fusedBlocks[i], block.fuses(context.mode) {
                x = block.forward(x, context: &context, caches: caches[i..<(i + 3)])
                i += 3
            } else {
                x = layers[i].forward(x, context: &context, cache: caches[i])
                i += 1
            }
        }
        return (readout(x), x)
    }

    /// Logits from the last layer's output.
    public func readout(_ y: Activation) -> [Float] {
        if config.readout == .rate, let r = layers.last as? any RateReadout { return r.rate(y) }
        let k = y.featureCount, n = y.batch * k
        var logits = [Float](repeating: 0, count: n)
        let scale: Float = config.readout == .spikeCount ? 1 : 1 / Float(y.steps)
        y.data.withUnsafeBufferPointer { p in
            for t in 0..<y.steps { for i in 0..<n { logits[i] += p[t * n + i] } }
        }
        if scale != 1 { for i in 0..<n { logits[i] *= scale } }
        return logits
    }

    /// Back-propagates the logits' gradient through every layer, accumulating into `context.gradients`.
    ///
    /// `fused`: the average pool and LIF layer of each batch norm → LIF → average pool block (soft reset) run their
    /// backward as one pass, with the same gradients and event counts (false: layer by layer).
    public func backward(gradLogits: [Float], last: Activation, context: inout PassContext, caches: [LayerCache],
                         fused: Bool = BatchNormSpikingPool.enabled) {
        let n = last.stepCount
        var dy: Activation
        if config.readout == .rate, let r = layers.last as? any RateReadout {
            dy = r.rateBackward(gradLogits, like: last)
        } else {
            let scale: Float = config.readout == .spikeCount ? 1 : 1 / Float(last.steps)
            var d = [Float](repeating: 0, count: last.steps * n)
            for t in 0..<last.steps { for i in 0..<n { d[t * n + i] = gradLogits[i] * scale } }
            dy = Activation(steps: last.steps, batch: last.batch, features: last.features, data: d)
        }
        // Below the first layer with parameters no gradient is needed: that layer computes only its parameters'
        // gradient (W1's fc1 sits after a flatten; its input gradient was a third of the GEMM work, thrown away).
        let firstTrainable = layers.firstIndex { $0.parameterCount > 0 } ?? layers.count
        var i = layers.count - 1
        while i >= 0 {
            // A fused forward that kept no potentials (`RecomputedSpikingLayerState`) needs the fused backward.
            if i >= 2, let block = fusedBlocks[i - 2], block.fusesBackward,
               fused || caches[i - 1].saved(RecomputedSpikingLayerState.self) != nil {
                dy = block.backwardPoolAndNeurons(dy, context: &context, caches: caches[(i - 2)...i])
                i -= 2
                continue
            }
            guard let dx = layers[i].backward(dy, context: &context, cache: caches[i], needInput: i > firstTrainable) else {
                // The layers below keep nothing a backward pass would read; let go of whatever they saved.
                for j in 0..<i { caches[j].discard() }
                break
            }
            dy = dx
            i -= 1
        }
    }

    /// Multiply-accumulates one sample costs in the equivalent non-spiking network (same topology, no time axis).
    public var annMACsPerSample: Int64 { layers.reduce(0) { $0 + $1.annMACsPerSample } }

    /// Per layer: folds the step's reduced batch statistics into the running state.
    public func applyStatistics(_ stats: [Float], to state: inout [Float], microBatchSize: Int) {
        guard statisticsCount > 0 else { return }
        stats.withUnsafeBufferPointer { sp in
            state.withUnsafeMutableBufferPointer { st in
                for l in layers where l.statisticsCount > 0 {
                    l.applyStatistics(sp.baseAddress!, state: st.baseAddress!, microBatchSize: microBatchSize, steps: timesteps)
                }
            }
        }
    }
}
