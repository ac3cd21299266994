import Foundation
import Logging
import SNNCore
import SNNEnergy
import SNNMethods
import SNNModel

/// The coordinator's I/O shell: a frame transport (a ZeroMQ ROUTER socket), a clock and a loop that turns wire
/// messages into `CoordinatorMachine` events and its directives into wire messages, optimizer steps (through
/// `TrainingSession`), checkpoints and metrics. All decisions live in the machine; this only carries them out.
///
/// `run()` opens the socket and loops. Tests drive the same loop in-process: `start(on:)` with one end of an
/// `InMemoryNetwork`, `poll()` per turn, `finish(drainFor:)` at the end, on a `ManualClock`.
public final class CoordinatorServer {
    public let setup: RunSetup
    public let session: TrainingSession
    public let runID: String
    public let runUUID: UUID
    public let options: CoordinatorOptions
    public let recorder: RunRecorder?
    public let buildID: String
    let logger: Logger
    let fingerprint: String

    var machine: CoordinatorMachine<StepContribution>
    /// The time of every machine event and of the loop's cadence (ticks, status writes, the final drain).
    public let clock: ShellClock
    var identities: [WorkerID: [UInt8]] = [:]
    var workerOf: [[UInt8]: WorkerID] = [:]
    var names: [WorkerID: String] = [:]
    /// Compute slots of each worker (from HELLO), to turn summed compute time into time per slot.
    var slots: [WorkerID: Int] = [:]
    let sentTally = WireTally(), receivedTally = WireTally()
    /// Micro-batch hand-outs for the worker timeline (`micro_batches` table), flushed per committed job.
    let timeline = MicroBatchTimeline()
    /// Per-step timestamps when `SNN_GAP_TRACE` is set (GapTrace.swift).
    let trace = GapTrace.make(role: "coordinator")
    var receivedAtNanos: UInt64 = 0
    /// Frames at least this long are LZ4-compressed (`WireCompression`: none on a loopback bind by default).
    let compressAbove: Int
    var transport: FrameTransport!
    var lastTick = Instant.zero
    /// The run's schedule (evaluate, checkpoint cadence, max-steps, stop), shared with the standalone trainer.
    var schedule: RunSchedule
    var done = false
    var lastEvaluation: EvaluationOutcome?
    var failure: String?
    /// Dropped messages and results by reason, flushed to the metrics' wire table as "dropped <reason>".
    var dropped: [String: Int64] = [:]
    /// Messages over the transport limits, drained and dropped.
    public private(set) var oversizedDropped = 0
    /// True once the run ended early on request (signal): the shell checkpointed and told the workers.
    public private(set) var stopping = false
    /// Polled by the loop; returns true when the process was asked to stop (SIGINT/SIGTERM).
    public var stopRequested: () -> Bool = { false }
    // Step timing.
    var stepStartedAt = Instant.zero
    var assignedAt: [WorkKey: Instant] = [:]
    var transferNanos: Int64 = 0, transferCount = 0
    var codecNanos: Int64 = 0
    /// Recent parameter versions for WORK deltas (protocol 4).
    var versions = ParameterVersions()
    var lastStatusWrite: Instant?
    var windowSamples = 0, windowStart = Instant.zero, rate = 0.0
    let runStart = Date()

    public init(setup: RunSetup, session: TrainingSession, runID: String, options: CoordinatorOptions,
                recorder: RunRecorder?, buildID: String, clock: ShellClock = SystemClock()) throws {
        self.setup = setup; self.session = session; self.runID = runID; self.options = options
        self.recorder = recorder; self.buildID = buildID; self.clock = clock
        session.recordsRoundedUpdates = true   // its workers get them as WORK parameters kind 3
        self.runUUID = UUID(uuidString: Self.uuidString(from: runID)) ?? UUID()
        self.fingerprint = BuildIdentity.dataFingerprint(train: setup.train, test: setup.test)
        compressAbove = try WireCompression.parse(ProcessInfo.processInfo.environment[WireCompression.variable])
            .compressAbove(endpoint: options.bind)
        var l = Logger(label: "snn-coord")
        l.logLevel = options.quiet ? .warning : .info
        self.logger = l
        var config = try CoordinatorConfiguration(heartbeatInterval: options.heartbeatInterval, deadAfter: options.deadAfter,
                                                  minWorkers: options.minWorkers, noWorkRetry: options.noWorkRetry)
        config.parameterDeltas = true   // protocol 4: a new version travels as a delta to workers holding the one before
        machine = CoordinatorMachine(configuration: config, parameterVersion: Int(session.version))
        schedule = RunSchedule(epochs: setup.settings.epochs, stepsPerEpoch: session.stepsPerEpoch,
                               maxSteps: options.maxSteps, checkpointEvery: options.checkpointEvery)
    }

