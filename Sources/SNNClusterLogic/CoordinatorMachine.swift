import SNNMethods

/// The coordinator's logic as a pure state machine: events in, directives out.
///
/// No sockets, clocks or threads live here. The shell feeds every message from a worker, every timer tick
/// and every decision of its own (a step planned, the optimizer applied) as an `Event` with the instant it
/// happened, and carries out the returned `Directive`s in order. The same events always give the same
/// directives, which is what the tests (and a replay) rely on.
///
/// The rules it keeps:
/// - Pull scheduling. Workers ask with their number of free slots and get up to that many pending
///   micro-batches of the current job, lowest index first; a request that cannot be served is parked and
///   served the moment work appears (the `noWork` reply is only a safety net). Faster workers ask more
///   often and so get more.
/// - Exactly-once commit. A job finishes when every micro-batch has exactly one accepted result; late,
///   duplicate, unknown, stale-version and malformed results are dropped with a log record.
/// - One job at a time, in the order they were queued. After `commitStep` no work is handed out until the
///   shell reports the new parameter version with `stepCommitted`; the next job's work carries it.
/// - Deadlines, not hangs. A worker silent for longer than `deadAfter` is declared dead on the next tick
///   and its in-flight micro-batches go back to the front of the queue. A result it sends anyway is still
///   accepted while its micro-batch is unfinished (the math is deterministic), dropped otherwise.
public struct CoordinatorMachine<Payload> {
    /// Something that happened, as the shell reports it.
    public enum Event {
        /// A worker said hello; the shell has checked compatibility (dataset, build, protocol).
        case workerHello(WorkerID, compatible: Result<Void, RefusalReason>)
        /// A worker has `freeSlots` slots to fill (replaces any earlier request of that worker).
        case workRequested(WorkerID, freeSlots: Int)
        /// A worker's result for one micro-batch; `samples` is how many samples it covers.
        case resultArrived(WorkerID, key: WorkKey, parameterVersion: Int, samples: Int, payload: Payload)
        /// A worker's one result for several micro-batches of one job (its sum over them; `keys` distinct, of one
        /// job, ascending); `samples` is their total. Accepted whole or dropped whole.
        case resultsArrived(WorkerID, keys: [WorkKey], parameterVersion: Int, samples: Int, payload: Payload)
        /// A worker could not compute an item it was given.
        case workFailed(WorkerID, key: WorkKey, reason: FailureReason)
        case heartbeat(WorkerID)
        /// A worker leaves in good order.
        case workerBye(WorkerID)
        /// Time passed (the shell ticks at least every heartbeat interval; more often is fine).
        case tick
        /// The shell applied the optimizer for the step of the last `commitStep`; `version` is the new
        /// parameter version (must exceed the current one).
        case stepCommitted(version: Int)
        /// Queue a training step (it starts when the jobs before it are done).
        case startStep(StepPlan)
        /// Queue an evaluation pass.
        case startEvaluation(EvaluationPlan)
        /// The run is over: tell every worker to stop, refuse newcomers.
        case finishRun
    }

    /// Something the shell must do, in order.
    public enum Directive {
        case send(to: WorkerID, CoordinatorMessage)
        /// Every micro-batch of a training step has its one result: apply the optimizer once, then report
        /// the new version with `stepCommitted`.
        case commitStep(JobResults<Payload>)
        /// Every micro-batch of an evaluation pass has its one result.
        case finishEvaluation(JobResults<Payload>)
        /// A worker was silent past `deadAfter`; `reassigned` went back to the queue.
        case declareDead(WorkerID, reassigned: [WorkKey])
        /// A worker left (bye, or a new hello under its id); `reassigned` went back to the queue.
        case workerLeft(WorkerID, reassigned: [WorkKey])
        /// The run cannot go on (a micro-batch failed `maxAttempts` times). The machine ignores all later
        /// events.
        case abortRun(String)
        case log(LogRecord)
    }

    public let configuration: CoordinatorConfiguration
    /// The parameter version work is currently computed with.
    public private(set) var parameterVersion: Int
    /// The version committed just before `parameterVersion` (nil before the first commit of this machine, e.g. after a
    /// restart from a checkpoint): the only base a delta is taken against, so the shell keeps just two versions.
    public private(set) var previousParameterVersion: Int?

