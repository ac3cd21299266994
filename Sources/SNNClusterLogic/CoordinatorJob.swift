import SNNMethods

/// The bookkeeping of the one job (training step or evaluation pass) the coordinator is running.
///
/// Each micro-batch is pending, in flight on one or more workers (more than one only for speculative
/// copies), or done with exactly one accepted result. Pending micro-batches are handed out lowest index
/// first, so micro-batches taken back from a dead worker (always lower than any never handed out) go to the
/// front of the queue.
struct CoordinatorJob<Payload> {
    /// One worker computing a micro-batch, and since when.
    struct Holder {
        var worker: WorkerID
        var since: Instant
    }

    enum MicroBatchState {
        case pending
        case inFlight([Holder])
        case done
    }

    let id: JobID
    let parameterVersion: Int
    /// The job's micro-batches, micro-batch `i` at index `i`.
    let microBatches: [MicroBatch]
    private(set) var states: [MicroBatchState]
    /// Indices of pending micro-batches, ascending.
    private(set) var pending: [Int]
    private(set) var results: [CompletedMicroBatch<Payload>?]
    private(set) var remaining: Int
    /// Counted failures per micro-batch.
    private(set) var failures: [Int]
    /// Holders lost (declared dead) per micro-batch.
    private(set) var losses: [Int: Int] = [:]
    /// When the job started (for status).
    let startedAt: Instant

    init(id: JobID, parameterVersion: Int, microBatches: [MicroBatch], startedAt: Instant) {
        self.id = id
        self.parameterVersion = parameterVersion
        self.microBatches = microBatches
        self.states = Array(repeating: .pending, count: microBatches.count)
        self.pending = Array(microBatches.indices)
        self.results = Array(repeating: nil, count: microBatches.count)
        self.remaining = microBatches.count
        self.failures = Array(repeating: 0, count: microBatches.count)
        self.startedAt = startedAt
    }

    var microBatchCount: Int { microBatches.count }
    var isComplete: Bool { remaining == 0 }

    var inFlightCount: Int {
        states.reduce(0) { count, state in
            if case .inFlight = state { return count + 1 }
            return count
        }
    }

    func key(_ microBatch: Int) -> WorkKey {
        WorkKey(job: id, microBatch: microBatch)
    }

    func item(_ microBatch: Int) -> WorkItem {
        WorkItem(microBatches[microBatch], parameterVersion: parameterVersion)
    }

    /// Takes the lowest pending micro-batch and puts it in flight on `worker`.
    mutating func takePending(for worker: WorkerID, at now: Instant) -> Int? {
        guard !pending.isEmpty else { return nil }
        let microBatch = pending.removeFirst()
        states[microBatch] = .inFlight([Holder(worker: worker, since: now)])
        return microBatch
    }

    /// The micro-batch to copy speculatively onto `worker`: in flight on exactly one other worker for at
    /// least `threshold`, the one in flight longest first.
    func speculativeCandidate(for worker: WorkerID, threshold: Duration, at now: Instant) -> Int? {
        var best: (microBatch: Int, since: Instant)?
        for (microBatch, state) in states.enumerated() {
            guard case .inFlight(let holders) = state, holders.count == 1, holders[0].worker != worker,
                  now - holders[0].since >= threshold
            else { continue }
            if best == nil || holders[0].since < best!.since {
                best = (microBatch, holders[0].since)
            }
        }
        return best?.microBatch
    }

    /// Adds `worker` as a further holder of an in-flight micro-batch.
    mutating func addCopy(_ microBatch: Int, for worker: WorkerID, at now: Instant) {
        guard case .inFlight(var holders) = states[microBatch] else { return }
        holders.append(Holder(worker: worker, since: now))
        states[microBatch] = .inFlight(holders)
    }

    /// `worker` no longer computes `microBatch` (it died, left, or failed). Returns true when that puts
    /// the micro-batch back in the pending queue (no other copy in flight).
    mutating func release(_ microBatch: Int, from worker: WorkerID) -> Bool {
        guard states.indices.contains(microBatch), case .inFlight(var holders) = states[microBatch] else {
            return false
        }
        let before = holders.count
        holders.removeAll { $0.worker == worker }
        if holders.count == before { return false }
        if holders.isEmpty {
            states[microBatch] = .pending
            insertPending(microBatch)
            return true
        }
        states[microBatch] = .inFlight(holders)
        return false
    }

    /// Whether `worker` was given `microBatch` (or a speculative copy of it) and has not answered yet.
    func isHeld(_ microBatch: Int, by worker: WorkerID) -> Bool {
        guard states.indices.contains(microBatch), case .inFlight(let holders) = states[microBatch] else { return false }
        return holders.contains { $0.worker == worker }
    }

    /// (micro-batch, worker) pairs in flight for longer than `deadline`.
    func overdue(_ deadline: Duration, at now: Instant) -> [(microBatch: Int, worker: WorkerID)] {
        var out: [(microBatch: Int, worker: WorkerID)] = []
        for (mb, state) in states.enumerated() {
            guard case .inFlight(let holders) = state else { continue }
            for h in holders where now - h.since > deadline { out.append((mb, h.worker)) }
        }
        return out
    }

    /// Counts one loss of `microBatch` (a holder declared dead while computing it); returns the losses so far.
    mutating func recordLoss(_ microBatch: Int) -> Int {
        losses[microBatch, default: 0] += 1
        return losses[microBatch]!
    }

    /// Counts one failure of `microBatch`; returns the failures so far.
    mutating func recordFailure(_ microBatch: Int) -> Int {
        failures[microBatch] += 1
        return failures[microBatch]
    }

    func isDone(_ microBatch: Int) -> Bool {
        if case .done = states[microBatch] { return true }
        return false
    }

    /// Accepts the one result of `microBatch` (the caller has checked it is not done).
    /// A result covering several micro-batches is stored at its first one; the others are done without an entry.
    mutating func accept(_ result: CompletedMicroBatch<Payload>) {
        for microBatch in result.microBatches {
            if case .pending = states[microBatch] {
                pending.removeAll { $0 == microBatch }
            }
            states[microBatch] = .done
            remaining -= 1
        }
        results[result.microBatch] = result
    }

    /// All results in order of their first micro-batch; only valid once `isComplete`.
    func completedResults() -> JobResults<Payload> {
        JobResults(job: id, parameterVersion: parameterVersion, results: results.compactMap { $0 })
    }

    private mutating func insertPending(_ microBatch: Int) {
        var low = 0
        var high = pending.count
        while low < high {
            let mid = (low + high) / 2
            if pending[mid] < microBatch { low = mid + 1 } else { high = mid }
        }
        pending.insert(microBatch, at: low)
    }
}

extension CoordinatorJob: Sendable where Payload: Sendable {}
extension CoordinatorJob.Holder: Sendable {}
extension CoordinatorJob.MicroBatchState: Sendable {}
