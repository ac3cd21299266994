import SNNCore
import SNNEnergy

/// Batch normalisation over the channel (last) axis, in one of two statistics modes:
///
/// - per step (BNTT, METHODS §3.3): every time step t has its own γ_t (and β_t), its own batch statistics and its
///   own running statistics; a constant input is first copied to all T steps;
/// - stacked (DSR §2.3, the W2 benchmark): one γ/β and statistics over all T·B values; a constant input stays
///   constant (its statistics over T copies equal those over one, and so does the summed gradient);
/// - per step with `sharedAffine` (snnTorch's `nn.BatchNorm2d` called once per step, the W2 peer): statistics and
///   running statistics per step as BNTT, but one γ/β shared by all steps (its gradient is the sum over the steps).
///
/// Statistics are per micro-batch (like unsynchronised BN under data parallelism); each step's running statistics
/// are updated with the mean of the micro-batches' statistics, so the result is independent of how many workers ran them.
public final class BatchNormLayer: Layer, @unchecked Sendable {
    public let name: String
    public let index: Int
    public let shape: [Int]
    public let perStep: Bool
    public let shift: Bool
    public let epsilon: Float
    public let momentum: Float
    /// One γ/β for all steps although the statistics are per step (only with `perStep`).
    public let sharedAffine: Bool
    /// Number of statistics groups: T when per step, 1 when stacked.
    public let groups: Int
    /// Number of γ (and β) sets: 1 when stacked or `sharedAffine`, else `groups`.
    public var affineGroups: Int { sharedAffine ? 1 : groups }
    public var parameterOffset = 0, stateOffset = 0, statisticsOffset = 0
    public var inputShape: [Int] { shape }
    public var outputShape: [Int] { shape }
    public var channels: Int { shape.last! }
    public var parameterCount: Int { affineGroups * channels * (shift ? 2 : 1) }
    /// Running mean then running variance, `groups × channels` each.
    public var stateCount: Int { 2 * groups * channels }
    /// Batch mean then biased batch variance, `groups × channels` each.
    public var statisticsCount: Int { 2 * groups * channels }

    public init(name: String, index: Int, shape: [Int], perStep: Bool, shift: Bool, epsilon: Float, momentum: Float, timesteps: Int,
                sharedAffine: Bool = false) {
        precondition(!sharedAffine || perStep, "sharedAffine needs perStep")
        self.name = name; self.index = index; self.shape = shape; self.perStep = perStep; self.shift = shift
        self.epsilon = epsilon; self.momentum = momentum; self.groups = perStep ? timesteps : 1
        self.sharedAffine = sharedAffine
    }

    /// Offset of γ for all affine groups within the layer's parameters; β follows when `shift`.
    public var gammaOffset: Int { parameterOffset }

    public func initialize(parameters: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
                           initializer: WeightInitializer, rng: inout RandomStream) {
        let n = groups * channels, na = affineGroups * channels
        (parameters + parameterOffset).update(repeating: 1, count: na)
        if shift { (parameters + parameterOffset + na).update(repeating: 0, count: na) }
        (state + stateOffset).update(repeating: 0, count: n)
        (state + stateOffset + n).update(repeating: 1, count: n)
    }