    private var started = false
    private var workers: [WorkerID: CoordinatorWorkerRecord] = [:]
    /// Live workers in the order they joined: every loop over workers follows it, so directives come out
    /// in the same order on every run (dictionary order is randomised per process).
    private var joinOrder: [WorkerID] = []
    /// Workers declared dead or gone: their results may still be accepted.
    private var departed: Set<WorkerID> = []
    private var refused: [WorkerID: RefusalReason] = [:]
    private var queue: [(id: JobID, microBatches: [MicroBatch])] = []
    private var active: CoordinatorJob<Payload>?
    private var awaitingCommit: JobID?
    private var finishedJobs: Set<JobID> = []
    private var lastFinished: JobID?
    private var abortReason: String?
    private var runFinished = false
    private var latestNow = Instant.zero
    private var requestSequence: UInt64 = 0
    private var committedSteps = 0
    private var finishedEvaluations = 0

    /// A machine with no workers and no jobs. `parameterVersion` is the version of the parameters the
    /// coordinator starts from (a resumed run passes its checkpoint's).
    public init(configuration: CoordinatorConfiguration, parameterVersion: Int = 0, now: Instant = .zero) {
        self.configuration = configuration
        self.parameterVersion = parameterVersion
        self.latestNow = now
    }

    /// Feeds one event that happened at `now` and returns what to do. Instants earlier than one already
    /// seen are treated as that one (time never runs backwards inside the machine).
    public mutating func handle(_ event: Event, at now: Instant) -> [Directive] {
        let now = max(now, latestNow)
        latestNow = now
        if let abortReason {
            return [.log(LogRecord(level: .debug, message: "ignored event after abort (\(abortReason))"))]
        }
        switch event {
        case .workerHello(let id, let compatible):
            return hello(id, compatible: compatible, at: now)
        case .workRequested(let id, let freeSlots):
            return workRequested(id, freeSlots: freeSlots, at: now)
        case .resultArrived(let id, let key, let version, let samples, let payload):
            return resultArrived(id, keys: [key], version: version, samples: samples, payload: payload, at: now)
        case .resultsArrived(let id, let keys, let version, let samples, let payload):
            return resultArrived(id, keys: keys, version: version, samples: samples, payload: payload, at: now)
        case .workFailed(let id, let key, let reason):
            return workFailed(id, key: key, reason: reason, at: now)
        case .heartbeat(let id):
            guard workers[id] != nil else { return strangerSpoke(id, at: now) }
            workers[id]!.lastSeen = now
            return []
        case .workerBye(let id):
            return bye(id, at: now)
        case .tick:
            return tick(at: now)
        case .stepCommitted(let version):
            return stepCommitted(version: version, at: now)
        case .startStep(let plan):
            return enqueue(plan.job, plan.microBatches, at: now)
        case .startEvaluation(let plan):
            return enqueue(plan.job, plan.microBatches, at: now)
        case .finishRun:
            return finishRun(at: now)
        }
    }

    // MARK: Membership

    private mutating func hello(_ id: WorkerID, compatible: Result<Void, RefusalReason>, at now: Instant)
        -> [Directive]
    {
        var out: [Directive] = []
        if workers[id] != nil {
            let reassigned = removeWorker(id).reassigned
            departed.insert(id)
            out.append(.log(LogRecord(level: .notice,
                                      message: "worker \(id) said hello again; treating it as a new worker")))
            out.append(.workerLeft(id, reassigned: reassigned))
            out += dispatch(at: now)
        }
        if runFinished {
            return out + [.send(to: id, .refuse(.runFinished))]
        }
        if case .failure(let reason) = compatible {
            refused[id] = reason
            out.append(.log(LogRecord(level: .warning, message: "refused worker \(id): \(reason)")))
            out.append(.send(to: id, .refuse(reason)))
            return out
        }
        refused[id] = nil
        departed.remove(id)
        workers[id] = CoordinatorWorkerRecord(id: id, at: now)
        joinOrder.append(id)
        out.append(.log(LogRecord(level: .info, message: "worker \(id) joined (\(workers.count) live)")))
        out.append(send(to: id, .welcome(WelcomeInfo(heartbeatInterval: configuration.heartbeatInterval,
                                                     deadAfter: configuration.deadAfter)), at: now))
        out += startNextJobIfPossible(at: now)
        return out
    }

    private mutating func bye(_ id: WorkerID, at now: Instant) -> [Directive] {
        guard workers[id] != nil else { return [] }
        let reassigned = removeWorker(id).reassigned
        departed.insert(id)
        var out: [Directive] = [
            .log(LogRecord(level: .info, message: "worker \(id) left (\(workers.count) live)")),
            .workerLeft(id, reassigned: reassigned),
        ]
        out += dispatch(at: now)
        return out
    }

