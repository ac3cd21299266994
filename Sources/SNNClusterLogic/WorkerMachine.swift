import SNNMethods

/// One computation the worker machine asks the shell to run on a free slot.
///
/// The id is unique for the life of the machine, so a computation abandoned at a reconnect can never be
/// mistaken for a later computation of the same key (whose result would be sent with another version).
public struct ComputeTask: Hashable, Sendable, CustomStringConvertible {
    public var id: Int
    public var item: WorkItem

    public init(id: Int, item: WorkItem) {
        self.id = id
        self.item = item
    }

    public var description: String { "task \(id): \(item)" }
}

/// The worker's logic as a pure state machine: events in, directives out.
///
/// Like `CoordinatorMachine`, it is generic over the payload of a finished computation (the shell's
/// `StepContribution`; anything in tests): the payload arrives in `computeFinished` and leaves in the
/// `sendResult` it causes, so the shell keeps no result aside while the machine decides.
///
/// States: `disconnected` → `helloSent` → `ready` (welcomed, nothing to do) ⇄ `working(inFlight:)`;
/// `refused` and `stopped` are terminal. A worker with N slots keeps up to N computations running and asks
/// for more as slots free up (it reports its free slots; the coordinator parks the request until it has
/// work). Any message from the coordinator counts as liveness; a coordinator silent past `deadAfter` is
/// given up on: in-flight work is dropped and the worker reconnects with a fresh hello, which is how
/// workers survive a coordinator restart.
///
/// Every `startCompute` must eventually be answered with `computeFinished` or `computeFailed` for its
/// task id, even for computations abandoned meanwhile: until then the slot stays occupied (the thread is
/// busy), and the result of an abandoned one is discarded.
public struct WorkerMachine<Payload> {
    public enum State: Hashable, Sendable {
        case disconnected
        case helloSent
        case ready
        /// Welcomed, with `inFlight` items accepted and not yet answered (running plus waiting for a slot).
        case working(inFlight: Int)
        case refused(RefusalReason)
        case stopped(StopReason)
    }

    public enum StopReason: Hashable, Sendable, CustomStringConvertible {
        case refused(RefusalReason)
        case runFinished
        /// The operator asked the worker to stop.
        case requested

        public var description: String {
            switch self {
            case .refused(let reason): "refused by the coordinator: \(reason)"
            case .runFinished: "the run has finished"
            case .requested: "stop requested"
            }
        }
    }

    public enum Event {
        /// The shell (re)connected its socket to the coordinator.
        case connected
        case welcomed(WelcomeInfo)
        case refused(RefusalReason)
        /// Items to compute. `includesParameters` is true when the message carried the parameters of the
        /// items' version (the shell has loaded them).
        case assignment([WorkItem], includesParameters: Bool)
        /// Items whose message carried parameters the shell could not use (a delta against a version it does not
        /// hold, or one whose rebuilt values fail the checksum): the held version is forgotten and every item is
        /// answered with a missing-parameters failure, so the coordinator sends full values next time.
        case unusableParameters([WorkItem], reason: String)
        case noWork(retryAfter: Duration)
        /// The coordinator does not know this worker: say hello again.
        case rejoinRequired
        case runFinished
        /// Any other message from the coordinator (a heartbeat): liveness only.
        case coordinatorMessage
        /// A computation finished with this payload.
        case computeFinished(taskID: Int, Payload)
        case computeFailed(taskID: Int, reason: String)
        /// Time passed (tick at least every heartbeat interval).
        case tick
        /// The operator asked the worker to stop.
        case stop
    }

    public enum Directive {
        case sendHello
        /// Ask for work to fill `freeSlots` slots (replaces the previous request at the coordinator).
        case requestWork(freeSlots: Int)
        case startCompute(ComputeTask)
        /// Send the payload of a finished computation, under this item's key and version.
        case sendResult(WorkItem, Payload)
        /// Send one payload covering several items of one training step (their merged sum), under their keys
        /// (ascending) and version: one RESULT per worker per step.
        case sendMergedResult([WorkItem], Payload)
        case sendFailure(WorkItem, FailureReason)
        case sendHeartbeat
        case sendBye
        /// Close and reopen the connection, then report `connected`. The abandoned keys are dropped here
        /// (their computations may still run; their results will be discarded).
        case reconnect(abandoned: [WorkKey])
        /// Terminal: stop the process.
        case stop(StopReason)
        case log(LogRecord)
    }

