import Foundation
import Logging
import SNNCore
import SNNEnergy
import SNNMethods
import SNNModel

/// How `snn-coord convert --workers N` runs its coordinator.
public struct ConversionServerOptions: Sendable {
    public var bind: String
    /// Work is handed out once this many workers have joined.
    public var workers: Int
    /// Give up when fewer than `workers` joined within this time, or when no worker is left for this long.
    public var joinTimeout: Duration = .seconds(60)
    public var heartbeatInterval: Duration = .seconds(1)
    public var deadAfter: Duration = .seconds(3)
    public var quiet = false
    /// A second endpoint for the workers this process starts (`--local-workers`): the private `ipc://` socket of
    /// `LocalIPCEndpoint`; nil = they join `bind` too.
    public var localBind: String?
    /// Called once the socket is bound, with the address the local workers join: `localBind` when it could be
    /// bound, else the actual `bind` endpoint (port 0 resolves here).
    public var onBound: (@Sendable (String) -> Void)?

    public init(bind: String, workers: Int) { self.bind = bind; self.workers = workers }
}

/// The coordinator of an ECC conversion sharded over workers: the same ROUTER socket, wire codec, compatibility
/// checks and `CoordinatorMachine` as a training run (pull scheduling, exactly-once results, a lost or silent worker's
/// micro-batches handed out again), with conversion jobs (`ConversionTask`) instead of training steps.
///
/// The jobs run one after another as the sweep asks for them (`run(_:)` blocks until the job's every micro-batch has
/// its one accepted result and returns their exact combination). Parameter version 1 is the BN-folded CNN; the λ job
/// is the machine's one training step, and `useConverted` commits version 2, the converted SNN, for the inference jobs.
public final class ConversionServer {
    public let options: ConversionServerOptions
    public let spec: ConversionSpec
    let fingerprint: String
    let buildID: String
    let runID: String
    let runUUID: UUID
    var logger: Logger
    var machine: CoordinatorMachine<ConversionContribution>
    let clockOrigin = ContinuousClock.now
    var socket: ZSocket!
    var context: ZContext?
    var identities: [WorkerID: [UInt8]] = [:]
    var workerOf: [[UInt8]: WorkerID] = [:]
    var names: [WorkerID: String] = [:]
    var parameters: [Int: [Float]] = [:]
    var tasks: [ConversionTask] = []
    var finished: [Int: ConversionContribution] = [:]
    var failure: String?
    public private(set) var endpoint = ""
    /// The address the local workers were given: the private `ipc://` endpoint, or `endpoint` without one.
    public private(set) var localWorkersEndpoint = ""
    /// Accepted results per worker name, for the progress line and the tests.
    public private(set) var resultsByWorker: [String: Int] = [:]

    public init(options: ConversionServerOptions, spec: ConversionSpec, cnn: ECCNetwork, train: LabeledImages,
                test: LabeledImages, buildID: String) throws {
        self.options = options; self.spec = spec; self.buildID = buildID
        fingerprint = BuildIdentity.dataFingerprint(train: train, test: test)
        runID = "convert-" + String(UInt64(Date().timeIntervalSince1970 * 1000), radix: 16)
        runUUID = UUID(uuidString: CoordinatorServer.uuidString(from: runID + "-\(getpid())")) ?? UUID()
        var l = Logger(label: "snn-coord")
        l.logLevel = options.quiet ? .warning : .info
        logger = l
        let config = try CoordinatorConfiguration(heartbeatInterval: options.heartbeatInterval, deadAfter: options.deadAfter,
                                                  minWorkers: options.workers, noWorkRetry: .milliseconds(200))
        machine = CoordinatorMachine(configuration: config, parameterVersion: spec.cnnVersion)
        parameters[spec.cnnVersion] = ConversionSpec.parameters(cnn)
    }

    var now: Instant { Instant(since: clockOrigin, at: ContinuousClock.now) }

    /// Binds the socket and calls `onBound`; workers join while the first job waits for them.
    public func start() throws {
        let ctx = try ZContext()
        context = ctx
        socket = try ZSocket.router(ctx)
        do { try socket.bind(options.bind) } catch {
            throw SetupError("cannot listen on \(options.bind): \(error); pick another --bind address or port")
        }
        endpoint = (try? socket.lastEndpoint()) ?? options.bind
        let local = socket.bindLocalWorkers(options.localBind, fallback: endpoint)
        localWorkersEndpoint = local
        if !options.quiet { Progress.line("coordinator   listening on \(endpoint)\(local != endpoint ? " and \(local) (local workers)" : ""); waiting for \(options.workers) worker(s)") }
        options.onBound?(local)
    }

