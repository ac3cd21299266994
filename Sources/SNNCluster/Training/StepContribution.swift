import SNNEnergy
import SNNMethods

/// What one or more micro-batches of a job contribute, in the exact form the reduction sums: the one result
/// type from the method's output back to the commit.
///
/// It is made once from the method's `MicroBatchResult`, on the thread that computed it (a worker's compute
/// slot, the standalone trainer's executor): the gradient is rounded to fixed point there and `steps` is what
/// the method simulated. The wire's RESULT carries it unchanged (`WorkResult(_:of:)`,
/// `StepContribution(_:ledgerLike:)`), the coordinator machine holds it as its payload, and
/// `TrainingSession.commit` sums it. Both paths round the same way, so the same seed gives the same parameters.
public struct StepContribution: Sendable {
    /// The micro-batches of the job this contribution covers, ascending. A worker sums the training
    /// micro-batches of one step it computed into one contribution (`merged(with:)`): every field below is a
    /// sum, except the statistics, which stay one block per micro-batch.
    public var microBatches: [Int]
    /// Fixed-point (2^-32) sum over the samples of ∂loss/∂parameters; empty for evaluation.
    public var gradient: [Int64]
    /// Batch statistics as floats, one block of equal length per covered micro-batch, in `microBatches` order
    /// (the coordinator rounds each block to fixed point itself, a pure function, and averages over
    /// micro-batches: summing blocks as floats first would round differently).
    public var statistics: [Float]
    public var lossSum: Double
    public var correct: Int
    public var samples: Int
    public var ledger: EventLedger
    public var spikesPerLayer: [Int64]
    /// Time steps the method simulated (fewer than T with temporal early exit).
    public var steps: Int
    public var computeNanos: UInt64

    public init(microBatches: [Int], gradient: [Int64], statistics: [Float], lossSum: Double, correct: Int, samples: Int,
                ledger: EventLedger, spikesPerLayer: [Int64], steps: Int, computeNanos: UInt64) {
        self.microBatches = microBatches; self.gradient = gradient; self.statistics = statistics; self.lossSum = lossSum
        self.correct = correct; self.samples = samples; self.ledger = ledger; self.spikesPerLayer = spikesPerLayer
        self.steps = steps; self.computeNanos = computeNanos
    }

    /// The contribution of micro-batch `microBatch` alone.
    public init(microBatch: Int, gradient: [Int64], statistics: [Float], lossSum: Double, correct: Int, samples: Int,
                ledger: EventLedger, spikesPerLayer: [Int64], steps: Int, computeNanos: UInt64) {
        self.init(microBatches: [microBatch], gradient: gradient, statistics: statistics, lossSum: lossSum, correct: correct,
                  samples: samples, ledger: ledger, spikesPerLayer: spikesPerLayer, steps: steps, computeNanos: computeNanos)
    }

    /// Rounds a method's result; fails on a non-finite or absurd gradient (a diverged run must stop, not corrupt).
    /// An evaluation's result has no gradient and always succeeds.
    public init(microBatch: Int, _ r: MicroBatchResult) throws(ExactSumError) {
        self.init(microBatch: microBatch, gradient: r.gradient.isEmpty ? [] : try ExactSum.encode(r.gradient),
                  statistics: r.statistics, lossSum: r.lossSum, correct: r.correct, samples: r.samples, ledger: r.ledger,
                  spikesPerLayer: r.spikesPerLayer, steps: r.steps, computeNanos: r.computeNanos)
    }

    /// The first micro-batch covered: the order contributions are reduced in.
    public var firstMicroBatch: Int { microBatches.first ?? 0 }

    /// The statistics of each covered micro-batch, in `microBatches` order.
    public var statisticsBlocks: [ArraySlice<Float>] {
        let n = microBatches.count
        guard n > 1, !statistics.isEmpty else { return statistics.isEmpty ? [] : [statistics[...]] }
        let width = statistics.count / n
        return (0..<n).map { statistics[($0 * width)..<(($0 + 1) * width)] }
    }

    /// This contribution and `other` (another set of micro-batches of the same job) as one: gradients, counters,
    /// spikes, samples, correct, compute time and loss added, statistics blocks kept per micro-batch in index
    /// order. The gradient sum is exact (fixed point), so the commit sees the same total as from separate results.
    /// Fails on overflow of the fixed-point sum.
    public func merged(with other: StepContribution) throws(ExactSumError) -> StepContribution {
        var copy = self
        try copy.merge(other)
        return copy
    }

    /// `merged(with:)` in place: the held gradient is added to where it lies (no copy of it when this value holds
    /// the only reference, as the worker's held step sum does: issue 11 item 3 measured the copy of the demo spec's
    /// 1.7 MB gradient at about a quarter of the worker loop's time per step). On overflow nothing is changed.
    public mutating func merge(_ other: StepContribution) throws(ExactSumError) {
        if gradient.isEmpty { gradient = other.gradient } else if !other.gradient.isEmpty {
            do { try FixedPoint.add(into: &gradient, other.gradient) } catch { throw ExactSumError(description: error.message) }
        }
        if !other.statistics.isEmpty || !statistics.isEmpty {
            let blocks = zip(microBatches, statisticsBlocks).map { ($0, $1) } + zip(other.microBatches, other.statisticsBlocks).map { ($0, $1) }
            statistics = blocks.sorted { $0.0 < $1.0 }.flatMap { $0.1 }
        }
        ledger.add(other.ledger)
        if spikesPerLayer.count == other.spikesPerLayer.count {
            for i in spikesPerLayer.indices { spikesPerLayer[i] &+= other.spikesPerLayer[i] }
        }
        microBatches = (microBatches + other.microBatches).sorted()
        lossSum += other.lossSum; correct += other.correct; samples += other.samples
        steps = max(steps, other.steps); computeNanos &+= other.computeNanos
    }
}