    /// A stable UUID for a run id (the wire carries 16 bytes).
    static func uuidString(from runID: String) -> String {
        let h = sha256Hex(Array(runID.utf8).withUnsafeBytes { $0 })
        let c = Array(h.prefix(32))
        return "\(String(c[0..<8]))-\(String(c[8..<12]))-\(String(c[12..<16]))-\(String(c[16..<20]))-\(String(c[20..<32]))"
    }

    var now: Instant { clock.now }

    /// Runs until the run is finished (or `maxSteps` steps were committed). Returns the last evaluation.
    public func run() throws -> EvaluationOutcome? {
        let context = try ZContext()
        var zap: ZAPAuthenticator?
        if let curve = options.curve {
            zap = try ZAPAuthenticator(context: context, allowList: curve.allowed) { [logger, recorder] r in
                logger.warning("refused a worker: public key \(r.publicKey ?? "none") from \(r.address) is not in the allow-list")
                recorder?.membership(worker: r.publicKey ?? "unknown", name: r.address, .refused, detail: "CURVE key not allowed")
            }
        }
        let socket = try ZSocket.router(context)
        if let curve = options.curve { try socket.makeCurveServer(secretKey: curve.keyPair.secretKey) }
        do { try socket.bind(options.bind) } catch {
            throw SetupError("cannot listen on \(options.bind): \(error); pick another --bind address or port")
        }
        let endpoint = (try? socket.lastEndpoint()) ?? options.bind
        let local = socket.bindLocalWorkers(options.localBind, fallback: endpoint)
        options.onBound?(local)
        if !options.quiet { Progress.line("coordinator   listening on \(endpoint)\(options.curve != nil ? " (CURVE, \(options.curve!.allowed.keys.count) allowed worker keys)" : " (plain TCP)")\(local != endpoint ? " and \(local) (local workers)" : ""); waiting for \(options.minWorkers) worker(s)") }
        defer { zap?.stop(); socket.close() }

        start(on: socket)
        while !done { try poll(timeoutMs: 20) }
        return try finish(drainFor: .milliseconds(300))
    }

    /// Starts the run on `transport` (bound, or one end of an in-memory pair): the schedule's first actions.
    public func start(on transport: FrameTransport) {
        self.transport = transport
        lastTick = clock.now
        windowStart = clock.now
        perform(schedule.next(after: .started(session.cursor)))
    }

    /// One turn of the loop: every queued message (waiting up to `timeoutMs` for the first), a stop request, and
    /// the machine's tick when 50 ms have passed on the clock. Throws when the run failed.
    public func poll(timeoutMs: Int = 0) throws {
        if let frames = try receive(timeoutMs: timeoutMs) { handleFrames(frames) }
        // Drain whatever else is queued without waiting.
        while let more = try receive(timeoutMs: 0) { handleFrames(more) }
        // Stopped on request: the step in flight is abandoned (its work is redone on resume); the schedule
        // checkpoints the committed state before the workers are told.
        if !done && stopRequested() { perform(schedule.next(after: .stopRequested)) }
        if clock.now - lastTick >= .milliseconds(50) {
            lastTick = clock.now
            apply(machine.handle(.tick, at: now))
            writeStatusIfDue()
        }
        if let f = failure { throw SetupError(f) }
    }

    /// True once the schedule has stopped the run (`finish` is next).
    public var isFinished: Bool { done }

    /// The machine's view: workers, the job in flight.
    public var status: CoordinatorStatus { machine.status }

