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
    /// The micro-batches of the job this contribution covers, ascending: one today (a RESULT answers one
    /// micro-batch); sums over several are possible because every field below is a sum.
    public var microBatches: [Int]
    /// Fixed-point (2^-32) sum over the samples of ∂loss/∂parameters; empty for evaluation.
    public var gradient: [Int64]
    /// Batch statistics as floats (the coordinator rounds them to fixed point itself: a pure function).
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
}