    /// How a computation ended: its payload, or why it failed.
    private enum ComputeOutcome {
        case success(Payload)
        case failure(String)
    }

    private enum Phase: Hashable, Sendable {
        case disconnected
        case helloSent
        case registered
        case refused(RefusalReason)
        case stopped(StopReason)
    }

    public let configuration: WorkerConfiguration
    /// How two payloads of one training step become one (nil: every item is answered on its own). With it, the
    /// worker holds a finished training item's payload while it still has items of the same step running or
    /// waiting, and sends the merged payload when the last of them ends: one RESULT per worker per step as long
    /// as the coordinator keeps it supplied. A merge that fails sends the items' failure instead.
    /// The merge adds the second payload into the first in place, so a held step sum is never copied.
    public let merge: (@Sendable (inout Payload, Payload) throws -> Void)?
    /// The timing in force: the configuration's until welcomed, then the coordinator's.
    public private(set) var heartbeatInterval: Duration
    public private(set) var deadAfter: Duration
    /// The parameter version the shell has loaded (nil until the first assignment that carries them).
    public private(set) var parameterVersion: Int?
    /// Results sent since the machine was created.
    public private(set) var resultsSent = 0

    private var phase: Phase = .disconnected
    private var running: [ComputeTask] = []
    /// Items accepted but waiting for a slot (the coordinator may send more than asked when a push and a
    /// request cross).
    private var backlog: [WorkItem] = []
    /// Task ids of abandoned computations still occupying a slot.
    private var abandoned: Set<Int> = []
    /// Finished training items held for merging, per step: their items (ascending) and merged payload.
    private var held: [JobID: (items: [WorkItem], payload: Payload)] = [:]
    /// Set while what is held waits only for the answer to a request for more work (more of its step, or NO_WORK).
    private var heldSince: Instant?
    private var nextTaskID = 0
    /// Free slots the coordinator believes this worker wants filled.
    private var requested = 0
    /// A request for work was sent and neither WORK nor NO_WORK has come since.
    private var awaitingAnswer = false
    /// NO_WORK came after the last WORK: the coordinator had nothing more to hand this worker.
    private var toldNothingMore = false
    private var retryAt: Instant?
    private var lastHeard: Instant
    private var lastSent: Instant
    private var latestNow: Instant

    public init(configuration: WorkerConfiguration, now: Instant = .zero,
                merge: (@Sendable (inout Payload, Payload) throws -> Void)? = nil) {
        self.configuration = configuration
        self.merge = merge
        self.heartbeatInterval = configuration.heartbeatInterval
        self.deadAfter = configuration.deadAfter
        self.lastHeard = now
        self.lastSent = now
        self.latestNow = now
    }

    public var state: State {
        switch phase {
        case .disconnected: return .disconnected
        case .helloSent: return .helloSent
        case .registered:
            let inFlight = running.count + backlog.count
            return inFlight == 0 ? .ready : .working(inFlight: inFlight)
        case .refused(let reason): return .refused(reason)
        case .stopped(let reason): return .stopped(reason)
        }
    }

    /// Slots neither computing nor promised to a waiting item.
    public var freeSlots: Int {
        max(0, configuration.slots - running.count - abandoned.count - backlog.count)
    }

    /// Items this worker asks the coordinator for: its free slots plus the part of `configuration.prefetch` that no
    /// waiting item fills yet. With a prefetch the next item is here when a slot frees, instead of one request →
    /// WORK round trip later (the slot idle meanwhile); it still never runs more than `slots` at once.
    public var wanted: Int {
        max(0, configuration.slots + configuration.prefetch - running.count - abandoned.count - backlog.count)
    }

