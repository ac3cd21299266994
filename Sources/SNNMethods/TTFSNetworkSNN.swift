import SNNCore
import SNNEnergy
import SNNModel

/// What the SNN did with one sample.
public struct TTFSSampleOutput: Sendable {
    /// Output-layer membrane potentials after integration (the logits).
    public var potentials: [Float]
    /// Spikes of each TK layer (≤ its neuron count: one per neuron at most).
    public var spikesPerLayer: [Int]
    /// Largest number of spikes any single neuron emitted (checked: 0 or 1).
    public var maxSpikesPerNeuron: Int
    /// Global step from which the output's argmax no longer changes (≤ the latency).
    public var decisionStep: Int
}

/// A trained TTFS network run as a real spiking network (METHODS §1.2, §1.4): BN folded into the weights, one
/// firing window of T_w steps per layer (phase-separated: layer l integrates while layer l − 1 fires), the dynamic
/// threshold θ(t) = exp(−(t + q − t_d)/τ), at most one spike per neuron, integration of each spike through the previous
/// layer's kernel κ(t'), bias at t = 0, first-spike max pooling, and a non-spiking output layer read as membrane
/// potential.
///
/// Event-driven: after the first layer (the real-valued image injected once at t = 0), the synaptic work is one
/// fan-out per spike; a neuron's firing step is found from its integrated potential against the T_w thresholds.
public struct TTFSNetworkSNN: Sendable {
    enum Stage: Sendable {
        /// A conv (with `geometry`) or dense layer, BN folded in: weights `[patch or inputs, outputs]`, bias per output.
        case weights(layer: Int, geometry: ConvGeometry?, inputs: Int, outputs: Int, channels: Int, weights: [Float], bias: [Float])
        /// The TK layer's neurons: fire once when U ≥ θ(t).
        case fire(layer: Int, kernelIndex: Int, kernel: TemporalKernel, thresholds: [Float])
        /// First-spike max pooling over `size`×`size` windows of an `[H, W, C]` map.
        case maxPool(layer: Int, size: Int, shape: [Int])
    }

    let stages: [Stage]
    let layerCount: Int
    let kernelCount: Int
    let classes: Int
    public let window: Int
    /// Steps to the end of the output layer's integration window: weight layers × T_w.
    public let latency: Int

    /// Folds BN (running statistics) into the weights and takes each TK layer's trained τ, t_d.
    public init(method: TTFS, parameters: [Float], state: [Float]) {
        let net = method.network
        let q = method.settings.thresholdOffset
        var stages: [Stage] = []
        var weightLayers = 0
        let layers = net.layers
        var i = 0
        while i < layers.count {
            let l = layers[i]
            if let conv = l as? ConvLayer {
                let g = conv.geometry
                var w = Array(parameters[conv.parameterOffset..<(conv.parameterOffset + g.weightCount)])
                var b = conv.hasBias ? Array(parameters[(conv.parameterOffset + g.weightCount)..<(conv.parameterOffset + g.weightCount + g.outChannels)])
                                     : [Float](repeating: 0, count: g.outChannels)
                if i + 1 < layers.count, let bn = layers[i + 1] as? BatchNormLayer {
                    Self.fold(bn, parameters: parameters, state: state, weights: &w, bias: &b, outputs: g.outChannels); i += 1
                }
                stages.append(.weights(layer: conv.index, geometry: g, inputs: g.inputSize, outputs: g.outputSize,
                                       channels: g.outChannels, weights: w, bias: b))
                weightLayers += 1
            } else if let dense = l as? DenseLayer {
                let n = dense.inputs * dense.outputs
                var w = Array(parameters[dense.parameterOffset..<(dense.parameterOffset + n)])
                var b = dense.hasBias ? Array(parameters[(dense.parameterOffset + n)..<(dense.parameterOffset + n + dense.outputs)])
                                      : [Float](repeating: 0, count: dense.outputs)
                if i + 1 < layers.count, let bn = layers[i + 1] as? BatchNormLayer {
                    Self.fold(bn, parameters: parameters, state: state, weights: &w, bias: &b, outputs: dense.outputs); i += 1
                }
                stages.append(.weights(layer: dense.index, geometry: nil, inputs: dense.inputs, outputs: dense.outputs,
                                       channels: dense.outputs, weights: w, bias: b))
                weightLayers += 1
            } else if let tk = l as? TTFSKernelLayer {
                let k = parameters.withUnsafeBufferPointer { tk.kernel($0.baseAddress!) }
                let kIndex = method.kernelLayers.firstIndex { $0 === tk }!
                stages.append(.fire(layer: tk.index, kernelIndex: kIndex, kernel: k, thresholds: k.thresholds(offset: q)))
            } else if let pool = l as? PoolLayer {
                stages.append(.maxPool(layer: pool.index, size: pool.size, shape: pool.inputShape))
            }
            // Flatten: channels-last order is already the vector order; nothing to do.
            i += 1
        }
        self.stages = stages
        self.layerCount = layers.count
        self.kernelCount = method.kernelLayers.count
        self.classes = net.classes
        self.window = method.settings.window
        self.latency = weightLayers * method.settings.window
    }

