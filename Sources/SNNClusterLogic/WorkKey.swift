import SNNMethods

// `WorkPhase` (train or evaluate) is defined beside `MicroBatch` in SNNMethods: one phase type from the plan
// to the method.

/// Which job a micro-batch belongs to: one training step, or one evaluation pass.
///
/// Jobs run one at a time. A job's identity never repeats within a run, which is what lets a late result
/// be recognised as late rather than mistaken for work of the current job.
public struct JobID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var epoch: Int
    public var step: Int
    public var phase: WorkPhase

    public init(epoch: Int, step: Int, phase: WorkPhase) {
        self.epoch = epoch
        self.step = step
        self.phase = phase
    }

    public static func < (lhs: JobID, rhs: JobID) -> Bool {
        (lhs.epoch, lhs.step, lhs.phase) < (rhs.epoch, rhs.step, rhs.phase)
    }

    public var description: String { "\(phase) e\(epoch) s\(step)" }
}

/// The idempotency key of one micro-batch: results are deduplicated by exactly these four fields.
public struct WorkKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var epoch: Int
    public var step: Int
    public var microBatch: Int
    public var phase: WorkPhase

    public init(epoch: Int, step: Int, microBatch: Int, phase: WorkPhase) {
        self.epoch = epoch
        self.step = step
        self.microBatch = microBatch
        self.phase = phase
    }

    public init(job: JobID, microBatch: Int) {
        self.init(epoch: job.epoch, step: job.step, microBatch: microBatch, phase: job.phase)
    }

    /// The job this micro-batch belongs to.
    public var job: JobID { JobID(epoch: epoch, step: step, phase: phase) }

    public static func < (lhs: WorkKey, rhs: WorkKey) -> Bool {
        (lhs.epoch, lhs.step, lhs.phase, lhs.microBatch) < (rhs.epoch, rhs.step, rhs.phase, rhs.microBatch)
    }

    public var description: String { "\(phase) e\(epoch) s\(step) mb\(microBatch)" }
}

/// One micro-batch handed to a worker: the plan's `MicroBatch` itself (position, sample ids, seed) and the
/// parameter version its result must be computed with. The worker runs `microBatch` as it arrives.
public struct WorkItem: Hashable, Sendable, CustomStringConvertible {
    public var microBatch: MicroBatch
    /// The parameter version the result must be computed with; a result for another version is dropped.
    public var parameterVersion: Int

    public init(_ microBatch: MicroBatch, parameterVersion: Int) {
        self.microBatch = microBatch
        self.parameterVersion = parameterVersion
    }

    /// An item from its parts (tests, and plans cut by hand).
    public init(key: WorkKey, sampleIDs: [Int32], seed: UInt64 = 0, parameterVersion: Int) {
        self.init(MicroBatch(key: key, samples: sampleIDs, seed: seed), parameterVersion: parameterVersion)
    }

    public var key: WorkKey {
        get { microBatch.key }
        set { microBatch.key = newValue }
    }
    /// Dataset sample indices, in the order the micro-batch must process them.
    public var sampleIDs: [Int32] { microBatch.samples }

    public var description: String { "\(key) v\(parameterVersion) (\(sampleIDs.count) samples)" }
}

extension MicroBatch {
    /// The idempotency key of this micro-batch.
    public var key: WorkKey {
        get { WorkKey(epoch: epoch, step: step, microBatch: index, phase: phase) }
        set { epoch = newValue.epoch; step = newValue.step; index = newValue.microBatch; phase = newValue.phase }
    }

    public init(key: WorkKey, samples: [Int32], seed: UInt64) {
        self.init(epoch: key.epoch, step: key.step, index: key.microBatch, phase: key.phase, samples: samples, seed: seed)
    }
}