    /// The computations running for the current connection, in start order.
    public var runningTasks: [ComputeTask] { running }
    /// Abandoned computations still occupying a slot.
    public var abandonedCount: Int { abandoned.count }

    /// Feeds one event that happened at `now` and returns what to do.
    public mutating func handle(_ event: Event, at now: Instant) -> [Directive] {
        let now = max(now, latestNow)
        latestNow = now
        switch phase {
        case .refused, .stopped:
            return []
        default:
            break
        }
        switch event {
        case .connected:
            return connected(at: now)
        case .welcomed(let info):
            lastHeard = now
            guard phase == .helloSent else { return [] }
            phase = .registered
            heartbeatInterval = info.heartbeatInterval
            deadAfter = info.deadAfter
            return [.log(LogRecord(level: .info, message: "welcomed; \(configuration.slots) slots"))]
                + startWaiting(at: now) + requestIfNeeded(at: now)
        case .refused(let reason):
            lastHeard = now
            abandonAll()
            phase = .refused(reason)
            return [.log(LogRecord(level: .error, message: "refused by the coordinator: \(reason)")),
                    .stop(.refused(reason))]
        case .assignment(let items, let includesParameters):
            lastHeard = now
            return assignment(items, includesParameters: includesParameters, at: now)
        case .unusableParameters(let items, let reason):
            lastHeard = now
            guard phase == .registered else { return [] }
            parameterVersion = nil
            var out: [Directive] = [.log(LogRecord(level: .warning, message: "parameters for \(items.map(\.key)) unusable: \(reason)"))]
            out += assignment(items, includesParameters: false, at: now)
            return out
        case .noWork(let retryAfter):
            lastHeard = now
            guard phase == .registered else { return [] }
            retryAt = now + retryAfter
            awaitingAnswer = false
            toldNothingMore = true
            return flushIdle(at: now)
        case .rejoinRequired:
            lastHeard = now
            guard phase == .registered else { return [] }
            let dropped = abandonAll()
            phase = .helloSent
            return [.log(LogRecord(level: .warning,
                                   message: "coordinator asked for a new hello; dropped \(dropped.count) items"))]
                + [say(.sendHello, at: now)]
        case .runFinished:
            lastHeard = now
            abandonAll()
            phase = .stopped(.runFinished)
            return [.stop(.runFinished)]
        case .coordinatorMessage:
            lastHeard = now
            return []
        case .computeFinished(let taskID, let payload):
            return computeEnded(taskID, .success(payload), at: now)
        case .computeFailed(let taskID, let reason):
            return computeEnded(taskID, .failure(reason), at: now)
        case .tick:
            return tick(at: now)
        case .stop:
            var out: [Directive] = []
            if phase == .registered { out.append(say(.sendBye, at: now)) }
            abandonAll()
            phase = .stopped(.requested)
            return out + [.stop(.requested)]
        }
    }

    private mutating func connected(at now: Instant) -> [Directive] {
        switch phase {
        case .disconnected, .helloSent:
            phase = .helloSent
            lastHeard = now
            return [say(.sendHello, at: now)]
        default:
            return [.log(LogRecord(level: .debug, message: "connected while registered; ignored"))]
        }
    }

    private mutating func assignment(_ items: [WorkItem], includesParameters: Bool, at now: Instant) -> [Directive] {
        guard phase == .registered else {
            return [.log(LogRecord(level: .debug, message: "assignment of \(items.count) items before welcome; ignored"))]
        }
        retryAt = nil
        requested = max(0, requested - items.count)
        awaitingAnswer = false
        toldNothingMore = false
        heldSince = nil
        if includesParameters, let version = items.first?.parameterVersion {
            parameterVersion = version
        }
        var out: [Directive] = []
        for item in items {
            if running.contains(where: { $0.item.key == item.key }) || backlog.contains(where: { $0.key == item.key })
                || held[item.key.job]?.items.contains(where: { $0.key == item.key }) == true {
                out.append(.log(LogRecord(level: .debug, message: "\(item.key) assigned twice; ignored")))
                continue
            }
            if item.parameterVersion != parameterVersion {
                out.append(say(.sendFailure(item, .missingParameters(version: item.parameterVersion)), at: now))
                continue
            }
            backlog.append(item)
        }
        out += startWaiting(at: now)
        out += flushIdle(at: now)   // steps held whose items did not come back with this assignment
        return out + requestIfNeeded(at: now)
    }