    /// W' = W·γ/√(σ² + ε) per output channel, b' = (b − μ)·γ/√(σ² + ε) + β (running statistics).
    static func fold(_ bn: BatchNormLayer, parameters: [Float], state: [Float], weights: inout [Float], bias: inout [Float], outputs: Int) {
        let c = bn.channels
        var scale = [Float](repeating: 0, count: c), shift = scale
        for ch in 0..<c {
            let gamma = parameters[bn.gammaOffset + ch]
            let beta: Float = bn.shift ? parameters[bn.gammaOffset + c + ch] : 0
            let mean = state[bn.stateOffset + ch], variance = state[bn.stateOffset + c + ch]
            scale[ch] = gamma / (variance + bn.epsilon).squareRoot()
            shift[ch] = beta - mean * scale[ch]
        }
        for j in weights.indices { weights[j] *= scale[j % c] }
        for ch in 0..<bias.count { bias[ch] = bias[ch] * scale[ch % c] + shift[ch % c] }
    }

    /// Spikes of one layer: neuron index and local firing step.
    struct Spikes { var index: [Int32] = []; var time: [Int32] = [] }

    /// Runs every sample of `input` (`[batch, features]`, one step) through the SNN; counts events into `ledger`
    /// (phase inference).
    public func run(_ input: Activation, ledger: inout EventLedger) -> [TTFSSampleOutput] {
        guard case let .weights(firstLayer, g0, inputs0, outputs0, _, w0, b0) = stages[0] else { preconditionFailure("TTFS SNN starts with conv or dense") }
        let batch = input.batch
        // Layer 1: the real-valued image is injected once at t = 0 (no kernel): U = W'x + b' for the whole batch.
        var first = [Float](repeating: 0, count: batch * outputs0)
        input.data.withUnsafeBufferPointer { xp in
            first.withUnsafeMutableBufferPointer { yp in
                w0.withUnsafeBufferPointer { wp in
                    b0.withUnsafeBufferPointer { bp in
                        if let g = g0 {
                            let sc = Conv2D.scratchCount(g, images: batch)
                            var scratch = [Float](repeating: 0, count: sc)
                            scratch.withUnsafeMutableBufferPointer { sp in
                                Conv2D.forward(g, input: xp.baseAddress!, images: batch, weights: wp.baseAddress!, bias: bp.baseAddress!,
                                               output: yp.baseAddress!, scratch: sp.baseAddress!)
                            }
                        } else {
                            for r in 0..<batch { (yp.baseAddress! + r * outputs0).update(from: bp.baseAddress!, count: outputs0) }
                            BLAS.gemm(m: batch, n: outputs0, k: inputs0, a: xp.baseAddress!, lda: inputs0, b: wp.baseAddress!, ldb: outputs0,
                                      beta: 1, c: yp.baseAddress!, ldc: outputs0)
                        }
                    }
                }
            }
        }
        var e0 = EventCounts()
        let macs = Int64(batch) * (g0.map { Int64($0.validTaps()) * Int64($0.channels * $0.outChannels) } ?? Int64(inputs0 * outputs0))
        e0.macs = macs; e0.weightReads = macs; e0.synapticOps = Int64(batch * outputs0)
        ledger.record(.inference, layer: firstLayer, t: 0, e0)
        var counts = [EventCounts](repeating: EventCounts(), count: layerCount)
        var outputs: [TTFSSampleOutput] = []
        outputs.reserveCapacity(batch)
        for s in 0..<batch {
            outputs.append(runSample(firstPotentials: Array(first[(s * outputs0)..<((s + 1) * outputs0)]), counts: &counts))
        }
        for (l, e) in counts.enumerated() where e != EventCounts() { ledger.record(.inference, layer: l, t: 0, e) }
        return outputs
    }