    /// A message from an id that is not a live worker: a refused one hears its refusal again; any other is
    /// asked to say hello (it was declared dead, or this coordinator restarted).
    private mutating func strangerSpoke(_ id: WorkerID, at now: Instant) -> [Directive] {
        if runFinished { return [.send(to: id, .runFinished)] }
        if let reason = refused[id] { return [.send(to: id, .refuse(reason))] }
        return [.send(to: id, .rejoinRequired)]
    }

    /// Forgets a live worker and returns the micro-batches that went back to the queue because of it. With
    /// `lost`, each micro-batch it held counts one loss; the first to reach `maxLosses` is returned as
    /// `exhausted` (the caller aborts the run).
    private mutating func removeWorker(_ id: WorkerID, lost: Bool = false) -> (reassigned: [WorkKey], exhausted: (WorkKey, Int)?) {
        guard let record = workers.removeValue(forKey: id) else { return ([], nil) }
        joinOrder.removeAll { $0 == id }
        guard var job = active else { return ([], nil) }
        var reassigned: [WorkKey] = []
        var exhausted: (WorkKey, Int)?
        for key in record.inFlight.sorted() where key.job == job.id {
            if lost {
                let n = job.recordLoss(key.microBatch)
                if n >= configuration.maxLosses, exhausted == nil { exhausted = (key, n) }
            }
            if job.release(key.microBatch, from: id) {
                reassigned.append(key)
            }
        }
        active = job
        return (reassigned, exhausted)
    }

    // MARK: Time

    private mutating func tick(at now: Instant) -> [Directive] {
        var out: [Directive] = []
        for id in joinOrder {
            guard let record = workers[id], now - record.lastSeen > configuration.deadAfter else { continue }
            let (reassigned, exhausted) = removeWorker(id, lost: true)
            departed.insert(id)
            out.append(.log(LogRecord(
                level: .warning,
                message: "worker \(id) silent for \(now - record.lastSeen); declared dead, "
                    + "\(reassigned.count) micro-batches back in the queue")))
            out.append(.declareDead(id, reassigned: reassigned))
            if abortReason == nil, let (key, n) = exhausted {
                let message = "\(key) was being computed by \(n) workers that each died or fell silent (last \(id)); "
                    + "it may crash every worker (memory, a bug): aborting the run"
                abortReason = message
                return out + [.log(LogRecord(level: .critical, message: message)), .abortRun(message)]
            }
        }
        if abortReason == nil, let job = active {
            for (mb, worker) in job.overdue(configuration.itemDeadline, at: now) where abortReason == nil {
                let key = job.key(mb)
                workers[worker]?.inFlight.remove(key)
                out.append(.log(LogRecord(level: .warning,
                                          message: "\(key) on worker \(worker) passed its \(configuration.itemDeadline) deadline; handed out again")))
                out += rejected(key, from: worker, at: now)
            }
            if abortReason != nil { return out }
        }
        out += dispatch(at: now)
        for id in joinOrder where now - workers[id]!.lastSentTo >= configuration.heartbeatInterval {
            out.append(send(to: id, .heartbeat, at: now))
        }
        return out
    }

    // MARK: Work

    private mutating func workRequested(_ id: WorkerID, freeSlots: Int, at now: Instant) -> [Directive] {
        guard workers[id] != nil else { return strangerSpoke(id, at: now) }
        workers[id]!.lastSeen = now
        requestSequence += 1
        workers[id]!.demand = max(0, freeSlots)
        workers[id]!.demandSequence = requestSequence
        guard freeSlots > 0 else { return [] }
        var out = dispatch(at: now)
        let served = out.contains { directive in
            if case .send(let to, .assign) = directive { return to == id }
            return false
        }
        if !served {
            out.append(send(to: id, .noWork(retryAfter: configuration.noWorkRetry), at: now))
        }
        return out
    }

