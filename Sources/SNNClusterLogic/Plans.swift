import SNNMethods

/// One training step as the caller cut it: its position and its micro-batches (sample ids and seed), exactly
/// as the method will run them.
///
/// The caller owns the epoch permutation and the micro-batch size; the coordinator machine only hands the
/// micro-batches out and collects exactly one accepted result for each. The plan's position is the job's:
/// micro-batch `i` is handed out as index `i` of this step (`JobPlan.items`).
public struct StepPlan: Hashable, Sendable {
    public var epoch: Int
    public var step: Int
    public var microBatches: [MicroBatch]

    public init(epoch: Int, step: Int, microBatches: [MicroBatch]) {
        self.epoch = epoch
        self.step = step
        self.microBatches = microBatches
    }

    /// A plan from sample ids alone (seed 0): micro-batch `i` holds `sampleIDs[i]`.
    public init(epoch: Int, step: Int, sampleIDs: [[Int32]], seed: UInt64 = 0) {
        self.init(epoch: epoch, step: step, microBatches: JobPlan.microBatches(JobID(epoch: epoch, step: step, phase: .train), sampleIDs, seed: seed))
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
    public var microBatches: [MicroBatch]

    public init(epoch: Int, step: Int, microBatches: [MicroBatch]) {
        self.epoch = epoch
        self.step = step
        self.microBatches = microBatches
    }

    /// A pass from sample ids alone (seed 0).
    public init(epoch: Int, step: Int, sampleIDs: [[Int32]], seed: UInt64 = 0) {
        self.init(epoch: epoch, step: step, microBatches: JobPlan.microBatches(JobID(epoch: epoch, step: step, phase: .evaluate), sampleIDs, seed: seed))
    }

    public var job: JobID { JobID(epoch: epoch, step: step, phase: .evaluate) }
}

/// A queued job's micro-batches, keyed by the job's position.
enum JobPlan {
    /// Micro-batch `i` of `job` with the given samples.
    static func microBatches(_ job: JobID, _ sampleIDs: [[Int32]], seed: UInt64) -> [MicroBatch] {
        sampleIDs.enumerated().map { i, s in MicroBatch(key: WorkKey(job: job, microBatch: i), samples: s, seed: seed) }
    }

    /// `microBatches` placed at the job's position (epoch, step, phase, index `i`): the plan's position wins over
    /// whatever the caller's micro-batches say.
    static func items(_ job: JobID, _ microBatches: [MicroBatch]) -> [MicroBatch] {
        microBatches.enumerated().map { i, b in MicroBatch(key: WorkKey(job: job, microBatch: i), samples: b.samples, seed: b.seed) }
    }
}
