import SNNCore
import SNNEnergy

/// 2-D convolution over channels-last feature maps, applied to every step (all T·B images in one pass).
public final class ConvLayer: Layer, @unchecked Sendable {
    public let name: String
    public let index: Int
    public let geometry: ConvGeometry
    public let hasBias: Bool
    /// Synaptic fan-out of each input pixel (per output channel), for exact event-driven counts.
    private let fanOut: [Int32]
    private let tapsPerImage: Int64
    public var parameterOffset = 0, stateOffset = 0, statisticsOffset = 0
    public var inputShape: [Int] { [geometry.height, geometry.width, geometry.channels] }
    public var outputShape: [Int] { [geometry.outHeight, geometry.outWidth, geometry.outChannels] }
    public var parameterCount: Int { geometry.weightCount + (hasBias ? geometry.outChannels : 0) }
    public var annMACsPerSample: Int64 { tapsPerImage * Int64(geometry.channels * geometry.outChannels) }

    public init(name: String, index: Int, geometry: ConvGeometry, bias: Bool) {
        self.name = name; self.index = index; self.geometry = geometry; self.hasBias = bias
        self.fanOut = geometry.inputFanOut()
        self.tapsPerImage = Int64(geometry.validTaps())
    }

    public func initialize(parameters: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
                           initializer: WeightInitializer, rng: inout RandomStream) {
        let g = geometry
        initializer.fill(parameters + parameterOffset, count: g.weightCount,
                         fanIn: g.patch, fanOut: g.kernel * g.kernel * g.outChannels, rng: &rng)
        if hasBias { initializer.fillBias(parameters + parameterOffset + g.weightCount, count: g.outChannels, fanIn: g.patch, rng: &rng) }
    }

    public func forward(_ x: Activation, context: inout PassContext, cache: LayerCache) -> Activation {
        let g = geometry
        precondition(x.featureCount == g.inputSize, "\(name): expected input \(inputShape), got \(x.features)")
        let images = x.steps * x.batch
        var y = Activation(uninitialized: x.steps, batch: x.batch, features: outputShape)
        let sc = Conv2D.scratchCount(g, images: images)
        var scratch = [Float](unsafeUninitializedCapacity: sc) { _, c in c = sc }
        let w = context.parameters + parameterOffset
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                scratch.withUnsafeMutableBufferPointer { sp in
                    Conv2D.forward(g, input: xp.baseAddress!, images: images, weights: w,
                                   bias: hasBias ? UnsafePointer(w + g.weightCount) : nil,
                                   output: yp.baseAddress!, scratch: sp.baseAddress!)
                }
            }
        }
        countForward(x, context: &context)
        if context.mode == .training { cache.input = x }
        return y
    }

    private func countForward(_ x: Activation, context: inout PassContext) {
        let g = geometry, phase = context.forwardPhase
        let denseMACs = tapsPerImage * Int64(g.channels * g.outChannels)
        for t in 0..<x.steps {
            var e = EventCounts()
            if x.spikeLike {
                // Σ over non-zero inputs of (output positions reading that pixel) × output channels.
                var ops: Int64 = 0
                let m = Float(x.spikeMultiplicity)
                x.data.withUnsafeBufferPointer { p in
                    let base = t * x.stepCount
                    for b in 0..<x.batch {
                        let img = base + b * g.inputSize
                        for pix in 0..<(g.height * g.width) {
                            let f = Int64(fanOut[pix])
                            if f == 0 { continue }
                            for c in 0..<g.channels where p[img + pix * g.channels + c] != 0 {
                                ops += m == 1 ? f : f * Int64((abs(p[img + pix * g.channels + c]) * m).rounded())
                            }
                        }
                    }
                }
                e.synapticOps = ops * Int64(g.outChannels); e.weightReads = e.synapticOps
            } else {
                e.macs = denseMACs * Int64(x.batch); e.weightReads = e.macs
            }
            if hasBias { e.synapticOps += Int64(x.batch * g.outputSize) }
            if context.mode == .training { e.savedStateWrites = x.savedWordsPerStep }   // the input, for dW
            context.ledger.record(phase, layer: index, t: t, e)
        }
    }

    public func backward(_ dy: Activation, context: inout PassContext, cache: LayerCache, needInput: Bool) -> Activation? {
        guard let x = cache.input, let grads = context.gradients else { preconditionFailure("\(name): backward without forward") }
        let g = geometry
        precondition(dy.steps == x.steps, "\(name): gradient steps \(dy.steps) != input steps \(x.steps)")
        let images = x.steps * x.batch
        var dx: Activation? = needInput ? Activation(uninitialized: x.steps, batch: x.batch, features: x.features) : nil
        let sc = Conv2D.scratchCount(g, images: images)
        var scratch = [Float](unsafeUninitializedCapacity: sc) { _, c in c = sc }
        let w = context.parameters + parameterOffset
        let gw = grads + parameterOffset
        x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dp in
                scratch.withUnsafeMutableBufferPointer { sp in
                    if dx != nil {
                        dx!.data.withUnsafeMutableBufferPointer { dxp in
                            Conv2D.backward(g, input: xp.baseAddress!, images: images, weights: w, gradOutput: dp.baseAddress!,
                                            gradWeights: gw, gradBias: hasBias ? gw + g.weightCount : nil,
                                            gradInput: dxp.baseAddress!, scratch: sp.baseAddress!)
                        }
                    } else {
                        Conv2D.backward(g, input: xp.baseAddress!, images: images, weights: w, gradOutput: dp.baseAddress!,
                                        gradWeights: gw, gradBias: hasBias ? gw + g.weightCount : nil,
                                        gradInput: nil, scratch: sp.baseAddress!)
                    }
                }
            }
        }
        let perStep = tapsPerImage * Int64(g.channels * g.outChannels) * Int64(x.batch)
        for t in 0..<x.steps {
            var e = EventCounts()
            e.macs = perStep * (needInput ? 2 : 1)
            e.weightReads = needInput ? perStep : 0
            e.savedStateReads = x.savedWordsPerStep
            context.ledger.record(.trainBackward, layer: index, t: t, e)
        }
        cache.input = nil
        return dx
    }
}