    private mutating func computeEnded(_ taskID: Int, _ outcome: ComputeOutcome, at now: Instant) -> [Directive] {
        if abandoned.remove(taskID) != nil {
            return startWaiting(at: now) + requestIfNeeded(at: now)
        }
        guard let index = running.firstIndex(where: { $0.id == taskID }) else {
            return [.log(LogRecord(level: .warning, message: "compute task \(taskID) finished but is unknown"))]
        }
        let task = running.remove(at: index)
        var out: [Directive]
        switch outcome {
        case .failure(let failure):
            out = [say(.sendFailure(task.item, .computeError(failure)), at: now)]
            out += flushHeld(task.item.key.job, at: now)
        case .success(let payload):
            out = finished(task.item, payload, at: now)
            // A step's sum sent at once leaves after the request for more work this finish causes: the coordinator then
            // holds this worker's whole demand when the sum completes the step, and hands out the next step's
            // micro-batches to it in one go instead of one now and the rest after the request (issue 11 item 3).
            if merge != nil, task.item.key.phase == .train { return startWaiting(at: now) + requestIfNeeded(at: now) + out }
        }
        return out + startWaiting(at: now) + requestIfNeeded(at: now)
    }

    /// A successful computation: sent at once, or (merging training items) held until the step's last item here ends.
    private mutating func finished(_ item: WorkItem, _ payload: Payload, at now: Instant) -> [Directive] {
        guard let merge, item.key.phase == .train else {
            resultsSent += 1
            return [say(.sendResult(item, payload), at: now)]
        }
        let job = item.key.job
        var entry = (items: [item], payload: payload)
        if var h = held.removeValue(forKey: job) {
            do {
                try merge(&h.payload, payload)   // in place: `h` holds the only reference to the step's sum
                entry = (h.items + [item], h.payload)
            } catch {
                return (h.items + [item]).map { say(.sendFailure($0, .computeError("cannot merge results: \(error)")), at: now) }
            }
        }
        let stillHere = running.contains { $0.item.key.job == job } || backlog.contains { $0.key.job == job }
        if stillHere {
            held[job] = entry
            return []
        }
        // Nothing of the step left here, but the request for more work this finish sends (free slots above what the
        // coordinator knows) may bring more of it: hold until that is answered (WORK, or NO_WORK: flushed then). Unless
        // the coordinator has already answered that it has nothing more for this worker: NO_WORK since the last WORK, or
        // a demand of ours it holds parked (a request it served only in part, or not at all). A parked demand is served
        // the moment work appears, so more of the step would come without asking, and the request would only be
        // answered NO_WORK a round trip later while the whole step waits for this RESULT (issue 11 item 3).
        if phase == .registered, wanted > requested, !coordinatorHasNothingMore {
            held[job] = entry
            heldSince = heldSince ?? now
            return []
        }
        resultsSent += 1
        let items = entry.items.sorted { $0.key < $1.key }
        return [say(items.count == 1 ? .sendResult(items[0], entry.payload) : .sendMergedResult(items, entry.payload), at: now)]
    }

    /// True when the coordinator's last answer said it has nothing more for this worker and no request is unanswered.
    /// Best effort: WORK cannot be matched to the request it answers, so a push can end the wait for an answer early;
    /// then more of the step arrives after the RESULT and is answered on its own (M = 1 is always valid).
    private var coordinatorHasNothingMore: Bool { !awaitingAnswer && (requested > 0 || toldNothingMore) }

    /// Finished items held for merging (not yet sent).
    public var heldItems: [WorkKey] { held.values.flatMap { $0.items.map(\.key) }.sorted() }