    /// Tells the workers the run is over, gives the messages `drainFor` on the clock to leave, and records the
    /// last metrics. Returns the last evaluation.
    public func finish(drainFor: Duration) throws -> EvaluationOutcome? {
        apply(machine.handle(.finishRun, at: now))
        let drainUntil = clock.now + drainFor
        while clock.now < drainUntil { if let frames = try receive(timeoutMs: 20) { handleFrames(frames) } }
        // Attribute the last messages to the last epoch trained (the cursor has already moved past it).
        flushWire(epoch: max(0, min(session.epoch, setup.settings.epochs - 1)))
        recorder?.microBatches(timeline.drain())
        writeStatusIfDue(force: true)
        trace?.flush()
        return lastEvaluation
    }

    /// One message from the socket, or nil. A message over the transport limits (PROTOCOL.md §3.4: more than
    /// `WireLimits.maxTransportFrames` frames or `maxTransportBytes` bytes) has already been drained by the
    /// socket; it is counted, logged and dropped here, and the loop goes on. Only a broken socket throws.
    func receive(timeoutMs: Int) throws -> [[UInt8]]? {
        while true {
            do {
                return try transport.receive(timeoutMs: timeoutMs)
            } catch let error as ZmqError {
                guard error.code == EMSGSIZE else { throw error }
                let e = error
                oversizedDropped += 1
                if oversizedDropped <= 5 || oversizedDropped.isMultiple(of: 1000) {
                    logger.warning("dropped an oversized message (\(oversizedDropped) so far): \(e)")
                }
                dropped["oversized message", default: 0] += 1
                if timeoutMs > 0 { return nil }
            }
        }
    }

    // MARK: - Jobs

    /// Carries out the schedule's actions in order. After a commit (`committedVersion` set) the machine hears of
    /// the new version after an evaluation is queued and before the next step is, as it always has.
    func perform(_ actions: [RunSchedule.Action], committedVersion: Int? = nil) {
        var reported = committedVersion == nil
        func reportCommit() {
            guard !reported, let v = committedVersion else { return }
            reported = true
            apply(machine.handle(.stepCommitted(version: v), at: now))
        }
        for action in actions {
            switch action {
            case .trainStep: reportCommit(); queueStep()
            case .evaluate(let e): queueEvaluation(epoch: e)
            case .advanceEpoch: _ = session.advanceEpochIfDone()
            case .checkpoint: saveCheckpoint()
            case .stop(let reason): done = true; if reason == .requested { stopping = true }
            }
        }
        reportCommit()
    }

    func queueStep() {
        let plan = StepPlan(epoch: session.epoch, step: session.step, microBatches: session.nextStepWork())
        stepStartedAt = clock.now
        transferNanos = 0; transferCount = 0; codecNanos = 0
        apply(machine.handle(.startStep(plan), at: now))
    }

    func queueEvaluation(epoch: Int) {
        let plan = EvaluationPlan(epoch: epoch, step: session.step, microBatches: session.evaluationWork(epoch: epoch))
        apply(machine.handle(.startEvaluation(plan), at: now))
    }

    // MARK: - Incoming

    func handleFrames(_ frames: [[UInt8]]) {
        if trace != nil { receivedAtNanos = GapTrace.nanos() }
        let t0 = ContinuousClock.now
        guard let (identity, decoded) = IncomingFrames.decode(frames, logger: logger, reply: { send($0, toIdentity: $1) }) else { return }
        codecNanos += (ContinuousClock.now - t0).nanoseconds
        receivedTally.add(decoded.kind, raw: decoded.rawBytes, wire: decoded.wireBytes)
        if case .hello(let h) = decoded.message { hello(h, identity: identity); return }
        guard let id = workerOf[identity] else {
            send(.error(ErrorReply(code: .notWelcomed, text: "say HELLO first")), toIdentity: identity)
            return
        }
        if IncomingFrames.namesAnotherRun(decoded, runUUID: runUUID) {
            send(.error(ErrorReply(code: .wrongRun, text: "this coordinator runs \(runID)")), toIdentity: identity)
            return
        }
        switch decoded.message {
        case .requestWork(let r): apply(machine.handle(.workRequested(id, freeSlots: Int(r.freeSlots)), at: now))
        case .result(let r): result(r, from: id)
        case .heartbeat: apply(machine.handle(.heartbeat(id), at: now))
        case .bye: apply(machine.handle(.workerBye(id), at: now))
        case .workFailed(let f): workFailed(f, from: id)
        case .error(let e): logger.warning("worker \(names[id] ?? id.rawValue) reported: \(e.text)")
        case .spikeRaster(let s): storeRaster(s, wireBytes: decoded.wireBytes, from: id)
        default:
            send(.error(ErrorReply(code: .malformed, text: "\(decoded.kind) is not a worker message")), toIdentity: identity)
        }
    }