    /// Runs one job to completion and returns the exact combination of its micro-batch results.
    public func run(_ task: ConversionTask) throws -> ConversionContribution {
        let index = tasks.count
        tasks.append(task)
        let plan = task.microBatches.map { $0.map { Int32($0) } }
        if task.kind == .lambda {
            apply(machine.handle(.startStep(StepPlan(epoch: index, step: 0, sampleIDs: plan)), at: now))
        } else {
            apply(machine.handle(.startEvaluation(EvaluationPlan(epoch: index, step: 0, sampleIDs: plan)), at: now))
        }
        let started = ContinuousClock.now
        var lastTick = ContinuousClock.now, lastLive = ContinuousClock.now
        while finished[index] == nil {
            if let frames = try socket.receiveMultipart(timeoutMs: 20) { handleFrames(frames) }
            while let more = try socket.receiveMultipart(timeoutMs: 0) { handleFrames(more) }
            if let f = failure { throw SetupError(f) }
            if ContinuousClock.now - lastTick >= .milliseconds(50) {
                lastTick = .now
                apply(machine.handle(.tick, at: now))
                if let f = failure { throw SetupError(f) }
                let status = machine.status
                if case .waitingForWorkers(let joined, let needed) = status.state {
                    if ContinuousClock.now - started > options.joinTimeout {
                        throw SetupError("only \(joined) of \(needed) worker(s) joined \(endpoint) within \(options.joinTimeout); start them with `snn-worker join \(endpoint)` (same build, --data and --limit), or use --local-workers N")
                    }
                } else if status.workers.isEmpty {
                    if ContinuousClock.now - lastLive > options.joinTimeout {
                        throw SetupError("every worker was lost and none joined \(endpoint) again within \(options.joinTimeout); \(task) has \(status.job?.pending ?? 0) micro-batch(es) left")
                    }
                } else {
                    lastLive = .now
                }
            }
        }
        return finished[index]!
    }

    /// Commits the converted SNN as parameter version 2 (after the λ job): the next jobs run with it.
    public func useConverted(_ snn: ConvertedSNN) {
        parameters[spec.snnVersion] = ConversionSpec.parameters(snn)
        apply(machine.handle(.stepCommitted(version: spec.snnVersion), at: now))
    }

    /// Tells the workers the conversion is over (BYE), lets the messages leave and closes the socket.
    public func finish() {
        guard socket != nil else { return }
        // Only the BYEs: after a failure the machine's "work unfinished" note would add a second line to the one error.
        apply(machine.handle(.finishRun, at: now).filter { if case .send = $0 { true } else { false } })
        let until = ContinuousClock.now + .milliseconds(300)
        while ContinuousClock.now < until { if let f = try? socket.receiveMultipart(timeoutMs: 20) { handleFrames(f) } }
        socket.close()
        socket = nil
    }

    // MARK: - Incoming