    /// Stages 2… of one sample, from layer 1's integrated potentials.
    func runSample(firstPotentials: [Float], counts: inout [EventCounts]) -> TTFSSampleOutput {
        var potentials = firstPotentials
        var spikes = Spikes()
        var kernel = TemporalKernel(tau: 1, delay: 0, window: window)
        var spikesPerLayer = [Int](repeating: 0, count: kernelCount)
        var maxPerNeuron = 0
        var decision = 0
        var weightDepth = 1
        for stage in stages.dropFirst() {
            switch stage {
            case let .fire(layer, k, kern, thresholds):
                // Each neuron fires at most once: at the first step of its window where U ≥ θ(t).
                var out = Spikes()
                var fired = [UInt8](repeating: 0, count: potentials.count)
                var updates: Int64 = 0
                thresholds.withUnsafeBufferPointer { th in
                    for j in potentials.indices {
                        let t = ttfsFireStep(potential: potentials[j], thresholds: th.baseAddress!, window: window)
                        if t < window {
                            out.index.append(Int32(j)); out.time.append(Int32(t))
                            fired[j] &+= 1
                            updates += Int64(t + 1)
                        } else {
                            updates += Int64(window)
                        }
                    }
                }
                maxPerNeuron = max(maxPerNeuron, Int(fired.max() ?? 0))
                spikesPerLayer[k] = out.index.count
                counts[layer].neuronUpdates += updates
                counts[layer].membraneReads += updates
                counts[layer].membraneWrites += Int64(potentials.count)
                counts[layer].spikes += Int64(out.index.count)
                spikes = out; kernel = kern
            case let .maxPool(layer, size, shape):
                // The first spike in each window passes; later ones are suppressed.
                let (h, w, c) = (shape[0], shape[1], shape[2])
                let oh = h / size, ow = w / size
                var first = [Int32](repeating: Int32.max, count: oh * ow * c)
                for (n, idx) in spikes.index.enumerated() {
                    let j = Int(idx), ch = j % c, x = (j / c) % w, y = j / (c * w)
                    let oy = y / size, ox = x / size
                    if oy >= oh || ox >= ow { continue }
                    let o = (oy * ow + ox) * c + ch
                    first[o] = min(first[o], spikes.time[n])
                }
                var out = Spikes()
                for (o, t) in first.enumerated() where t != Int32.max { out.index.append(Int32(o)); out.time.append(t) }
                counts[layer].synapticOps += Int64(spikes.index.count)
                spikes = out
            case let .weights(layer, geometry, _, outputs, channels, weights, bias):
                weightDepth += 1
                // Bias per output channel, at every position of a conv map.
                var u = [Float](repeating: 0, count: outputs)
                for o in 0..<outputs { u[o] = bias[o % channels] }
                var ops: Int64 = Int64(outputs)   // the bias, added once at t = 0
                let isOutput = weightDepth == weightLayersTotal
                // Integration: spike of presynaptic neuron i at local step t' adds W'[i, :]·κ(t').
                var order = Array(spikes.index.indices)
                if isOutput { order.sort { (spikes.time[$0], $0) < (spikes.time[$1], $1) } }
                var best = Self.argmax(u), lastTime: Int32 = -1
                weights.withUnsafeBufferPointer { wp in
                    u.withUnsafeMutableBufferPointer { up in
                        for n in order {
                            let i = Int(spikes.index[n]), t = spikes.time[n]
                            if isOutput && t != lastTime {
                                if lastTime >= 0 { let b = Self.argmax(up); if b != best { best = b; decision = Int(lastTime) + 1 } }
                                lastTime = t
                            }
                            let v = kernel.value(at: Float(t))
                            if let g = geometry {
                                ops += scatterConv(g, pixelChannel: i, value: v, weights: wp.baseAddress!, potentials: up.baseAddress!)
                            } else {
                                let row = wp.baseAddress! + i * outputs
                                for o in 0..<outputs { up[o] += v * row[o] }
                                ops += Int64(outputs)
                            }
                        }
                        if isOutput && lastTime >= 0 { let b = Self.argmax(up); if b != best { best = b; decision = Int(lastTime) + 1 } }
                    }
                }
                counts[layer].synapticOps += ops
                counts[layer].weightReads += ops - Int64(outputs)
                counts[layer].membraneWrites += Int64(outputs)
                potentials = u
            }
        }
        // The output layer integrates during window L − 1 (global steps (L−1)·T_w …).
        let decisionStep = (weightLayersTotal - 1) * window + decision
        return TTFSSampleOutput(potentials: potentials, spikesPerLayer: spikesPerLayer, maxSpikesPerNeuron: maxPerNeuron,
                                decisionStep: decisionStep)
    }

    var weightLayersTotal: Int { latency / max(1, window) }

    /// Adds `value × W'[tap, c, :]` to every output position the input pixel-channel `pixelChannel` feeds.
    /// Returns the synaptic operations (output values touched).
    func scatterConv(_ g: ConvGeometry, pixelChannel j: Int, value v: Float, weights: UnsafePointer<Float>,
                     potentials: UnsafeMutablePointer<Float>) -> Int64 {
        let c = j % g.channels, pix = j / g.channels, x = pix % g.width, y = pix / g.width
        let co = g.outChannels
        var ops: Int64 = 0
        for ky in 0..<g.kernel {
            let ny = y + g.padding - ky
            if ny < 0 || ny % g.stride != 0 { continue }
            let oy = ny / g.stride
            if oy >= g.outHeight { continue }
            for kx in 0..<g.kernel {
                let nx = x + g.padding - kx
                if nx < 0 || nx % g.stride != 0 { continue }
                let ox = nx / g.stride
                if ox >= g.outWidth { continue }
                let w = weights + ((ky * g.kernel + kx) * g.channels + c) * co
                let u = potentials + (oy * g.outWidth + ox) * co
                for o in 0..<co { u[o] += v * w[o] }
                ops += Int64(co)
            }
        }
        return ops
    }

    /// First index of the largest value (ties → lowest index, as the loss counts correct predictions).
    static func argmax(_ u: UnsafeMutableBufferPointer<Float>) -> Int {
        var b = 0
        for k in 1..<u.count where u[k] > u[b] { b = k }
        return b
    }

    static func argmax(_ u: [Float]) -> Int {
        var b = 0
        for k in 1..<u.count where u[k] > u[b] { b = k }
        return b
    }
}