    func hello(_ h: Hello, identity: [UInt8]) {
        let id = WorkerID(h.workerId.uuidString)
        if let old = identities[id], old != identity { workerOf[old] = nil }
        identities[id] = identity; workerOf[identity] = id; names[id] = h.name; slots[id] = Int(h.threads)
        let compatible: Result<Void, RefusalReason>
        if h.protocolVersion != WireCodec.protocolVersion {
            compatible = .failure(.protocolVersion("worker speaks \(h.protocolVersion), coordinator \(WireCodec.protocolVersion)"))
        } else if h.buildID != buildID {
            compatible = .failure(.buildID("worker build '\(h.buildID)', coordinator '\(buildID)': build both from the same source with the same SNN_TARGET_CPU on the same CPU family"))
        } else if h.datasetFingerprint != fingerprint {
            compatible = .failure(.datasetFingerprint("worker data \(h.datasetFingerprint.prefix(12))…, coordinator \(fingerprint.prefix(12))…: give the worker the same dataset files (--data) and --limit"))
        } else {
            compatible = .success(())
        }
        switch compatible {
        case .success:
            logger.info("worker \(h.name) (\(id.rawValue.prefix(8))) joined with \(h.threads) thread(s)")
            recorder?.membership(worker: id.rawValue, name: h.name, .joined, detail: "\(h.threads) threads")
        case .failure(let reason):
            logger.warning("refused worker \(h.name): \(reason)")
            recorder?.membership(worker: id.rawValue, name: h.name, .refused, detail: reason.description)
        }
        apply(machine.handle(.workerHello(id, compatible: compatible), at: now))
    }

    /// A RESULT: sizes checked against the run's network, then its contribution (gradient in fixed point, steps as
    /// the method simulated them) goes to the machine as the payload it will hand back in `commitStep`.
    func result(_ r: WorkResult, from id: WorkerID) {
        let key = r.key, keys = r.keys
        let expectGradient = key.phase == .train ? session.network.parameterCount : 0
        guard r.gradient.count == expectGradient,
              key.phase == .evaluate || r.statistics.count == session.network.statisticsCount * keys.count,
              r.spikesPerLayer.count == session.network.layers.count,
              let contribution = StepContribution(r, ledgerLike: session.network.makeLedger()) else {
            logger.warning("rejected a result for \(key) from \(names[id] ?? id.rawValue): sizes do not match the run's network")
            send(.error(ErrorReply(code: .malformed, text: "result sizes do not match the network")), to: id)
            dropped["malformed result", default: 0] += 1
            // The items go back to the queue now (a failed attempt) instead of waiting for their deadline.
            for k in keys { apply(machine.handle(.workFailed(id, key: k, reason: .computeError("malformed result")), at: now)) }
            return
        }
        for k in keys { timeline.finished(k, worker: id.rawValue) }
        if let trace {
            let label = keys.map(\.traceLabel).joined(separator: ",")
            trace.mark("c.recv", label, at: receivedAtNanos); trace.mark("c.result", label)
        }
        // Transfer time, an estimate: from the first of the covered items' assignment to the result, less their compute
        // as the worker's slots ran it side by side (summed compute / min(slots, items)). A worker's step sum covers
        // micro-batches that ran one after the other on a slot, so the time since the last assignment (used before)
        // counted all but one of them as wire: the demo's progress line said "wire 34" for a 0.3 ms message. Time a
        // worker spent waiting for a later item still counts here.
        let sentTimes = keys.compactMap { assignedAt.removeValue(forKey: $0) }
        if let sent = sentTimes.min() {
            let parallel = Int64(max(1, min(slots[id] ?? 1, keys.count)))
            transferNanos += max(0, (clock.now - sent).nanoseconds - Int64(r.computeNanos) / parallel); transferCount += 1
        }
        if keys.count == 1 {
            apply(machine.handle(.resultArrived(id, key: key, parameterVersion: Int(r.parameterVersion), samples: Int(r.samples),
                                                payload: contribution), at: now))
        } else {
            apply(machine.handle(.resultsArrived(id, keys: keys, parameterVersion: Int(r.parameterVersion), samples: Int(r.samples),
                                                 payload: contribution), at: now))
        }
    }