    func handleFrames(_ frames: [[UInt8]]) {
        guard let (identity, decoded) = IncomingFrames.decode(frames, logger: logger, reply: { send($0, toIdentity: $1) }) else { return }
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
        default:
            send(.error(ErrorReply(code: .malformed, text: "\(decoded.kind) is not a worker message in a conversion")), toIdentity: identity)
        }
    }

    func hello(_ h: Hello, identity: [UInt8]) {
        let id = WorkerID(h.workerId.uuidString)
        if let old = identities[id], old != identity { workerOf[old] = nil }
        identities[id] = identity; workerOf[identity] = id; names[id] = h.name
        let compatible: Result<Void, RefusalReason>
        if h.protocolVersion != WireCodec.protocolVersion {
            compatible = .failure(.protocolVersion("worker speaks \(h.protocolVersion), coordinator \(WireCodec.protocolVersion)"))
        } else if h.buildID != buildID {
            compatible = .failure(.buildID("worker build '\(h.buildID)', coordinator '\(buildID)': build both from the same source on the same CPU family"))
        } else if h.datasetFingerprint != fingerprint {
            compatible = .failure(.datasetFingerprint("worker data \(h.datasetFingerprint.prefix(12))…, coordinator \(fingerprint.prefix(12))…: give the worker the same dataset files (--data) and --limit"))
        } else {
            compatible = .success(())
        }
        switch compatible {
        case .success: if !options.quiet { Progress.line("snn-coord: worker \(h.name) joined with \(h.threads) thread(s)") }
        case .failure(let reason): logger.warning("refused worker \(h.name): \(reason)")
        }
        apply(machine.handle(.workerHello(id, compatible: compatible), at: now))
    }

    /// The job and machine key of a wire key, when the key names a job of this conversion with its own phase and T.
    /// (The wire key carries an ECC phase and T; the machine's key the job's train/evaluate phase and step 0.)
    func task(of k: WorkKey) -> (index: Int, task: ConversionTask, key: WorkKey)? {
        let i = k.epoch
        guard i >= 0, i < tasks.count, let kind = ConversionTaskKind(wirePhase: k.phase), tasks[i].kind == kind,
              k.step == tasks[i].wireStep else { return nil }
        return (i, tasks[i], WorkKey(job: tasks[i].job(index: i), microBatch: k.microBatch))
    }

    /// The wire key of a machine item of job `index`: the job's ECC phase, T in the step field.
    func wireKey(_ key: WorkKey, of t: ConversionTask, index: Int) -> WorkKey {
        WorkKey(epoch: index, step: t.wireStep, microBatch: key.microBatch, phase: t.kind.wirePhase)
    }

    func result(_ r: WorkResult, from id: WorkerID) {
        guard let (_, task, key) = task(of: r.key) else {
            logger.info("dropped a result for unknown conversion work \(r.key) from \(names[id] ?? id.rawValue)")
            return
        }
        let want = spec.resultSizes(task.kind, timesteps: task.timesteps)
        // Conversion results answer one micro-batch each (M = 1, PROTOCOL.md §5.2).
        guard r.microBatches.count == 1, r.statistics.count == want.statistics, r.spikesPerLayer.count == want.spikes,
              r.counters.count == want.counters, r.gradient.isEmpty else {
            logger.warning("rejected a result for \(r.key) from \(names[id] ?? id.rawValue): sizes do not match the conversion")
            send(.error(ErrorReply(code: .malformed, text: "result sizes do not match the conversion")), to: id)
            apply(machine.handle(.workFailed(id, key: key, reason: .computeError("malformed result")), at: now))
            return
        }
        let c = ConversionContribution(maxima: r.statistics, samples: Int(r.samples), correct: Int(r.correct),
                                       spikes: r.spikesPerLayer, counters: r.counters)
        apply(machine.handle(.resultArrived(id, key: key, parameterVersion: Int(r.parameterVersion), samples: Int(r.samples), payload: c), at: now))
    }

    /// A conversion micro-batch the worker could not compute (WORK_FAILED, keyed like its WORK): back to the
    /// machine, which requeues it. A key naming no job of this conversion is logged and dropped.
    func workFailed(_ f: WorkFailed, from id: WorkerID) {
        guard let (_, _, key) = task(of: f.key) else {
            logger.warning("worker \(names[id] ?? id.rawValue) reported a failure of unknown conversion work \(f.key): \(f.detail)")
            return
        }
        apply(machine.handle(.workFailed(id, key: key, reason: FailureReason(f)), at: now))
    }

    // MARK: - Directives

    func apply(_ directives: [CoordinatorMachine<ConversionContribution>.Directive]) {
        for d in directives {
            switch d {
            case let .send(to, message): send(message, to: to)
            case .commitStep(let results), .finishEvaluation(let results):
                guard let total = ConversionContribution.combine(results.payloads) else {
                    failure = "the results of \(tasks[results.epoch]) do not combine (shapes differ)"
                    continue
                }
                for r in results.results { resultsByWorker[names[r.worker] ?? r.worker.rawValue, default: 0] += 1 }
                finished[results.epoch] = total
            case let .declareDead(id, reassigned):
                logger.warning("worker \(names[id] ?? id.rawValue) silent past \(options.deadAfter): declared dead, \(reassigned.count) micro-batch(es) handed out again")
                forget(id)
            case let .workerLeft(id, reassigned):
                if !reassigned.isEmpty || !options.quiet {
                    logger.info("worker \(names[id] ?? id.rawValue) left (\(reassigned.count) micro-batch(es) handed out again)")
                }
            case .abortRun(let why):
                failure = "conversion aborted: \(why)"
            case .log(let r):
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
            send(.welcome(Welcome(runID: runUUID, info, specJSON: spec.json,
                                  parameterVersion: UInt64(machine.parameterVersion))), to: id)
        case .refuse(let r): send(.refuse(Refusal(r)), to: id)
        case let .assign(items, includeParameters):
            for (i, item) in items.enumerated() {
                let index = item.key.epoch
                guard index < tasks.count else { continue }
                let t = tasks[index]
                // A conversion has no running state: the parameters frame holds the version's vector, the state
                // frame is empty (PROTOCOL.md §5.2). The split byte follows from the ECC phase (λ train, others test).
                let values = includeParameters && i == 0 ? parameters[item.parameterVersion].map { ModelValues(parameters: $0, state: []) } : nil
                send(.work(WorkAssignment(key: wireKey(item.key, of: t, index: index), parameterVersion: UInt64(item.parameterVersion),
                                          seed: 0, sampleIndices: item.sampleIDs, values: values)), to: id)
            }
        case .assignDelta(let items, _):   // never: a conversion's machine runs without parameter deltas
            send(.assign(items, includeParameters: true), to: id)
        case .noWork(let retry):
            send(.noWork(NoWork(retryAfterMs: UInt32(milliseconds: retry), reason: .waitingForStep)), to: id)
        case .heartbeat:
            send(.heartbeat(Heartbeat(sentAtMs: UInt64(Date().timeIntervalSince1970 * 1000), currentStep: UInt64(tasks.count), freeSlots: 1)), to: id)
        case .rejoinRequired:
            send(.error(ErrorReply(code: .notWelcomed, text: "unknown worker: say HELLO again")), to: id)
        case .runFinished:
            send(.bye(Bye(reason: "conversion finished")), to: id)
        }
    }

    func send(_ m: Message, to id: WorkerID) {
        guard let ident = identities[id] else { return }
        send(m, toIdentity: ident)
    }

    func send(_ m: Message, toIdentity ident: [UInt8]) {
        do {
            let enc = try WireCodec.encode(m, runID: m.kind.requiresRunID || m.kind == .welcome ? runUUID : nil)
            try socket.sendMultipart([ident] + enc.frames, dontWait: true)
        } catch {
            logger.warning("send \(m.kind) failed: \(error)")
        }
    }
}
