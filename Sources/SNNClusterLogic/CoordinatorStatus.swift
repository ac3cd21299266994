/// A read-only snapshot of the coordinator machine, for `snn-coord status` and the metrics store.
public struct CoordinatorStatus: Hashable, Sendable {
    /// What the coordinator is doing.
    public enum RunState: Hashable, Sendable {
        /// Fewer than `minWorkers` have joined; no work has been handed out yet.
        case waitingForWorkers(joined: Int, needed: Int)
        /// Started, but no job is queued.
        case idle
        case running(JobID)
        /// The step's results went out in `commitStep`; waiting for `stepCommitted`.
        case awaitingCommit(JobID)
        case aborted(String)
        case finished
    }

    /// One live worker.
    public struct Worker: Hashable, Sendable {
        public var id: WorkerID
        public var joinedAt: Instant
        public var lastSeen: Instant
        /// Items handed to it and not answered yet.
        public var inFlight: Int
        /// Free slots it asked to fill that are still parked.
        public var requestedSlots: Int
        /// Accepted results since it joined (throughput).
        public var completedMicroBatches: Int
        public var completedSamples: Int

        public init(id: WorkerID, joinedAt: Instant, lastSeen: Instant, inFlight: Int, requestedSlots: Int,
                    completedMicroBatches: Int, completedSamples: Int) {
            self.id = id
            self.joinedAt = joinedAt
            self.lastSeen = lastSeen
            self.inFlight = inFlight
            self.requestedSlots = requestedSlots
            self.completedMicroBatches = completedMicroBatches
            self.completedSamples = completedSamples
        }
    }

    /// The running job.
    public struct Job: Hashable, Sendable {
        public var id: JobID
        public var parameterVersion: Int
        public var microBatches: Int
        public var pending: Int
        public var inFlight: Int
        public var done: Int
        public var startedAt: Instant

        public init(id: JobID, parameterVersion: Int, microBatches: Int, pending: Int, inFlight: Int, done: Int,
                    startedAt: Instant) {
            self.id = id
            self.parameterVersion = parameterVersion
            self.microBatches = microBatches
            self.pending = pending
            self.inFlight = inFlight
            self.done = done
            self.startedAt = startedAt
        }
    }

    public struct Refusal: Hashable, Sendable {
        public var worker: WorkerID
        public var reason: RefusalReason

        public init(worker: WorkerID, reason: RefusalReason) {
            self.worker = worker
            self.reason = reason
        }
    }

    /// The latest instant the machine has seen.
    public var now: Instant
    public var state: RunState
    public var parameterVersion: Int
    /// Live workers in the order they joined.
    public var workers: [Worker]
    public var job: Job?
    /// The last job whose results went out.
    public var lastFinished: JobID?
    public var queuedJobs: Int
    public var committedSteps: Int
    public var finishedEvaluations: Int
    /// Workers declared dead or gone (and not back).
    public var departedWorkers: [WorkerID]
    public var refusedWorkers: [Refusal]
}