    /// A micro-batch the worker could not compute (WORK_FAILED): back to the machine, which requeues it.
    func workFailed(_ f: WorkFailed, from id: WorkerID) {
        timeline.finished(f.key, worker: id.rawValue, outcome: .failed)
        apply(machine.handle(.workFailed(id, key: f.key, reason: FailureReason(f)), at: now))
    }

    // MARK: - Directives

    func apply(_ directives: [CoordinatorMachine<StepContribution>.Directive]) {
        for d in directives {
            switch d {
            case let .send(to, message): send(message, to: to)
            case .commitStep(let results): commit(results)
            case .finishEvaluation(let results): finishEvaluation(results)
            case let .declareDead(id, reassigned):
                logger.warning("worker \(names[id] ?? id.rawValue) silent past \(options.deadAfter): declared dead, \(reassigned.count) micro-batch(es) back in the queue")
                recorder?.membership(worker: id.rawValue, name: names[id] ?? "", .lost, detail: "\(reassigned.count) reassigned")
                timeline.requeued(reassigned, worker: id.rawValue)
                forget(id)
            case let .workerLeft(id, reassigned):
                logger.info("worker \(names[id] ?? id.rawValue) left (\(reassigned.count) micro-batch(es) reassigned)")
                recorder?.membership(worker: id.rawValue, name: names[id] ?? "", .left, detail: "\(reassigned.count) reassigned")
                timeline.requeued(reassigned, worker: id.rawValue)
            case .abortRun(let why):
                failure = "run aborted: \(why)"
            case .log(let r) where r.drop != nil:
                dropped["\(Self.dropLabel(r.drop!)) result", default: 0] += 1
                logger.log(level: r.level >= .warning ? r.level : .debug, "\(r.message)")
            case .log(let r):
                // The machines narrate every step at info; the shells' own lines say what a user needs.
                logger.log(level: r.level >= .warning ? r.level : .debug, "\(r.message)")
            }
        }
    }

    func forget(_ id: WorkerID) {
        if let ident = identities.removeValue(forKey: id) { workerOf[ident] = nil }
    }

    func send(_ m: CoordinatorMessage, to id: WorkerID) {
        switch m {
        case .welcome(let info):
            send(.welcome(Welcome(runID: runUUID, info, specJSON: Array(setup.specJSON.utf8),
                                  parameterVersion: UInt64(machine.parameterVersion))), to: id)
        case .refuse(let r): send(.refuse(Refusal(r)), to: id)
        case let .assign(items, includeParameters):
            // Parameters and running state travel once per version per worker: with the first item only.
            let values = includeParameters ? ModelValues(parameters: session.parameters, state: session.state) : nil
            if let values { versions.remember(Int(session.version), values) }
            for (i, item) in items.enumerated() {
                assignedAt[item.key] = clock.now
                timeline.assigned(item.key, worker: id.rawValue, name: names[id] ?? "", samples: item.sampleIDs.count)
                trace?.mark("c.work0", item.key.traceLabel)
                send(.work(WorkAssignment(item, values: i == 0 ? values : nil)), to: id)
                trace?.mark("c.work", item.key.traceLabel)
            }
        case let .assignDelta(items, base):
            // The delta against the version this worker holds (full values if that version is no longer known).
            let target = Int(session.version)
            versions.remember(target, ModelValues(parameters: session.parameters, state: session.state))
            // With update quantization, the rounded update of the last commit when the worker holds the version before
            // it (protocol 6); otherwise the bit-exact delta (protocol 4).
            let update = session.lastUpdate.flatMap { Int($0.baseVersion) == base && base + 1 == target ? $0 : nil }
            let delta = update == nil ? versions.delta(from: base, to: target) : nil
            guard update != nil || delta != nil else { send(.assign(items, includeParameters: true), to: id); return }
            for (i, item) in items.enumerated() {
                assignedAt[item.key] = clock.now
                timeline.assigned(item.key, worker: id.rawValue, name: names[id] ?? "", samples: item.sampleIDs.count)
                trace?.mark("c.work0", item.key.traceLabel)
                send(.work(WorkAssignment(item, values: nil, delta: i == 0 ? delta : nil, update: i == 0 ? update : nil)), to: id)
                trace?.mark("c.work", item.key.traceLabel)
            }
        case .noWork(let retry):
            send(.noWork(NoWork(retryAfterMs: UInt32(milliseconds: retry), reason: .waitingForStep)), to: id)
        case .heartbeat:
            send(.heartbeat(Heartbeat(sentAtMs: UInt64(Date().timeIntervalSince1970 * 1000), currentStep: UInt64(session.iteration), freeSlots: 1)), to: id)
        case .rejoinRequired:
            send(.error(ErrorReply(code: .notWelcomed, text: "unknown worker: say HELLO again")), to: id)
        case .runFinished:
            send(.bye(Bye(reason: stopping ? "run stopped" : "run finished")), to: id)
        }
    }