    /// Serves parked requests from the current job: round-robin, one micro-batch per worker per round, in
    /// the order the requests came in; pending micro-batches first, then (if enabled) speculative copies.
    private mutating func dispatch(at now: Instant) -> [Directive] {
        guard var job = active else { return [] }
        let hungry = joinOrder.filter { workers[$0]!.demand > 0 }
            .sorted { workers[$0]!.demandSequence < workers[$1]!.demandSequence }
        guard !hungry.isEmpty else { return [] }
        let hadPending = !job.pending.isEmpty
        var batches: [WorkerID: [WorkItem]] = [:]
        var progress = true
        while progress {
            progress = false
            for id in hungry where workers[id]!.demand > 0 {
                var microBatch = job.takePending(for: id, at: now)
                if microBatch == nil, let threshold = configuration.speculateAfter,
                   let copy = job.speculativeCandidate(for: id, threshold: threshold, at: now),
                   !workers[id]!.inFlight.contains(job.key(copy))
                {
                    job.addCopy(copy, for: id, at: now)
                    microBatch = copy
                }
                guard let microBatch else { continue }
                workers[id]!.demand -= 1
                workers[id]!.inFlight.insert(job.key(microBatch))
                batches[id, default: []].append(job.item(microBatch))
                progress = true
            }
        }
        active = job
        var out: [Directive] = []
        for id in hungry {
            guard let items = batches[id] else { continue }
            let held = workers[id]!.parametersSent
            workers[id]!.parametersSent = job.parameterVersion
            if configuration.parameterDeltas, let held, held != job.parameterVersion, held == previousParameterVersion {
                out.append(send(to: id, .assignDelta(items, base: held), at: now))
            } else {
                out.append(send(to: id, .assign(items, includeParameters: held != job.parameterVersion), at: now))
            }
        }
        // The job's last pending micro-batch just went out: every worker computing some of it with no request parked
        // here hears NO_WORK now (after its WORK), so that it sends its step's sum the moment its last micro-batch ends
        // instead of asking first and waiting a round trip for this same answer (issue 11 item 3). A hint only: work that
        // comes back to the queue later is handed out as always.
        if hadPending, job.pending.isEmpty {
            for id in joinOrder where workers[id]!.demand == 0 && workers[id]!.inFlight.contains(where: { $0.job == job.id }) {
                out.append(send(to: id, .noWork(retryAfter: configuration.noWorkRetry), at: now))
            }
        }
        return out
    }

    private mutating func resultArrived(_ id: WorkerID, keys: [WorkKey], version: Int, samples: Int,
                                        payload: Payload, at now: Instant) -> [Directive]
    {
        guard let key = keys.first else { return [] }
        var out: [Directive] = []
        if workers[id] != nil {
            workers[id]!.lastSeen = now
            for k in keys { workers[id]!.inFlight.remove(k) }
        } else if departed.contains(id) {
            out.append(send(to: id, .rejoinRequired, at: now))
        } else {
            return [drop(key, from: id, .unknownWorker)] + strangerSpoke(id, at: now)
        }
        guard var job = active, job.id == key.job else {
            let reason: DropReason = finishedJobs.contains(key.job) ? .late : .unknownKey
            return out + [drop(key, from: id, reason)]
        }
        let microBatches = keys.map(\.microBatch)
        guard keys.allSatisfy({ $0.job == job.id }), Set(microBatches).count == microBatches.count,
              microBatches.allSatisfy({ $0 >= 0 && $0 < job.microBatchCount })
        else {
            return out + [drop(key, from: id, .unknownKey)] + released(keys, from: id, at: now)
        }
        // All or nothing: a result covering a micro-batch already done (a speculative copy won) or not held by the
        // sender is dropped whole, and the sender's other micro-batches of it go back to the queue (uncounted).
        if let done = keys.first(where: { job.isDone($0.microBatch) }) {
            return out + [drop(done, from: id, .duplicate)] + released(keys, from: id, at: now)
        }
        // Only the worker the item was given to (or a speculative copy) may answer it: a faulty worker must not
        // overwrite work it was never given.
        if let foreign = keys.first(where: { !job.isHeld($0.microBatch, by: id) }) {
            return out + [drop(foreign, from: id, .notAssigned)] + released(keys, from: id, at: now)
        }
        if version != job.parameterVersion {
            return out + [drop(key, from: id, .staleVersion(got: version, expected: job.parameterVersion))]
                + keys.flatMap { rejected($0, from: id, at: now) }
        }
        let expected = microBatches.reduce(0) { $0 + job.microBatches[$1].samples.count }
        if samples != expected {
            return out + [drop(key, from: id, .sampleCountMismatch(got: samples, expected: expected))]
                + keys.flatMap { rejected($0, from: id, at: now) }
        }
        job.accept(CompletedMicroBatch(microBatches: microBatches, samples: samples, worker: id, payload: payload))
        if workers[id] != nil {
            workers[id]!.completedMicroBatches += keys.count
            workers[id]!.completedSamples += samples
        }
        active = job
        if job.isComplete {
            out += finishJob(at: now)
        }
        return out
    }

