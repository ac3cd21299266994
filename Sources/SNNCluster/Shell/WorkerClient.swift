import Dispatch
import Foundation
import Logging
import SNNCore
import SNNEnergy
import SNNMethods
import SNNModel

/// How a worker process runs.
public struct WorkerOptions: Sendable {
    public var address: String
    public var threads: Int
    public var dataDirectory: String
    public var limit: Int?
    public var name: String
    /// CURVE client: the coordinator's public key and this worker's key pair.
    public var curve: (serverKey: String, keyPair: CurveKeyPair)?
    /// Give up after this long without reaching a coordinator (nil = keep trying forever).
    public var giveUpAfter: Duration?
    public var quiet = false
    /// Test samples whose spikes are recorded and sent (SPIKES) at each evaluation: the first N of the
    /// evaluation's first micro-batch, the same every epoch; 0 sends none.
    public var rasterSamples = 8
    /// Exit (cleanly) once this process is no longer the child of `parentPID`: local workers of a coordinator
    /// that was killed must not rejoin its resumed run as duplicates.
    public var parentPID: Int32?
    /// Micro-batches asked for beyond the free slots (`WorkerConfiguration.prefetch`): one waits here for the next
    /// free slot, so a slot does not sit idle for a request → WORK round trip between two micro-batches of a step.
    /// 0 here (the in-process tests place work item by item); `snn-worker` uses 1.
    public var prefetch = 0

    public init(address: String, threads: Int, dataDirectory: String, name: String) {
        self.address = address; self.threads = threads; self.dataDirectory = dataDirectory; self.name = name
    }
}

/// The worker's I/O shell: a frame transport (a ZeroMQ DEALER socket), compute threads and a loop feeding
/// `WorkerMachine`; results travel as the machine's payloads (`computeFinished` in, `sendResult` out).
///
/// `run()` connects and loops. Tests drive the same loop in-process: `init(options:train:test:clock:connect:)`
/// with a connector to an `InMemoryNetwork`, `start()`, then `poll()` per turn, on a `ManualClock`.
///
/// Each micro-batch runs single-threaded on its own slot; `threads` slots run at once. The model is built from
/// the spec the coordinator sends in WELCOME; parameters arrive with the first assignment of each version.
public final class WorkerClient {
    public let options: WorkerOptions
    /// This process's worker id (HELLO), stable across its reconnects.
    public let workerID = UUID()
    let buildID: String
    let train: LabeledImages
    let test: LabeledImages
    let fingerprint: String
    var logger: Logger
    var machine: WorkerMachine<StepContribution>
    /// The time of every machine event and of the loop's cadence (ticks, give-up-after).
    public let clock: ShellClock
    /// Opens a new connection to the coordinator (at start and at every reconnect).
    let connector: (WorkerClient) throws -> FrameTransport
    var context: ZContext?
    var transport: FrameTransport?
    var lastTick = Instant.zero
    /// Runs a computation off the loop (a global dispatch queue; tests run it in place).
    public var dispatchCompute: (@escaping @Sendable () -> Void) -> Void = { DispatchQueue.global().async(execute: $0) }
    var runID: UUID?
    var specJSON: [UInt8] = []
    var method: (any TrainingMethod)?
    var spec: RunSpec?
    let rasters = RasterQueue()
    /// The parameters and running state of one version, as the last WORK that carried them sent them.
    var parameters: (version: Int, values: ModelValues)?
    /// WORK deltas rebuilt into a new version, and refused (held another version, or the checksum failed).
    public internal(set) var deltasApplied = 0, deltasRefused = 0
    /// Versions rebuilt from a rounded update (WORK kind 3, protocol 6); refusals count in `deltasRefused`.
    public internal(set) var updatesApplied = 0
    let completions: CompletionQueue
    /// Signalled by compute threads as they queue a finished computation; the loop's wait on the socket ends on it.
    let wake: WakeSignal?
    /// Per-step timestamps when `SNN_GAP_TRACE` is set (GapTrace.swift).
    let trace = GapTrace.make(role: "worker")
    var lastContact = Instant.zero
    /// Frames at least this long are LZ4-compressed (`WireCompression`: none to a loopback coordinator by default).
    let compressAbove: Int
    /// Set by a `stop` directive, wherever it was handled.
    var stopping = false
    public internal(set) var resultsSent = 0
    /// [conversion hook] Set while this worker serves an ECC conversion (WorkerClient+Conversion.swift).
    var conversion: ConversionWorkerState?