    func send(_ m: Message, to id: WorkerID) {
        guard let ident = identities[id] else { return }
        send(m, toIdentity: ident)
    }

    func send(_ m: Message, toIdentity ident: [UInt8]) {
        let t0 = ContinuousClock.now
        do {
            let enc = try WireCodec.encode(m, runID: m.kind.requiresRunID || m.kind == .welcome ? runUUID : nil,
                                           compressAbove: compressAbove)
            codecNanos += (ContinuousClock.now - t0).nanoseconds
            sentTally.add(enc.kind, raw: enc.rawBytes, wire: enc.wireBytes)
            try transport.send([ident] + enc.frames)
        } catch {
            logger.debug("send \(m.kind) failed: \(error)")
        }
    }

    // MARK: - Commit, evaluation, checkpoints

    func commit(_ job: JobResults<StepContribution>) {
        trace?.markEnd("c.commit0", "t\(job.epoch):\(job.step)", cpu: .process)
        defer { trace?.mark("c.next", "t\(job.epoch):\(job.step)") }
        do {
            let outcome = try session.commit(contributions: job.payloads)
            trace?.mark("c.commit1", "t\(job.epoch):\(job.step)")
            let handedOut = timeline.drain()
            let wall = clock.now - stepStartedAt
            let wallMs = Double(wall.nanoseconds) / 1e6
            let contributors = Set(job.results.map(\.worker))
            let workers = max(1, contributors.count)
            // Compute time per slot: the sum over micro-batches divided by the slots that ran them.
            let slotCount = max(1, contributors.reduce(0) { $0 + (slots[$1] ?? 1) })
            let computeMs = Double(outcome.computeNanos) / 1e6 / Double(slotCount)
            let wireMs = transferCount > 0 ? Double(transferNanos) / 1e6 / Double(transferCount) : 0
            let codecMs = Double(codecNanos) / 1e6
            windowSamples += outcome.samples
            let elapsed = clock.now - windowStart
            if elapsed >= .seconds(1) { rate = Double(windowSamples) / Double(elapsed.nanoseconds) * 1e9; windowSamples = 0; windowStart = clock.now }
            else if rate == 0 { rate = Double(outcome.samples) / max(1e-9, wallMs / 1000) }
            let version = session.version, currentRate = rate
            let progress: (Double, String, Bool)? = options.quiet ? nil : { [session, setup] () -> (Double, String, Bool) in
                let perEpoch = session.stepsPerEpoch
                let remaining = Double((setup.settings.epochs - session.epoch) * perEpoch - session.step) * wallMs / 1000
                let fraction = Double(session.epoch * perEpoch + session.step) / Double(max(1, setup.settings.epochs * perEpoch))
                return (fraction, String(format: "epoch %d/%d  step %d/%d  loss %.4f  acc %5.1f%%  %.0f samples/s  %d worker(s)  step %.0f ms (compute %.0f, codec %.1f, wire %.1f)  ETA %@",
                                         session.epoch + 1, setup.settings.epochs, session.step, perEpoch, outcome.loss, outcome.accuracy * 100,
                                         currentRate, workers, wallMs, computeMs, codecMs, wireMs, Progress.duration(remaining)),
                        session.step % 20 == 0 || session.step == session.stepsPerEpoch)
            }()
            let record = { [recorder] in
                recorder?.microBatches(handedOut)
                recorder?.step(outcome, samplesPerSecond: currentRate, version: version, workers: workers, wallMs: wallMs,
                               codecMs: codecMs, wireMs: wireMs, waitMs: max(0, wallMs - computeMs - codecMs))
                if let (fraction, text, milestone) = progress { Progress.step(fraction: fraction, text: text, milestone: milestone) }
            }
            // When the next action is just the next step, its WORK leaves first and the metrics rows and the progress
            // line are written after it, while the workers compute, instead of on the step's serial path (issue 11
            // item 3). Before a checkpoint, an evaluation or the end they are written first, as always.
            let actions = schedule.next(after: .stepCommitted(session.cursor))
            if actions == [.trainStep] {
                perform(actions, committedVersion: Int(version))
                record()
            } else {
                record()
                perform(actions, committedVersion: Int(version))
            }
        } catch {
            failure = "step \(job.epoch)/\(job.step) could not be committed: \(error)"
        }
    }