    /// The sender of a dropped multi-micro-batch result no longer computes the ones it still holds: back to the
    /// queue, not counted as failures (nothing was wrong with them).
    private mutating func released(_ keys: [WorkKey], from id: WorkerID, at now: Instant) -> [Directive] {
        guard keys.count > 1, workers[id] != nil, var job = active else { return [] }
        for k in keys where k.job == job.id && job.isHeld(k.microBatch, by: id) { _ = job.release(k.microBatch, from: id) }
        active = job
        return dispatch(at: now)
    }

    private mutating func workFailed(_ id: WorkerID, key: WorkKey, reason: FailureReason, at now: Instant)
        -> [Directive]
    {
        guard workers[id] != nil else { return strangerSpoke(id, at: now) }
        workers[id]!.lastSeen = now
        workers[id]!.inFlight.remove(key)
        var out: [Directive] = [.log(LogRecord(level: .warning, message: "worker \(id) failed \(key): \(reason)"))]
        // Whatever the item, a worker missing parameters holds none we know of: the next WORK carries full values.
        if case .missingParameters = reason { workers[id]!.parametersSent = nil }
        guard var job = active, job.id == key.job, job.microBatchCount > key.microBatch, key.microBatch >= 0,
              job.isHeld(key.microBatch, by: id)
        else { return out }   // a failure report for work this worker does not hold counts for nothing
        _ = job.release(key.microBatch, from: id)
        switch reason {
        case .missingParameters:
            workers[id]!.parametersSent = nil
        case .computeError:
            let failures = job.recordFailure(key.microBatch)
            if failures >= configuration.maxAttempts {
                active = job
                let message = "\(key) failed \(failures) times (last on \(id): \(reason)); aborting the run"
                abortReason = message
                return out + [.log(LogRecord(level: .critical, message: message)), .abortRun(message)]
            }
        }
        active = job
        out += dispatch(at: now)
        return out
    }

    /// A live worker answered `key` with a wrong result: it no longer computes the micro-batch, so it goes
    /// back to the queue (unless another copy is in flight) and counts as a failed attempt. Without this a
    /// worker answering wrongly would stall the step forever (it is alive, so never declared dead).
    private mutating func rejected(_ key: WorkKey, from id: WorkerID, at now: Instant) -> [Directive] {
        guard workers[id] != nil, var job = active, job.id == key.job, job.isHeld(key.microBatch, by: id) else { return [] }
        _ = job.release(key.microBatch, from: id)
        let failures = job.recordFailure(key.microBatch)
        active = job
        if failures >= configuration.maxAttempts {
            let message = "\(key) failed \(failures) times (last: a wrong result from \(id)); aborting the run"
            abortReason = message
            return [.log(LogRecord(level: .critical, message: message)), .abortRun(message)]
        }
        return dispatch(at: now)
    }

    private mutating func finishJob(at now: Instant) -> [Directive] {
        guard let job = active else { return [] }
        active = nil
        finishedJobs.insert(job.id)
        lastFinished = job.id
        let results = job.completedResults()
        switch job.id.phase {
        case .train:
            awaitingCommit = job.id
            committedSteps += 1
            return [.commitStep(results)]
        case .evaluate, .eccLambda, .eccCNN, .eccClosedForm, .eccTimeStepped:
            // Plans only make train and evaluate jobs (a conversion names its jobs train/evaluate in here, §5.2).
            finishedEvaluations += 1
            return [.finishEvaluation(results)] + startNextJobIfPossible(at: now)
        }
    }

    // MARK: Jobs

    private mutating func enqueue(_ id: JobID, _ microBatches: [MicroBatch], at now: Instant) -> [Directive] {
        if runFinished {
            return [.log(LogRecord(level: .error, message: "\(id) ignored: the run has finished"))]
        }
        if microBatches.isEmpty || microBatches.contains(where: \.samples.isEmpty) {
            return [.log(LogRecord(level: .error, message: "\(id) ignored: it has an empty micro-batch or none"))]
        }
        if finishedJobs.contains(id) || active?.id == id || awaitingCommit == id || queue.contains(where: { $0.id == id }) {
            return [.log(LogRecord(level: .error, message: "\(id) ignored: a job with this epoch/step/phase exists"))]
        }
        queue.append((id, JobPlan.items(id, microBatches)))
        return startNextJobIfPossible(at: now)
    }