    private mutating func tick(at now: Instant) -> [Directive] {
        switch phase {
        case .helloSent, .registered:
            if now - lastHeard > deadAfter {
                let dropped = abandonAll()
                phase = .disconnected
                return [.log(LogRecord(level: .warning,
                                       message: "coordinator silent for \(now - lastHeard); reconnecting, "
                                           + "dropped \(dropped.count) items")),
                        .reconnect(abandoned: dropped)]
            }
        default:
            return []
        }
        guard phase == .registered else { return [] }
        var out: [Directive] = []
        if let retryAt, now >= retryAt, wanted > 0 {
            self.retryAt = nil
            requested = wanted
            awaitingAnswer = true
            out.append(say(.requestWork(freeSlots: wanted), at: now))
        }
        // A safety net: what is held waiting for an answer that did not come within a heartbeat interval is sent.
        if let since = heldSince, now - since >= heartbeatInterval {
            out += flushIdle(at: now)
            heldSince = nil
        }
        if now - lastSent >= heartbeatInterval {
            out.append(say(.sendHeartbeat, at: now))
        }
        return out
    }

    /// Sends every held step of which nothing runs or waits here (the coordinator had no more of it for this worker).
    private mutating func flushIdle(at now: Instant) -> [Directive] {
        var out: [Directive] = []
        for job in held.keys.sorted() { out += flushHeld(job, at: now) }
        if held.isEmpty { heldSince = nil }
        return out
    }

    /// Sends what is held for `job` once nothing of it runs or waits here any more (after a failure).
    private mutating func flushHeld(_ job: JobID, at now: Instant) -> [Directive] {
        guard let h = held[job], !running.contains(where: { $0.item.key.job == job }),
              !backlog.contains(where: { $0.key.job == job }) else { return [] }
        held[job] = nil
        resultsSent += 1
        let items = h.items.sorted { $0.key < $1.key }
        return [say(items.count == 1 ? .sendResult(items[0], h.payload) : .sendMergedResult(items, h.payload), at: now)]
    }

    /// Starts waiting items on free slots.
    private mutating func startWaiting(at now: Instant) -> [Directive] {
        var out: [Directive] = []
        while !backlog.isEmpty, running.count + abandoned.count < configuration.slots {
            let task = ComputeTask(id: nextTaskID, item: backlog.removeFirst())
            nextTaskID += 1
            running.append(task)
            out.append(.startCompute(task))
        }
        return out
    }

    /// Asks for work when more slots are free than the coordinator knows about.
    private mutating func requestIfNeeded(at now: Instant) -> [Directive] {
        guard phase == .registered, wanted > requested else { return [] }
        requested = wanted
        awaitingAnswer = true
        retryAt = nil
        return [say(.requestWork(freeSlots: wanted), at: now)]
    }

    /// Drops all accepted work: running computations become abandoned (their slots stay busy until they
    /// end), waiting items and parameters are forgotten. Returns the dropped keys.
    @discardableResult
    private mutating func abandonAll() -> [WorkKey] {
        let dropped = running.map(\.item.key) + backlog.map(\.key) + held.values.flatMap { $0.items.map(\.key) }
        held.removeAll()
        heldSince = nil
        abandoned.formUnion(running.map(\.id))
        running.removeAll()
        backlog.removeAll()
        parameterVersion = nil
        requested = 0
        awaitingAnswer = false
        toldNothingMore = false
        retryAt = nil
        return dropped
    }

    /// A directive that sends something to the coordinator (resets the heartbeat timer).
    private mutating func say(_ directive: Directive, at now: Instant) -> Directive {
        lastSent = now
        return directive
    }
}

extension WorkerMachine: Sendable where Payload: Sendable {}
extension WorkerMachine.Event: Sendable where Payload: Sendable {}
extension WorkerMachine.Event: Equatable where Payload: Equatable {}
extension WorkerMachine.Event: Hashable where Payload: Hashable {}
extension WorkerMachine.Directive: Sendable where Payload: Sendable {}
extension WorkerMachine.Directive: Equatable where Payload: Equatable {}
extension WorkerMachine.Directive: Hashable where Payload: Hashable {}