    /// A worker on ZeroMQ with the data of `options.dataDirectory`.
    public convenience init(options: WorkerOptions) throws {
        try self.init(options: options,
                      train: try IDXDataset.load(directory: options.dataDirectory, split: .train, limit: options.limit),
                      test: try IDXDataset.load(directory: options.dataDirectory, split: .test, limit: options.limit))
    }

    /// A worker with its data in hand. `connect` opens each connection (default: a ZeroMQ DEALER to
    /// `options.address`, with CURVE when `options.curve` is set).
    public init(options: WorkerOptions, train: LabeledImages, test: LabeledImages, clock: ShellClock = SystemClock(),
                connect: (() throws -> FrameTransport)? = nil) throws {
        self.options = options
        self.clock = clock
        if let connect { connector = { _ in try connect() } } else { connector = { try $0.zeroMQDealer() } }
        self.buildID = BuildIdentity.current(blasCore: BLAS.coreName)
        self.train = train
        self.test = test
        fingerprint = BuildIdentity.dataFingerprint(train: train, test: test)
        compressAbove = try WireCompression.parse(ProcessInfo.processInfo.environment[WireCompression.variable])
            .compressAbove(endpoint: options.address)
        var l = Logger(label: "snn-worker")
        l.logLevel = options.quiet ? .warning : .info
        logger = l
        // SNN_GAP_TIMED_POLL=1 restores the old timed 5 ms poll (a diagnostic for the gap table, scripts/gap-table).
        wake = ProcessInfo.processInfo.environment["SNN_GAP_TIMED_POLL"] == nil ? try? WakeSignal() : nil
        completions = CompletionQueue(wake: wake)
        ComputePriority.prepare()
        // A step's training results are summed here before sending (exact: fixed point), one RESULT per worker per step.
        machine = WorkerMachine(configuration: try WorkerConfiguration(slots: options.threads, prefetch: options.prefetch),
                                merge: { sum, more in try sum.merge(more) })
    }

    var now: Instant { clock.now }
    /// The gradient sums of the steps being computed here, built on the compute threads.
    let staging = StepGradientStaging()

    /// Runs until the coordinator says the run is over (returns normally), refuses this worker, or `stop()`.
    public func run() throws {
        try start()
        defer { trace?.flush() }
        // The wait ends on a message or a finished computation (`wake`); 20 ms bounds the cadence of ticks.
        while try !poll(timeoutMs: wake == nil ? 5 : 20) {}
    }

    /// Connects and says HELLO.
    public func start() throws {
        lastTick = clock.now
        lastContact = clock.now
        try connect()
        try apply(machine.handle(.connected, at: now))
    }

    /// One turn of the loop: every queued message (waiting up to `timeoutMs` for the first), finished
    /// computations, and the machine's tick when 50 ms have passed on the clock. Returns true when the worker
    /// must stop; throws when it cannot go on (refused, no coordinator within `giveUpAfter`).
    public func poll(timeoutMs: Int = 0) throws -> Bool {
        if let frames = try transport?.receive(timeoutMs: timeoutMs, wake: wake) { try handle(frames) }
        while let more = try transport?.receive(timeoutMs: 0) { try handle(more) }
        sendRasters()
        wake?.clear()   // before draining: a computation queued after this signals again
        // Taken out of the drained list one by one, so a step's held sum is the only reference to its gradient when the
        // next contribution is merged into it (in place, not copied).
        var finished = completions.drain()
        finished.reverse()
        while let (task, outcome) = finished.popLast() {
            trace?.mark("w.noticed", "\(task)")
            switch outcome {
            case .success(let contribution):
                try apply(machine.handle(.computeFinished(taskID: task, contribution), at: now))
            case .failure(let e):
                try apply(machine.handle(.computeFailed(taskID: task, reason: e.description), at: now))
            }
        }
        if stopping { return true }
        if clock.now - lastTick >= .milliseconds(50) {
            lastTick = clock.now
            if try apply(machine.handle(.tick, at: now)) || stopping { return true }
            if let p = options.parentPID, getppid() != p {
                logger.warning("the coordinator that started this worker (pid \(p)) is gone; exiting")
                return true
            }
            if let g = options.giveUpAfter, clock.now - lastContact > g {
                throw SetupError("no coordinator answered at \(options.address) for \(g); check the address (and --server-key for a CURVE coordinator)")
            }
        }
        return false
    }