    public func forward(_ x0: Activation, context: inout PassContext, cache: LayerCache) -> Activation {
        let c = channels, n = groups * c
        let x = perStep ? x0.broadcast(to: context.steps) : x0
        let g = perStep ? x.steps : 1
        let rows = (perStep ? 1 : x.steps) * x.batch * (x.featureCount / c)
        var y = Activation(uninitialized: x.steps, batch: x.batch, features: x.features)
        // γ/β per group: the layer's own, or (sharedAffine) its one set repeated for the g groups.
        let expanded = sharedAffine ? expandedAffine(context.parameters, groups: g) : nil
        defer { expanded?.deallocate() }
        let gamma = expanded.map { UnsafePointer($0) } ?? context.parameters + parameterOffset
        let beta: UnsafePointer<Float>? = shift ? gamma + (sharedAffine ? g * c : n) : nil
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                switch context.mode {
                case .training:
                    var mean = [Float](repeating: 0, count: g * c), inv = mean, variance = mean
                    batchNormForwardTraining(x: xp.baseAddress!, groups: g, rows: rows, channels: c, gamma: gamma, beta: beta,
                                             epsilon: epsilon, y: yp.baseAddress!, mean: &mean, invStd: &inv, variance: &variance)
                    if let s = context.statistics {
                        (s + statisticsOffset).update(from: mean, count: g * c)
                        (s + statisticsOffset + n).update(from: variance, count: g * c)
                    }
                    cache.save(BatchNormLayerState(input: x, mean: mean, invStd: inv, inputSteps: x0.steps))
                case .inference:
                    let rm = context.state + stateOffset, rv = context.state + stateOffset + n
                    batchNormForwardInference(x: xp.baseAddress!, groups: g, rows: rows, channels: c, gamma: gamma, beta: beta,
                                              runningMean: rm, runningVariance: rv, epsilon: epsilon, y: yp.baseAddress!)
                }
            }
        }
        // Normalise + scale (+ shift): counted as one MAC per value (the affine part after folding).
        for t in 0..<x.steps {
            var e = EventCounts(); e.macs = Int64(x.stepCount)
            if context.mode == .training { e.savedStateWrites = Int64(x.stepCount) }   // the input, read back by backward
            context.ledger.record(context.forwardPhase, layer: index, t: t, e)
        }
        return y
    }

    public func backward(_ dy: Activation, context: inout PassContext, cache: LayerCache, needInput: Bool) -> Activation? {
        guard let saved = cache.take(BatchNormLayerState.self), let grads = context.gradients
        else { preconditionFailure("\(name): backward without forward") }
        let x = saved.input
        let c = channels, n = groups * c
        let g = perStep ? x.steps : 1
        let rows = (perStep ? 1 : x.steps) * x.batch * (x.featureCount / c)
        var dx = Activation(uninitialized: x.steps, batch: x.batch, features: x.features)
        // sharedAffine: γ repeated per group, and the per-group γ/β gradients go to zeroed scratch (summed below).
        let expanded = sharedAffine ? expandedAffine(context.parameters, groups: g) : nil
        let groupGrads = expanded.map { _ in UnsafeMutablePointer<Float>.allocate(capacity: (shift ? 2 : 1) * g * c) }
        groupGrads?.initialize(repeating: 0, count: (shift ? 2 : 1) * g * c)
        defer { expanded?.deallocate(); groupGrads?.deallocate() }
        let gradGamma = groupGrads ?? grads + parameterOffset
        let gradBeta = shift ? gradGamma + (sharedAffine ? g * c : n) : nil
        x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dp in
                dx.data.withUnsafeMutableBufferPointer { dxp in
                    batchNormBackward(x: xp.baseAddress!, gradOutput: dp.baseAddress!, groups: g, rows: rows, channels: c,
                                      gamma: expanded.map { UnsafePointer($0) } ?? context.parameters + parameterOffset,
                                      mean: saved.mean, invStd: saved.invStd,
                                      gradInput: dxp.baseAddress!, gradGamma: gradGamma, gradBeta: gradBeta)
                }
            }
        }
        if let groupGrads {   // the shared γ (β)'s gradient: the sum over the groups, in group order
            for part in 0..<(shift ? 2 : 1) {
                let into = grads + parameterOffset + part * c
                for t in 0..<g { for ch in 0..<c { into[ch] += groupGrads[(part * g + t) * c + ch] } }
            }
        }
        for t in 0..<x.steps {
            var e = EventCounts(); e.macs = 3 * Int64(x.stepCount); e.savedStateReads = Int64(x.stepCount)
            context.ledger.record(.trainBackward, layer: index, t: t, e)
        }
        // A constant input was copied to every step: its gradient is the sum over the steps.
        if saved.inputSteps == 1, dx.steps > 1 {
            let n = dx.stepCount
            var summed = Activation(zeros: 1, batch: dx.batch, features: dx.features)
            dx.data.withUnsafeBufferPointer { d in
                for t in 0..<dx.steps { for i in 0..<n { summed.data[i] += d[t * n + i] } }
            }
            dx = summed
        }
        return dx
    }

    /// `sharedAffine`: the one γ (then β when `shift`) repeated for `g` groups, `[γ × g, β × g]` (the caller
    /// deallocates), so the kernels, which take one γ/β per group, serve this mode unchanged.
    private func expandedAffine(_ parameters: UnsafePointer<Float>, groups g: Int) -> UnsafeMutablePointer<Float> {
        let c = channels, parts = shift ? 2 : 1
        let out = UnsafeMutablePointer<Float>.allocate(capacity: parts * g * c)
        for part in 0..<parts {
            for t in 0..<g { for ch in 0..<c { out[(part * g + t) * c + ch] = parameters[parameterOffset + part * c + ch] } }
        }
        return out
    }

    /// The unbiased correction of the running variance counts the rows one group normalised (`rowsPerGroup`).
    public func applyStatistics(_ stats: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>, microBatchSize: Int, steps: Int) {
        let n = groups * channels, rowsPerMicroBatch = rowsPerGroup(batch: microBatchSize, steps: steps)
        updateRunningStatistics(runningMean: state + stateOffset, runningVariance: state + stateOffset + n,
                                batchMean: stats + statisticsOffset, batchVariance: stats + statisticsOffset + n,
                                count: n, rows: rowsPerMicroBatch, momentum: momentum)
    }

    /// Rows one group normalises over for a micro-batch of `batch` samples running `steps` steps.
    public func rowsPerGroup(batch: Int, steps: Int) -> Int {
        (perStep ? 1 : steps) * batch * (shape.reduce(1, *) / channels)
    }
}
