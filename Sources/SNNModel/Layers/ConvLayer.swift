#if canImport(Glibc)
import Glibc
#endif
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
        let w = context.parameters + parameterOffset
        if eventDriven(x) {
            x.data.withUnsafeBufferPointer { xp in
                y.data.withUnsafeMutableBufferPointer { yp in
                    withSpikeScratch { v, r, c in
                        SpikeConv2D.forward(g, input: xp.baseAddress!, images: images, weights: w,
                                            bias: hasBias ? UnsafePointer(w + g.weightCount) : nil,
                                            output: yp.baseAddress!, values: v, rows: r, counts: c)
                    }
                }
            }
            countForward(x, context: &context)
            if context.mode == .training { cache.save(ConvLayerState(input: x, eventDriven: true)) }
            return y
        }
        if ConvLayer.directForward(g) {
            x.data.withUnsafeBufferPointer { xp in
                y.data.withUnsafeMutableBufferPointer { yp in
                    DirectConv3x3.forward(g, input: xp.baseAddress!, images: images, weights: w,
                                          bias: hasBias ? UnsafePointer(w + g.weightCount) : nil, output: yp.baseAddress!)
                }
            }
            countForward(x, context: &context)
            if context.mode == .training { cache.save(ConvLayerState(input: x, eventDriven: false)) }
            return y
        }
        let sc = Conv2D.scratchCount(g, images: images)
        var scratch = [Float](unsafeUninitializedCapacity: sc) { _, c in c = sc }
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
        if context.mode == .training { cache.save(ConvLayerState(input: x, eventDriven: false)) }
        return y
    }

    /// Sparse (spike or pooled-spike) input on a geometry the event-driven kernels handle: they skip the zeros
    /// instead of multiplying them (`SpikeConv2D`). Constant real-valued input (the image) keeps im2col + GEMM.
    ///
    /// (`eventDrivenDensityAgainstDirect` where the direct 3×3 kernels run instead of im2col + GEMM.)
    /// Only while the input is sparse enough: each non-zero costs the event-driven kernel several times what a MAC
    /// costs the GEMM, so it wins only below `eventDrivenDensity` non-zero inputs (measured on W2's second conv:
    /// 1.8x faster at ~1 % firing, 1.2x slower at ~15 % firing, where about 40 % of the pooled inputs are non-zero),
    /// and only with several input channels (with 1 input channel, BNTT's first conv, it was slower at any density).
    /// The choice depends only on the micro-batch's own values, so it is the same on every thread and worker.
    private func eventDriven(_ x: Activation) -> Bool {
        guard x.spikeLike && ConvLayer.eventDrivenEnabled && SpikeConv2D.supports(geometry) && geometry.channels >= 8
        else { return false }
        let nonZeros = x.data.withUnsafeBufferPointer { Events.nonZeros($0.baseAddress!, count: $0.count) }
        let limit = ConvLayer.directForward(geometry) ? ConvLayer.eventDrivenDensityAgainstDirect : ConvLayer.eventDrivenDensity
        return Double(nonZeros) < limit * Double(x.data.count)
    }

    /// Largest fraction of non-zero inputs for which the event-driven kernels run instead of im2col + GEMM.
    public static let eventDrivenDensity = 0.1

    /// The same where the direct 3×3 kernels handle the geometry: they cost the same at any density, and on W2's
    /// second conv (512 images, forward + weight gradient, one thread) took 19 ms against the event-driven kernels'
    /// 8 ms at 1 % non-zero inputs, 19 ms at 3 % and 39 ms at 10 %.
    public static let eventDrivenDensityAgainstDirect = 0.025

    /// Off only to measure the im2col + GEMM path against the event-driven one (SNN_CONV_DENSE=1).
    public static let eventDrivenEnabled = getenv("SNN_CONV_DENSE") == nil

    /// Off only to measure the im2col + GEMM path against the direct 3×3 kernels (SNN_CONV_IM2COL=1).
    public static let directEnabled = getenv("SNN_CONV_IM2COL") == nil

    /// Whether the forward of `g` runs the direct 3×3 kernel (`DirectConv3x3`) instead of im2col + GEMM. A rule on
    /// the geometry only, so every thread and worker takes the same path (see `DirectConv3x3` for the measurements).
    public static func directForward(_ g: ConvGeometry) -> Bool {
        directEnabled && DirectConv3x3.supportsForward(g)
    }

    /// Whether the weight gradient of `g` runs `DirectConv3x3.weightGradient` (geometry only).
    public static func directWeightGradient(_ g: ConvGeometry) -> Bool {
        directEnabled && DirectConv3x3.supportsWeightGradient(g)
    }

    /// Whether the input gradient of `g` runs `DirectConv3x3.inputGradient` (geometry only).
    public static func directInputGradient(_ g: ConvGeometry) -> Bool {
        directEnabled && DirectConv3x3.supportsInputGradient(g)
    }

    /// One image's non-zero list (values, weight-row offsets, per-pixel counts) for `SpikeConv2D`.
    private func withSpikeScratch(_ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Void) {
        let n = SpikeConv2D.scratchCount(geometry), pixels = geometry.height * geometry.width
        withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { v in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: n + pixels) { r in
                body(v.baseAddress!, r.baseAddress!, r.baseAddress! + n)
            }
        }
    }

    private func countForward(_ x: Activation, context: inout PassContext) {
        let g = geometry, phase = context.forwardPhase
        let denseMACs = tapsPerImage * Int64(g.channels * g.outChannels)
        for t in 0..<x.steps {
            var e = EventCounts()
            if x.spikeLike {
                // Σ over non-zero inputs of (output positions reading that pixel) × output channels.
                // (Vector loop: `Events.fannedConstituents`, exact.)
                var ops: Int64 = 0
                let m = Float(x.spikeMultiplicity)
                x.data.withUnsafeBufferPointer { p in
                    fanOut.withUnsafeBufferPointer { f in
                        let base = t * x.stepCount
                        for b in 0..<x.batch {
                            ops += Events.fannedConstituents(p.baseAddress! + base + b * g.inputSize, pixels: g.height * g.width,
                                                             channels: g.channels, multiplicity: m, fanOut: f.baseAddress!)
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
        guard let saved = cache.take(ConvLayerState.self), let grads = context.gradients
        else { preconditionFailure("\(name): backward without forward") }
        let x = saved.input
        let g = geometry
        precondition(dy.steps == x.steps, "\(name): gradient steps \(dy.steps) != input steps \(x.steps)")
        let images = x.steps * x.batch
        var dx: Activation? = needInput ? Activation(uninitialized: x.steps, batch: x.batch, features: x.features) : nil
        let w = context.parameters + parameterOffset
        let gw = grads + parameterOffset
        let directX = ConvLayer.directInputGradient(g)
        var inputDone = false
        x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dp in
                if saved.eventDriven || ConvLayer.directWeightGradient(g) {
                    if saved.eventDriven {   // the forward ran event-driven: the weight gradient too
                        withSpikeScratch { v, r, c in
                            SpikeConv2D.weightGradient(g, input: xp.baseAddress!, images: images, gradOutput: dp.baseAddress!,
                                                       gradWeights: gw, values: v, rows: r, counts: c)
                        }
                    } else {
                        DirectConv3x3.weightGradient(g, input: xp.baseAddress!, images: images, gradOutput: dp.baseAddress!,
                                                     gradWeights: gw)
                    }
                    if hasBias {
                        let gb = gw + g.weightCount
                        for r in 0..<(images * g.outputPositions) { for o in 0..<g.outChannels { gb[o] += dp[r * g.outChannels + o] } }
                    }
                } else {
                    // im2col + GEMM; it also writes the input gradient unless the direct kernel does.
                    let sc = Conv2D.scratchCount(g, images: images)
                    var scratch = [Float](unsafeUninitializedCapacity: sc) { _, c in c = sc }
                    scratch.withUnsafeMutableBufferPointer { sp in
                        if dx != nil && !directX {
                            dx!.data.withUnsafeMutableBufferPointer { dxp in
                                Conv2D.backward(g, input: xp.baseAddress!, images: images, weights: w, gradOutput: dp.baseAddress!,
                                                gradWeights: gw, gradBias: hasBias ? gw + g.weightCount : nil,
                                                gradInput: dxp.baseAddress!, scratch: sp.baseAddress!)
                            }
                            inputDone = true
                        } else {
                            Conv2D.backward(g, input: xp.baseAddress!, images: images, weights: w, gradOutput: dp.baseAddress!,
                                            gradWeights: gw, gradBias: hasBias ? gw + g.weightCount : nil,
                                            gradInput: nil, scratch: sp.baseAddress!)
                        }
                    }
                }
                if dx != nil && !inputDone {
                    dx!.data.withUnsafeMutableBufferPointer { dxp in
                        if directX {
                            DirectConv3x3.inputGradient(g, images: images, weights: w, gradOutput: dp.baseAddress!,
                                                        gradInput: dxp.baseAddress!)
                        } else {
                            let sc = Conv2D.scratchCount(g, images: images)
                            var scratch = [Float](unsafeUninitializedCapacity: sc) { _, c in c = sc }
                            scratch.withUnsafeMutableBufferPointer { sp in
                                Conv2D.inputGradient(g, images: images, weights: w, gradOutput: dp.baseAddress!,
                                                     gradInput: dxp.baseAddress!, scratch: sp.baseAddress!)
                            }
                        }
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
        return dx
    }
}