    func connect() throws {
        transport?.close()
        transport = nil
        transport = try connector(self)
    }

    /// A ZeroMQ DEALER connected to `options.address`.
    func zeroMQDealer() throws -> FrameTransport {
        if context == nil { context = try ZContext() }
        let socket = try ZSocket.dealer(context!)
        if let c = options.curve { try socket.makeCurveClient(serverPublicKey: c.serverKey, keyPair: c.keyPair) }
        do { try socket.connect(options.address) } catch {
            throw SetupError("cannot connect to \(options.address): \(error); use tcp://HOST:PORT or ipc:///PATH")
        }
        return socket
    }

    func handle(_ frames: [[UInt8]]) throws {
        let received = trace == nil ? 0 : GapTrace.nanos()
        let decoded: DecodedMessage
        do { decoded = try WireCodec.decode(frames) } catch {
            logger.warning("rejected a malformed message from the coordinator: \(error)")
            return
        }
        lastContact = clock.now
        switch decoded.message {
        case .welcome(let w):
            runID = decoded.runID
            if w.specJSON != specJSON || (method == nil && conversion == nil) {
                specJSON = w.specJSON
                build: do {
                    if try welcomeConversion(w.specJSON) { break build }   // [conversion hook]
                    let spec = try RunSpec.decode(Data(w.specJSON), source: "coordinator's spec")
                    method = try MethodFactory.make(spec)
                    self.spec = spec
                    parameters = nil
                } catch {
                    logger.error("cannot build the coordinator's model: \(error)")
                    send(.bye(Bye(reason: "cannot build model: \(error)")))
                    throw SetupError("cannot build the coordinator's model: \(error)")
                }
            }
            if !options.quiet { Progress.line("snn-worker: joined run \(decoded.runID?.uuidString.prefix(8) ?? "?") with \(options.threads) slot(s)") }
            try apply(machine.handle(.welcomed(WelcomeInfo(w)), at: now))
        case .refuse(let r):
            try apply(machine.handle(.refused(RefusalReason(r)), at: now))
        case .work(let a):
            if let trace { trace.mark("w.recv", a.key.traceLabel, at: received); trace.mark("w.decoded", a.key.traceLabel) }
            if let c = conversion { try conversionWork(a, state: c); return }   // [conversion hook]
            let item = WorkItem(a)
            if a.delta != nil || a.update != nil {   // protocols 4 and 6: rebuilt on the held version, or refused (WORK_FAILED missingParameters)
                let rebuilt = a.delta.map { applyDelta($0, version: item.parameterVersion) } ?? applyUpdate(a.update!, version: item.parameterVersion)
                switch rebuilt {
                case .success: try apply(machine.handle(.assignment([item], includesParameters: true), at: now))
                case .failure(let why): try apply(machine.handle(.unusableParameters([item], reason: why.description), at: now))
                }
                return
            }
            if let v = a.values, let m = method {
                guard v.parameters.count == m.network.parameterCount, v.state.count == m.network.stateCount else {
                    logger.error("coordinator sent \(v.parameters.count) parameters and \(v.state.count) state values, the model needs \(m.network.parameterCount) and \(m.network.stateCount)")
                    return
                }
                parameters = (item.parameterVersion, v)
            }
            try apply(machine.handle(.assignment([item], includesParameters: a.values != nil), at: now))
        case .noWork(let n):
            trace?.mark("w.nowork")
            try apply(machine.handle(.noWork(retryAfter: .milliseconds(Int(n.retryAfterMs))), at: now))
        case .heartbeat:
            try apply(machine.handle(.coordinatorMessage, at: now))
        case .bye:
            try apply(machine.handle(.runFinished, at: now))
        case .error(let e):
            if e.code == .notWelcomed { try apply(machine.handle(.rejoinRequired, at: now)) }
            else { logger.warning("coordinator rejected a message: \(e.text)"); try apply(machine.handle(.coordinatorMessage, at: now)) }
        default:
            logger.warning("ignored a \(decoded.kind) message: not a coordinator message")
        }
    }

