/// Whether a unit of work trains (its result feeds an optimizer step) or evaluates (its result feeds an
/// evaluation report; parameters do not change).
public enum WorkPhase: Int, Hashable, Comparable, Sendable, CustomStringConvertible {
    case train = 0
    case evaluate = 1

    public static func < (lhs: WorkPhase, rhs: WorkPhase) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String {
        switch self {
        case .train: "train"
        case .evaluate: "evaluate"
        }
    }
}

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

/// One micro-batch handed to a worker: what to compute, on which samples, with which parameters.
public struct WorkItem: Hashable, Sendable, CustomStringConvertible {
    public var key: WorkKey
    /// Dataset sample indices, in the order the micro-batch must process them.
    public var sampleIDs: [Int]
    /// The parameter version the result must be computed with; a result for another version is dropped.
    public var parameterVersion: Int

    public init(key: WorkKey, sampleIDs: [Int], parameterVersion: Int) {
        self.key = key
        self.sampleIDs = sampleIDs
        self.parameterVersion = parameterVersion
    }

    public var description: String { "\(key) v\(parameterVersion) (\(sampleIDs.count) samples)" }
}
