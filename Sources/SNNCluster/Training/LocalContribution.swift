import SNNCore
import SNNMethods

/// A training micro-batch computed in this process (the standalone trainer), ready for the commit: its
/// contribution, with the gradient kept as floats when they are in the fast fixed-point range.
///
/// Why: a worker must round its gradient to fixed point to send it, but when one process computes every
/// micro-batch of a step the rounding, the exact sum and the decode can run inside the optimizer pass
/// (`TrainingSession.commit(local:)`, `optimizerStep(fixedPointSumOf:)`) without storing the integers. The
/// integers, and so the parameters, are the same bits. The range check that `FixedPoint.encode` makes runs here,
/// on the thread that computed the micro-batch; a gradient outside the fast range (|g| ≥ 2^19, NaN, Inf) is
/// rounded through `StepContribution(microBatch:_:)`, which reports invalid values exactly as before.
public struct LocalContribution: Sendable {
    /// The micro-batch's contribution; its `gradient` is empty while `unrounded` holds the gradient.
    public var contribution: StepContribution
    /// The float gradient, every element checked to be finite and below 2^19 in magnitude; empty when the
    /// gradient is in `contribution` (rounded) instead.
    public var unrounded: [Float]

    /// Checks and keeps the gradient of `r` as floats, or rounds it (throwing as `StepContribution` does).
    public init(microBatch: Int, _ r: MicroBatchResult) throws(ExactSumError) {
        let fast = r.gradient.withUnsafeBufferPointer { b in b.baseAddress.map { FixedPointKernels.allFast($0, count: b.count) } ?? false }
        if fast {
            contribution = StepContribution(microBatch: microBatch, gradient: [], statistics: r.statistics,
                                            lossSum: r.lossSum, correct: r.correct, samples: r.samples, ledger: r.ledger,
                                            spikesPerLayer: r.spikesPerLayer, steps: r.steps, computeNanos: r.computeNanos)
            unrounded = r.gradient
        } else {
            contribution = try StepContribution(microBatch: microBatch, r)
            unrounded = []
        }
    }

    /// The contribution with its gradient in fixed point, as a worker would send it.
    public func rounded() throws(ExactSumError) -> StepContribution {
        guard !unrounded.isEmpty else { return contribution }
        var c = contribution
        c.gradient = try ExactSum.encode(unrounded)
        return c
    }
}