    /// Carries out directives; returns true when the worker must stop.
    @discardableResult
    func apply(_ directives: [WorkerMachine<StepContribution>.Directive]) throws -> Bool {
        for d in directives {
            switch d {
            case .sendHello:
                send(.hello(Hello(workerId: workerID, name: WireText.truncated(options.name, maxBytes: 255), threads: UInt16(clamping: options.threads),
                                  buildID: buildID, datasetFingerprint: fingerprint)))
            case .requestWork(let n):
                trace?.mark("w.request", "\(n)")
                send(.requestWork(WorkRequest(freeSlots: UInt16(clamping: max(1, n)), knownParameterVersion: UInt64(max(0, parameters?.version ?? 0)))))
            case .startCompute(let task): start(task)
            case let .sendResult(item, contribution):
                if let c = conversion { sendConversionResult(item, state: c); continue }   // [conversion hook]
                guard let whole = withStagedGradient(contribution, of: [item]) else { continue }
                resultsSent += 1
                send(.result(WorkResult(whole, of: item)))
                trace?.markEnd("w.result", item.key.traceLabel, cpu: .process)
            case let .sendMergedResult(items, contribution):
                guard let whole = withStagedGradient(contribution, of: items) else { continue }
                resultsSent += 1
                send(.result(WorkResult(whole, of: items)))
                trace?.markEnd("w.result", items.map(\.key.traceLabel).joined(separator: ","), cpu: .process)
            case let .sendFailure(item, reason):
                send(.workFailed(WorkFailed(item, reason)))
            case .sendHeartbeat:
                send(.heartbeat(Heartbeat(sentAtMs: UInt64(Date().timeIntervalSince1970 * 1000), currentStep: 0, freeSlots: 1)))
            case .sendBye:
                send(.bye(Bye(reason: "worker stopping")))
            case .reconnect(let abandoned):
                runID = nil
                staging.clear()
                _ = abandoned
                try connect()
                try apply(machine.handle(.connected, at: now))
            case .stop(let reason):
                switch reason {
                case .runFinished, .requested:
                    if !options.quiet { Progress.line("snn-worker: \(reason); \(resultsSent) results sent") }
                    stopping = true
                    return true
                case .refused(let why):
                    throw SetupError("refused by the coordinator: \(why)")
                }
            case .log(let r):
                // The machines narrate every step at info; the shells' own lines say what a user needs.
                logger.log(level: r.level >= .warning ? r.level : .debug, "\(r.message)")
            }
        }
        return false
    }

    /// Fault injection for the end-to-end tests (never set in production): `SNN_TEST_CRASH_ON=EPOCH:STEP:MB`
    /// makes this worker abort the moment it is given that training micro-batch, the way a worker dies on a
    /// micro-batch it cannot compute (out of memory).
    static let crashOn: String? = ProcessInfo.processInfo.environment["SNN_TEST_CRASH_ON"]