    private mutating func startNextJobIfPossible(at now: Instant) -> [Directive] {
        guard active == nil, awaitingCommit == nil, !runFinished, !queue.isEmpty else { return [] }
        if !started {
            guard workers.count >= configuration.minWorkers else { return [] }
            started = true
        }
        let next = queue.removeFirst()
        active = CoordinatorJob(id: next.id, parameterVersion: parameterVersion, microBatches: next.microBatches,
                                startedAt: now)
        return [.log(LogRecord(level: .info, message: "started \(next.id): \(next.microBatches.count) micro-batches, "
                               + "parameter version \(parameterVersion)"))]
            + dispatch(at: now)
    }

    private mutating func stepCommitted(version: Int, at now: Instant) -> [Directive] {
        guard let job = awaitingCommit else {
            return [.log(LogRecord(level: .error, message: "stepCommitted(\(version)) ignored: no step awaits commit"))]
        }
        guard version > parameterVersion else {
            return [.log(LogRecord(level: .error,
                                   message: "stepCommitted(\(version)) ignored: the version must exceed \(parameterVersion)"))]
        }
        previousParameterVersion = parameterVersion
        parameterVersion = version
        awaitingCommit = nil
        return [.log(LogRecord(level: .debug, message: "\(job) committed as parameter version \(version)"))]
            + startNextJobIfPossible(at: now)
    }

    private mutating func finishRun(at now: Instant) -> [Directive] {
        guard !runFinished else { return [] }
        runFinished = true
        var out: [Directive] = []
        if active != nil || !queue.isEmpty || awaitingCommit != nil {
            out.append(.log(LogRecord(level: .warning, message: "run finished with work unfinished")))
        }
        active = nil
        queue.removeAll()
        out.append(.log(LogRecord(level: .info, message: "run finished; stopping \(workers.count) workers")))
        for id in joinOrder {
            out.append(send(to: id, .runFinished, at: now))
        }
        return out
    }

    // MARK: Helpers

    private mutating func send(to id: WorkerID, _ message: CoordinatorMessage, at now: Instant) -> Directive {
        workers[id]?.lastSentTo = now
        return .send(to: id, message)
    }

    private func drop(_ key: WorkKey, from id: WorkerID, _ reason: DropReason) -> Directive {
        .log(LogRecord(level: .info, message: "dropped \(reason) result \(key) from \(id)", drop: reason))
    }

    // MARK: Status

    /// A read-only snapshot for `snn-coord status` and the metrics store.
    public var status: CoordinatorStatus {
        let state: CoordinatorStatus.RunState
        if let abortReason {
            state = .aborted(abortReason)
        } else if runFinished {
            state = .finished
        } else if let job = active {
            state = .running(job.id)
        } else if let job = awaitingCommit {
            state = .awaitingCommit(job)
        } else if !started {
            state = .waitingForWorkers(joined: workers.count, needed: configuration.minWorkers)
        } else {
            state = .idle
        }
        return CoordinatorStatus(
            now: latestNow,
            state: state,
            parameterVersion: parameterVersion,
            workers: joinOrder.map { id in
                let record = workers[id]!
                return CoordinatorStatus.Worker(
                    id: id, joinedAt: record.joinedAt, lastSeen: record.lastSeen,
                    inFlight: record.inFlight.count, requestedSlots: record.demand,
                    completedMicroBatches: record.completedMicroBatches,
                    completedSamples: record.completedSamples)
            },
            job: active.map { job in
                CoordinatorStatus.Job(id: job.id, parameterVersion: job.parameterVersion,
                                      microBatches: job.microBatchCount, pending: job.pending.count,
                                      inFlight: job.inFlightCount,
                                      done: job.microBatchCount - job.remaining, startedAt: job.startedAt)
            },
            lastFinished: lastFinished,
            queuedJobs: queue.count,
            committedSteps: committedSteps,
            finishedEvaluations: finishedEvaluations,
            departedWorkers: departed.sorted(),
            refusedWorkers: refused.keys.sorted().map { ($0, refused[$0]!) }.map {
                CoordinatorStatus.Refusal(worker: $0.0, reason: $0.1)
            })
    }
}

extension CoordinatorMachine: Sendable where Payload: Sendable {}
extension CoordinatorMachine.Event: Sendable where Payload: Sendable {}
extension CoordinatorMachine.Directive: Sendable where Payload: Sendable {}
extension CoordinatorMachine.Directive: Equatable where Payload: Equatable {}
