import SNNEnergy
import SNNMethods

/// One micro-batch's contribution to a step, in the exact form the reduction sums.
///
/// Workers build it from their `MicroBatchResult` and ship it; the standalone trainer builds it locally. Both paths
/// round the gradient to fixed point the same way, so the same seed gives the same parameters either way.
public struct StepContribution: Sendable {
    public var microBatch: Int
    /// Fixed-point (2^-32) sum over the micro-batch's samples of ∂loss/∂parameters.
    public var gradient: [Int64]
    /// Batch statistics as floats (the coordinator rounds them to fixed point itself: a pure function).
    public var statistics: [Float]
    public var lossSum: Double
    public var correct: Int
    public var samples: Int
    public var ledger: EventLedger
    public var spikesPerLayer: [Int64]
    public var steps: Int
    public var computeNanos: UInt64

    public init(microBatch: Int, gradient: [Int64], statistics: [Float], lossSum: Double, correct: Int, samples: Int,
                ledger: EventLedger, spikesPerLayer: [Int64], steps: Int, computeNanos: UInt64) {
        self.microBatch = microBatch; self.gradient = gradient; self.statistics = statistics; self.lossSum = lossSum
        self.correct = correct; self.samples = samples; self.ledger = ledger; self.spikesPerLayer = spikesPerLayer
        self.steps = steps; self.computeNanos = computeNanos
    }

    /// Rounds a local result; fails on a non-finite or absurd gradient (a diverged run must stop, not corrupt).
    public init(microBatch: Int, _ r: MicroBatchResult) throws(ExactSumError) {
        self.init(microBatch: microBatch, gradient: try ExactSum.encode(r.gradient), statistics: r.statistics,
                  lossSum: r.lossSum, correct: r.correct, samples: r.samples, ledger: r.ledger,
                  spikesPerLayer: r.spikesPerLayer, steps: r.steps, computeNanos: r.computeNanos)
    }
}