    func start(_ task: ComputeTask) {
        if let c = conversion { startConversion(task, state: c); return }   // [conversion hook]
        let item = task.item
        if let c = Self.crashOn, item.key.phase == .train, c == "\(item.key.epoch):\(item.key.step):\(item.key.microBatch)" {
            logger.critical("SNN_TEST_CRASH_ON=\(c): aborting on \(item.key) (test fault injection)")
            abort()
        }
        guard !item.key.phase.isConversion else {
            completions.push(task.id, .failure(SetupError("\(item.key.phase) is conversion work and this worker joined a training run")))
            return
        }
        guard let method, let p = parameters, p.version == item.parameterVersion else {
            completions.push(task.id, .failure(SetupError("missing parameters for version \(item.parameterVersion)")))
            return
        }
        let work = item.microBatch
        let data = work.phase.split == .train ? train : test
        let q = completions, staging = self.staging, gradientBits = spec?.training.communication?.gradientBits
        let values = p.values.parameters, state = p.values.state
        let capture = rasterCapture(item, method: method, parameters: values, state: state)
        let trace = self.trace, label = item.key.traceLabel, taskID = task.id
        trace?.mark("w.start", label)
        dispatchCompute {
            ComputePriority.lowerCurrentThread()
            // The compute thread's CPU clock at both ends (scripts/mb-table compares it with the standalone trainer's).
            trace?.markStart("w.cbegin", "\(label)#\(taskID)", cpu: .thread)
            var result = method.run(work, data: data, parameters: values, state: state)
            result.roundGradient(bits: gradientBits)   // as the standalone trainer rounds it
            capture?()   // before the result is queued, so SPIKES leave ahead of its RESULT
            // Rounded to fixed point here, on the compute thread, as the standalone trainer does. A training gradient is
            // added into the step's sum here too (`StepGradientStaging`); the payload the machine merges goes without it.
            let outcome: Result<StepContribution, SetupError>
            do {
                if work.phase == .train, !result.gradient.isEmpty {
                    try staging.add(job: item.key.job, microBatch: work.index, gradient: result.gradient)
                    var rest = result
                    rest.gradient = []
                    outcome = .success(try StepContribution(microBatch: work.index, rest))
                } else {
                    outcome = .success(try StepContribution(microBatch: work.index, result))
                }
            } catch {
                outcome = .failure(SetupError("non-finite gradient: \(error)"))
            }
            // Marked before the push: once queued, the loop may send the RESULT and start the next step first.
            trace?.markEnd("w.cend", "\(label)#\(taskID)", cpu: .thread)
            q.push(task.id, outcome)
        }
    }

    /// A training result with its step's gradient sum from `staging`; nil when the staged sum does not cover exactly
    /// these items: they are then reported failed (WORK_FAILED, computed again), never sent with a wrong sum.
    func withStagedGradient(_ c: StepContribution, of items: [WorkItem]) -> StepContribution? {
        guard let first = items.first, first.key.phase == .train, c.gradient.isEmpty else { return c }
        switch staging.take(job: first.key.job, covering: c.microBatches) {
        case .success(let gradient):
            var whole = c
            whole.gradient = gradient
            return whole
        case .failure(let why):
            logger.warning("cannot send the result of \(items.map(\.key)): \(why); reporting them failed")
            for item in items { send(.workFailed(WorkFailed(item, .computeError(why.description)))) }
            return nil
        }
    }

    func send(_ m: Message) {
        do {
            let enc = try WireCodec.encode(m, runID: m.kind.requiresRunID ? runID : nil, compressAbove: compressAbove)
            try transport?.send(enc.frames)
        } catch {
            logger.debug("send \(m.kind) failed: \(error)")
        }
    }
}

/// Finished computations (by task id) handed from compute threads to the loop.
final class CompletionQueue: @unchecked Sendable {
    private var items: [(Int, Result<StepContribution, SetupError>)] = []
    private let lock = NSLock()
    /// Signalled after each push (wakes the loop's wait on the socket).
    let wake: WakeSignal?
    init(wake: WakeSignal? = nil) { self.wake = wake }
    func push(_ task: Int, _ r: Result<StepContribution, SetupError>) {
        lock.lock(); items.append((task, r)); lock.unlock()
        wake?.signal()
    }
    func drain() -> [(Int, Result<StepContribution, SetupError>)] { lock.lock(); defer { lock.unlock() }; let out = items; items = []; return out }
}
