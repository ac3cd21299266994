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

    public init(steps: Int, batch: Int, features: [Int], data: [Float], spikeLike: Bool = false) {
        self.steps = steps; self.batch = batch; self.features = features; self.data = data; self.spikeLike = spikeLike
    }

    public init(zeros steps: Int, batch: Int, features: [Int], spikeLike: Bool = false) {
        self.init(steps: steps, batch: batch, features: features,
                  data: [Float](repeating: 0, count: steps * batch * features.reduce(1, *)), spikeLike: spikeLike)
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
        return Activation(steps: steps, batch: batch, features: features, data: d, spikeLike: spikeLike)
    }

    /// Number of non-zero values in step `t`.
    public func nonZeros(step t: Int) -> Int {
        let n = stepCount
        return data.withUnsafeBufferPointer { p in
            var c = 0
            for i in (t * n)..<((t + 1) * n) where p[i] != 0 { c += 1 }
            return c
        }
    }
}
