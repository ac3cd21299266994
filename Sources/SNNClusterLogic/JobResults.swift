/// One accepted micro-batch result inside a committed job.
public struct CompletedMicroBatch<Payload> {
    public var microBatch: Int
    public var samples: Int
    /// The worker whose result was accepted (for throughput metrics; the payload does not depend on it).
    public var worker: WorkerID
    public var payload: Payload

    public init(microBatch: Int, samples: Int, worker: WorkerID, payload: Payload) {
        self.microBatch = microBatch
        self.samples = samples
        self.worker = worker
        self.payload = payload
    }
}

extension CompletedMicroBatch: Sendable where Payload: Sendable {}
extension CompletedMicroBatch: Equatable where Payload: Equatable {}
extension CompletedMicroBatch: Hashable where Payload: Hashable {}

/// Every micro-batch result of one finished job (a training step or an evaluation pass), in micro-batch
/// index order: `results[i].microBatch == i`. Reducing them in this order (or as fixed-point integers)
/// makes the outcome independent of which worker did what.
public struct JobResults<Payload> {
    public var job: JobID
    /// The parameter version every result was computed with.
    public var parameterVersion: Int
    public var results: [CompletedMicroBatch<Payload>]

    public init(job: JobID, parameterVersion: Int, results: [CompletedMicroBatch<Payload>]) {
        self.job = job
        self.parameterVersion = parameterVersion
        self.results = results
    }

    public var epoch: Int { job.epoch }
    public var step: Int { job.step }
    /// The payloads alone, in micro-batch index order.
    public var payloads: [Payload] { results.map(\.payload) }
    /// Samples over all micro-batches.
    public var samples: Int { results.reduce(0) { $0 + $1.samples } }
}

extension JobResults: Sendable where Payload: Sendable {}
extension JobResults: Equatable where Payload: Equatable {}
extension JobResults: Hashable where Payload: Hashable {}
