/// What the coordinator machine remembers about one live worker.
struct CoordinatorWorkerRecord: Sendable {
    let id: WorkerID
    let joinedAt: Instant
    /// The last instant anything arrived from this worker.
    var lastSeen: Instant
    /// The last instant anything was sent to it (heartbeats fill longer silences).
    var lastSentTo: Instant
    /// Free slots the worker asked to fill and that have not been filled yet (its parked request).
    var demand: Int = 0
    /// Orders parked requests: older requests are served first.
    var demandSequence: UInt64 = 0
    /// Keys handed to it and not answered yet (may include keys of already finished jobs).
    var inFlight: Set<WorkKey> = []
    /// The parameter version last sent to it (the one it holds: messages on one connection arrive in order); nil
    /// before the first assignment and after it reported missing parameters. A delta is only ever taken against it.
    var parametersSent: Int?
    /// Accepted results (throughput).
    var completedMicroBatches: Int = 0
    var completedSamples: Int = 0

    init(id: WorkerID, at now: Instant) {
        self.id = id
        self.joinedAt = now
        self.lastSeen = now
        self.lastSentTo = now
    }
}
