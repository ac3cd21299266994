/// One accepted micro-batch result inside a committed job.
/// One RESULT may cover several micro-batches of the job (a worker's per-step sum): `microBatch` is the first,
/// `microBatches` all of them, ascending, and `samples` their total.
public struct CompletedMicroBatch<Payload> {
    public var microBatch: Int
    /// Every micro-batch this result covers, ascending (`[microBatch]` for a single one).
    public var microBatches: [Int]
    public var samples: Int
    /// The worker whose result was accepted (for throughput metrics; the payload does not depend on it).
    public var worker: WorkerID
    public var payload: Payload

    public init(microBatch: Int, samples: Int, worker: WorkerID, payload: Payload) {
        self.init(microBatches: [microBatch], samples: samples, worker: worker, payload: payload)
    }

    public init(microBatches: [Int], samples: Int, worker: WorkerID, payload: Payload) {
        self.microBatch = microBatches.first ?? 0
        self.microBatches = microBatches
        self.samples = samples
        self.worker = worker
        self.payload = payload
    }
}

extension CompletedMicroBatch: Sendable where Payload: Sendable {}
extension CompletedMicroBatch: Equatable where Payload: Equatable {}
extension CompletedMicroBatch: Hashable where Payload: Hashable {}

/// Every result of one finished job (a training step or an evaluation pass), in order of their first
/// micro-batch; together they cover each micro-batch exactly once (`results[i].microBatch == i` when every
/// result covers one). Reducing them in this order (or as fixed-point integers)
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
