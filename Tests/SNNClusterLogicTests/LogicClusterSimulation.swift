import SNNClusterLogic

/// A whole cluster in one process, with no network and no clock: one coordinator machine, worker
/// machines, per-link FIFO queues delivered in random order, computations that finish in random order,
/// and (when chaos is on) workers that die, get partitioned away and come back, and new workers joining.
/// Every choice comes from one seeded RNG, so a failing seed replays exactly.
struct LogicClusterSimulation {
    struct Chaos {
        /// At most this many worker processes are alive at once.
        var maxWorkers: Int
        var kills: Int
        var partitions: Int
        /// Chance that a computation fails (the coordinator requeues it).
        var computeFailureRate: Double

        static let none = Chaos(maxWorkers: 1, kills: 0, partitions: 0, computeFailureRate: 0)
    }

    /// What one committed job looked like; must not depend on who computed what.
    struct Commit: Equatable, CustomStringConvertible {
        var job: JobID
        var parameterVersion: Int
        var payloads: [String]

        var description: String { "\(job) v\(parameterVersion): \(payloads.count) results" }
    }

    /// Counts of what happened, to show a run was not trivially calm.
    struct Stats {
        var deaths = 0
        var departures = 0
        var drops: [String: Int] = [:]
        var joins = 0
        var reconnects = 0
        var failures = 0
        /// Simulation actions taken.
        var actions = 0
        /// Results accepted from a worker that had been declared dead or had left by the time of the commit.
        var acceptedFromDeparted = 0
    }

    private enum Upstream {
        case hello, request(Int), result(WorkItem, String), failure(WorkItem, FailureReason), heartbeat, bye
    }

    private struct SimWorker {
        var machine: WorkerMachine<String>
        var alive = true
        var partitionedUntil: Instant?
        var computing: [ComputeTask] = []
        var needsConnect = true
        var up: [Upstream] = []
        var down: [CoordinatorMessage] = []
    }

    private enum Action {
        case connect(WorkerID), deliverUp(WorkerID), deliverDown(WorkerID), compute(WorkerID)
        case commit, tick, kill, partition, join
    }

    private var coordinator: Coordinator
    private var workers: [WorkerID: SimWorker] = [:]
    /// Every worker ever spawned, in spawn order (all iteration follows it: dictionaries are unordered).
    private var order: [WorkerID] = []
    private var now = Instant.zero
    private var rng: SeededGenerator
    private var chaos: Chaos
    private var version = 0
    private var commitPending = false
    private var spawned = 0
    private let slotsChoices = [1, 2, 3]
    private(set) var commits: [Commit] = []
    private(set) var stats = Stats()
    private(set) var abort: String?
    private let totalJobs: Int

    init(seed: UInt64, workers initial: Int, chaos: Chaos, speculateAfter: Duration?, plans: [Job]) {
        rng = SeededGenerator(seed: seed)
        self.chaos = chaos
        var configuration = try! CoordinatorConfiguration(
            minWorkers: 1, noWorkRetry: .milliseconds(200), speculateAfter: speculateAfter, maxAttempts: 1000, maxLosses: 1000)
        configuration.parameterDeltas = true   // protocol 4: deltas in play under every chaos
        coordinator = Coordinator(configuration: configuration)
        totalJobs = plans.count
        for plan in plans {
            switch plan {
            case .step(let step): apply(coordinator.handle(.startStep(step), at: now))
            case .evaluation(let evaluation): apply(coordinator.handle(.startEvaluation(evaluation), at: now))
            }
        }
        for _ in 0..<initial { spawn() }
    }

    enum Job {
        case step(StepPlan)
        case evaluation(EvaluationPlan)
    }

    /// Runs until every job is committed (or `maxActions` pass, which is a failure the caller reports).
    mutating func run(maxActions: Int = 50_000) -> Bool {
        while commits.count < totalJobs, abort == nil, stats.actions < maxActions {
            stats.actions += 1
            perform(chooseAction())
        }
        return commits.count == totalJobs && abort == nil
    }

    // MARK: Choosing

    private func liveIDs() -> [WorkerID] { order.filter { workers[$0]!.alive } }

    private func reachable(_ id: WorkerID) -> Bool {
        guard let until = workers[id]!.partitionedUntil else { return true }
        return now >= until
    }

    private mutating func chooseAction() -> Action {
        var candidates: [(Action, Double)] = []
        for id in order {
            let worker = workers[id]!
            if worker.alive, worker.needsConnect { candidates.append((.connect(id), 3)) }
            if !worker.up.isEmpty, reachable(id) { candidates.append((.deliverUp(id), 10)) }
            if worker.alive, !worker.down.isEmpty, reachable(id) { candidates.append((.deliverDown(id), 10)) }
            if worker.alive, !worker.computing.isEmpty { candidates.append((.compute(id), 6)) }
        }
        if commitPending { candidates.append((.commit, 5)) }
        candidates.append((.tick, 4))
        let live = liveIDs().count
        if chaos.kills > 0, live > 0 { candidates.append((.kill, 0.3)) }
        if chaos.partitions > 0, live > 0 { candidates.append((.partition, 0.3)) }
        if live < chaos.maxWorkers { candidates.append((.join, live == 0 ? 5 : 0.05)) }
        let total = candidates.reduce(0) { $0 + $1.1 }
        var pick = Double.random(in: 0..<total, using: &rng)
        for (action, weight) in candidates {
            if pick < weight { return action }
            pick -= weight
        }
        return candidates.last!.0
    }