    func finishEvaluation(_ job: JobResults<StepContribution>) {
        let eval = session.summarizeEvaluation(contributions: job.payloads)
        lastEvaluation = eval
        recorder?.microBatches(timeline.drain())
        let e = session.epoch
        recorder?.evaluation(epoch: e, eval, trainLedger: session.trainLedger, trainSamples: session.trainSamplesThisEpoch,
                             layerNames: session.network.layerNames)
        flushWire(epoch: e)
        if !options.quiet { Progress.line(Progress.epochLine(epoch: e, eval, layerNames: session.network.layerNames)) }
        perform(schedule.next(after: .evaluated(session.cursor)))
    }

    func saveCheckpoint() {
        do {
            try session.checkpoint(runID: runID, specJSON: setup.specJSON).write(to: options.checkpointPath)
            recorder?.checkpoint(epoch: session.epoch, step: session.step, path: options.checkpointPath, digest: session.digest)
        } catch {
            failure = "checkpoint failed: \(error)"
        }
    }

    static func dropLabel(_ d: DropReason) -> String {
        switch d {
        case .staleVersion: "stale"
        case .sampleCountMismatch: "mis-sized"
        default: d.description
        }
    }

    func flushWire(epoch: Int? = nil) {
        let e = epoch ?? session.epoch
        for (what, n) in dropped.sorted(by: { $0.key < $1.key }) {
            recorder?.wire(epoch: e, kind: "dropped \(what)", messages: n, rawBytes: 0, wireBytes: 0)
        }
        dropped = [:]
        for (dir, tally) in [("sent", sentTally), ("received", receivedTally)] {
            for (kind, v) in tally.drain() {
                recorder?.wire(epoch: e, kind: "\(kind) \(dir)", messages: v.messages, rawBytes: v.raw, wireBytes: v.wire)
            }
        }
    }

    // MARK: - Status file

    func writeStatusIfDue(force: Bool = false) {
        guard let path = options.statusPath, force || lastStatusWrite.map({ clock.now - $0 >= .seconds(1) }) ?? true else { return }
        lastStatusWrite = clock.now
        let s = machine.status
        let snapshot = StatusSnapshot(
            runID: runID, pid: Int(getpid()), updatedAt: Date().timeIntervalSince1970, epoch: session.epoch, step: session.step,
            stepsPerEpoch: session.stepsPerEpoch, epochs: setup.settings.epochs, parameterVersion: Int(session.version),
            state: "\(s.state)", finished: done,
            workers: s.workers.map { w in
                StatusSnapshot.Worker(id: w.id.rawValue, name: names[w.id] ?? "", inFlight: w.inFlight,
                                      completedMicroBatches: w.completedMicroBatches, completedSamples: w.completedSamples,
                                      secondsSinceSeen: Double((s.now - w.lastSeen).nanoseconds) / 1e9,
                                      samplesPerSecond: Double(w.completedSamples) / max(1e-9, Double((s.now - w.joinedAt).nanoseconds) / 1e9))
            },
            pending: s.job?.pending ?? 0, inFlight: s.job?.inFlight ?? 0, samplesPerSecond: rate)
        try? snapshot.write(to: path)
    }
}

extension Duration {
    var nanoseconds: Int64 { let c = components; return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000 }
}
