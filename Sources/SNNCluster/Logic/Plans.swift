/// One training step as the caller cut it: its position and the sample ids of each micro-batch.
///
/// The caller owns the epoch permutation and the micro-batch size; the coordinator machine only hands the
/// micro-batches out and collects exactly one accepted result for each.
public struct StepPlan: Hashable, Sendable {
    public var epoch: Int
    public var step: Int
    /// `microBatches[i]` holds the sample ids of micro-batch `i`.
    public var microBatches: [[Int]]

    public init(epoch: Int, step: Int, microBatches: [[Int]]) {
        self.epoch = epoch
        self.step = step
        self.microBatches = microBatches
    }

    public var job: JobID { JobID(epoch: epoch, step: step, phase: .train) }
}

/// One evaluation pass: micro-batches with phase `.evaluate`, sharded and reduced like a training step but
/// committed as an evaluation report (no optimizer step, no new parameter version).
///
/// `epoch` and `step` name the pass (e.g. "after epoch 3, step 1200"); they must not repeat within a run.
public struct EvaluationPlan: Hashable, Sendable {
    public var epoch: Int
    public var step: Int
    public var microBatches: [[Int]]

    public init(epoch: Int, step: Int, microBatches: [[Int]]) {
        self.epoch = epoch
        self.step = step
        self.microBatches = microBatches
    }

    public var job: JobID { JobID(epoch: epoch, step: step, phase: .evaluate) }
}