    private mutating func perform(_ action: Action) {
        switch action {
        case .connect(let id):
            workers[id]!.needsConnect = false
            feed(id, .connected)
        case .deliverUp(let id):
            let message = workers[id]!.up.removeFirst()
            deliverToCoordinator(message, from: id)
        case .deliverDown(let id):
            let message = workers[id]!.down.removeFirst()
            feed(id, event(for: message, held: workers[id]!.machine.parameterVersion))
        case .compute(let id):
            let index = Int.random(in: 0..<workers[id]!.computing.count, using: &rng)
            let task = workers[id]!.computing.remove(at: index)
            if Double.random(in: 0..<1, using: &rng) < chaos.computeFailureRate {
                stats.failures += 1
                feed(id, .computeFailed(taskID: task.id, reason: "injected"))
            } else {
                feed(id, .computeFinished(taskID: task.id, payload(for: task.item)))
            }
        case .commit:
            commitPending = false
            version += 1
            apply(coordinator.handle(.stepCommitted(version: version), at: now))
        case .tick:
            now = now + .milliseconds(Int.random(in: 1...300, using: &rng))
            for id in order where workers[id]!.partitionedUntil.map({ now >= $0 }) == true {
                workers[id]!.partitionedUntil = nil
            }
            apply(coordinator.handle(.tick, at: now))
            for id in order where workers[id]!.alive {
                feed(id, .tick)
            }
        case .kill:
            chaos.kills -= 1
            let live = liveIDs()
            let id = live[Int.random(in: 0..<live.count, using: &rng)]
            workers[id]!.alive = false
            workers[id]!.computing.removeAll()
            workers[id]!.down.removeAll()   // what was on the wire to it is lost; what it sent may still arrive
        case .partition:
            chaos.partitions -= 1
            let live = liveIDs()
            let id = live[Int.random(in: 0..<live.count, using: &rng)]
            workers[id]!.partitionedUntil = now + .milliseconds(Int.random(in: 1000...7000, using: &rng))
        case .join:
            spawn()
        }
    }

    private mutating func spawn() {
        let id = WorkerID("w\(spawned)")
        spawned += 1
        stats.joins += 1
        let slots = slotsChoices[Int.random(in: 0..<slotsChoices.count, using: &rng)]
        workers[id] = SimWorker(machine: WorkerMachine(configuration: try! WorkerConfiguration(slots: slots), now: now))
        order.append(id)
    }

    // MARK: Wiring

    /// A delta is usable only by a worker holding its base version (what the shell checks, with the checksum).
    private func event(for message: CoordinatorMessage, held: Int?) -> WorkerMachine<String>.Event {
        switch message {
        case .welcome(let info): .welcomed(info)
        case .refuse(let reason): .refused(reason)
        case .assign(let items, let includeParameters): .assignment(items, includesParameters: includeParameters)
        case .assignDelta(let items, let base):
            held == base ? .assignment(items, includesParameters: true) : .unusableParameters(items, reason: "holds \(held.map(String.init) ?? "none"), not \(base)")
        case .noWork(let retryAfter): .noWork(retryAfter: retryAfter)
        case .heartbeat: .coordinatorMessage
        case .rejoinRequired: .rejoinRequired
        case .runFinished: .runFinished
        }
    }

    private mutating func deliverToCoordinator(_ message: Upstream, from id: WorkerID) {
        let event: Coordinator.Event
        switch message {
        case .hello: event = .workerHello(id, compatible: .success(()))
        case .request(let slots): event = .workRequested(id, freeSlots: slots)
        case .result(let item, let payload):
            event = .resultArrived(id, key: item.key, parameterVersion: item.parameterVersion,
                                   samples: item.sampleIDs.count, payload: payload)
        case .failure(let item, let reason): event = .workFailed(id, key: item.key, reason: reason)
        case .heartbeat: event = .heartbeat(id)
        case .bye: event = .workerBye(id)
        }
        apply(coordinator.handle(event, at: now))
    }

    private mutating func feed(_ id: WorkerID, _ event: WorkerMachine<String>.Event) {
        let directives = workers[id]!.machine.handle(event, at: now)
        for directive in directives {
            switch directive {
            case .sendHello: workers[id]!.up.append(.hello)
            case .requestWork(let slots): workers[id]!.up.append(.request(slots))
            case .startCompute(let task): workers[id]!.computing.append(task)
            case .sendResult(let item, let payload): workers[id]!.up.append(.result(item, payload))
            case .sendMergedResult(let items, let payload):   // the simulation's workers have no merge: never emitted
                for item in items { workers[id]!.up.append(.result(item, payload)) }
            case .sendFailure(let item, let reason): workers[id]!.up.append(.failure(item, reason))
            case .sendHeartbeat: workers[id]!.up.append(.heartbeat)
            case .sendBye: workers[id]!.up.append(.bye)
            case .reconnect:
                stats.reconnects += 1
                workers[id]!.needsConnect = true
                workers[id]!.down.removeAll()   // a new socket: what was queued for the old one is gone
            case .stop:
                workers[id]!.alive = false
            case .log:
                break
            }
        }
    }

    private mutating func apply(_ directives: [CoordinatorDirective]) {
        for directive in directives {
            switch directive {
            case .send(let to, let message):
                if let worker = workers[to], worker.alive { workers[to]!.down.append(message) }
            case .commitStep(let results):
                commitPending = true
                record(results)
            case .finishEvaluation(let results):
                record(results)
            case .declareDead:
                stats.deaths += 1
            case .workerLeft:
                stats.departures += 1
            case .abortRun(let message):
                abort = message
            case .log(let record):
                if let drop = record.drop { stats.drops["\(drop)", default: 0] += 1 }
            }
        }
    }

    private mutating func record(_ results: JobResults<String>) {
        let departed = Set(coordinator.status.departedWorkers)
        stats.acceptedFromDeparted += results.results.filter { departed.contains($0.worker) }.count
        commits.append(Commit(job: results.job, parameterVersion: results.parameterVersion, payloads: results.payloads))
    }
}
