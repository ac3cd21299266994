import SNNCore

/// Values flowing between layers: `[steps, batch, features...]`, time-major.
///
/// `steps == 1` while the network runs T > 1 steps means the value is the same at every step (a constant direct
/// input and everything computed from it before the first neuron), so layers compute it once instead of T times.
/// `spikeLike` marks binary spikes and average-pooled spikes: layers fed by them count event-driven synaptic
/// accumulates (non-zero inputs × fan-out) instead of multiply-accumulates.
public struct Activation: Sendable {
    public var steps: Int
    public var batch: Int
    public var features: [Int]
    public var data: [Float]
    public var spikeLike: Bool
    /// For spike-like values: how many binary spikes one unit of value stands for. 1 for binary spikes; an average
    /// pool of window k×k multiplies it by k² (a pooled value v merged v·k² spikes). The next weighted layer counts
    /// one synaptic op per constituent spike per fan-out (pooling folded into that layer's weights, w/k²).
    public var spikeMultiplicity: Int = 1

    public init(steps: Int, batch: Int, features: [Int], data: [Float], spikeLike: Bool = false) {
        self.steps = steps; self.batch = batch; self.features = features; self.data = data; self.spikeLike = spikeLike
    }

    public init(zeros steps: Int, batch: Int, features: [Int], spikeLike: Bool = false) {
        self.init(steps: steps, batch: batch, features: features,
                  data: [Float](repeating: 0, count: steps * batch * features.reduce(1, *)), spikeLike: spikeLike)
    }

    /// An activation whose every value the caller will overwrite (no zero-fill).
    public init(uninitialized steps: Int, batch: Int, features: [Int], spikeLike: Bool = false) {
        let n = steps * batch * features.reduce(1, *)
        self.init(steps: steps, batch: batch, features: features,
                  data: [Float](unsafeUninitializedCapacity: n) { _, c in c = n }, spikeLike: spikeLike)
    }

    /// Values per sample per step.
    @inlinable public var featureCount: Int { features.reduce(1, *) }
    /// Values per step (batch × features).
    @inlinable public var stepCount: Int { batch * featureCount }

    /// Copies a constant (steps == 1) activation to `steps` identical steps.
    public func broadcast(to steps: Int) -> Activation {
        if self.steps == steps { return self }
        precondition(self.steps == 1, "cannot broadcast \(self.steps) steps to \(steps)")
        var d = [Float](); d.reserveCapacity(steps * data.count)
        for _ in 0..<steps { d.append(contentsOf: data) }
        var out = Activation(steps: steps, batch: batch, features: features, data: d, spikeLike: spikeLike)
        out.spikeMultiplicity = spikeMultiplicity
        return out
    }

    /// Constituent binary spikes in step `t`: Σ round(v · spikeMultiplicity) (= `nonZeros` for binary spikes).
    public func constituentSpikes(step t: Int) -> Int64 {
        if spikeMultiplicity == 1 { return Int64(nonZeros(step: t)) }
        let n = stepCount, m = Float(spikeMultiplicity)
        return data.withUnsafeBufferPointer { Events.constituents($0.baseAddress! + t * n, count: n, multiplicity: m) }
    }

    /// 32-bit words needed to save step-major values for the backward pass: binary spikes as bits (32 per word),
    /// anything else one word per value.
    public var savedWordsPerStep: Int64 {
        spikeLike && spikeMultiplicity == 1 ? Int64((stepCount + 31) / 32) : Int64(stepCount)
    }

    /// Number of non-zero values in step `t`.
    public func nonZeros(step t: Int) -> Int {
        let n = stepCount
        return data.withUnsafeBufferPointer { Events.nonZeros($0.baseAddress! + t * n, count: n) }
    }
}
