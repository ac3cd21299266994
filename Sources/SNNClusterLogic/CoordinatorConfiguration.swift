/// The coordinator machine's settings, with units and validated defaults.
public struct CoordinatorConfiguration: Hashable, Sendable, CustomStringConvertible {
    /// How often the coordinator speaks to each worker at least once (and expects the same of workers).
    public var heartbeatInterval: Duration
    /// A worker silent for longer than this is declared dead on the next tick; its work goes back to the
    /// queue. Must exceed `heartbeatInterval` (3x or more tolerates lost or delayed heartbeats).
    public var deadAfter: Duration
    /// Work is not handed out until this many workers have joined; once the run has started it goes on
    /// with however many remain.
    public var minWorkers: Int
    /// The `retryAfter` sent with `noWork`. The request stays parked and is served the moment work appears,
    /// so this only bounds how long a lost request could leave a worker idle.
    public var noWorkRetry: Duration
    /// When set, a worker asking for work when nothing is pending gets a duplicate of a micro-batch that
    /// has been in flight on another worker for at least this long (straggler mitigation). Results stay
    /// exactly-once: the first accepted copy wins, the other is dropped as a duplicate.
    public var speculateAfter: Duration?
    /// A micro-batch whose computation fails this many times aborts the run (a deterministic failure would
    /// otherwise loop forever).
    public var maxAttempts: Int
    /// A micro-batch whose holders were declared dead this many times while computing it aborts the run: a
    /// micro-batch that crashes every worker given it (out of memory, a bug) would otherwise take the workers
    /// down one by one and leave the coordinator waiting with none.
    public var maxLosses: Int
    /// Every micro-batch handed out must be answered within this time, or it is taken back from that worker,
    /// counted as a failed attempt and handed out again: a result lost on the way (or rejected as malformed)
    /// never stalls a step while its worker stays alive.
    public var itemDeadline: Duration = .seconds(600)
    /// Send a new parameter version as a delta (`CoordinatorMessage.assignDelta`) to a worker that was sent the
    /// version just before it; full values otherwise (a new or rejoined worker, after a failure, after a restart).
    /// Off by default: the shell turns it on when it can encode deltas (training runs, protocol 4).
    public var parameterDeltas = false

    /// Settings with the defaults of DESIGN.md; throws naming the first setting that cannot work.
    public init(
        heartbeatInterval: Duration = .seconds(1),
        deadAfter: Duration = .seconds(3),
        minWorkers: Int = 1,
        noWorkRetry: Duration = .milliseconds(500),
        speculateAfter: Duration? = nil,
        maxAttempts: Int = 3,
        maxLosses: Int = 3
    ) throws(MachineConfigurationError) {
        self.heartbeatInterval = heartbeatInterval
        self.deadAfter = deadAfter
        self.minWorkers = minWorkers
        self.noWorkRetry = noWorkRetry
        self.speculateAfter = speculateAfter
        self.maxAttempts = maxAttempts
        self.maxLosses = maxLosses
        try validate()
    }

    /// Throws naming the first setting that cannot work (call again after mutating a field).
    public func validate() throws(MachineConfigurationError) {
        if heartbeatInterval <= .zero {
            throw MachineConfigurationError(setting: "heartbeatInterval",
                                            problem: "must be positive (got \(heartbeatInterval)); e.g. 1 s")
        }
        if deadAfter <= heartbeatInterval {
            throw MachineConfigurationError(
                setting: "deadAfter",
                problem: "must exceed heartbeatInterval (\(heartbeatInterval)), got \(deadAfter); use 3x the interval")
        }
        if minWorkers < 1 {
            throw MachineConfigurationError(setting: "minWorkers", problem: "must be at least 1 (got \(minWorkers))")
        }
        if noWorkRetry <= .zero {
            throw MachineConfigurationError(setting: "noWorkRetry",
                                            problem: "must be positive (got \(noWorkRetry)); e.g. 500 ms")
        }
        if let speculateAfter, speculateAfter < .zero {
            throw MachineConfigurationError(setting: "speculateAfter",
                                            problem: "must not be negative (got \(speculateAfter)); leave unset to disable")
        }
        if maxAttempts < 1 {
            throw MachineConfigurationError(setting: "maxAttempts", problem: "must be at least 1 (got \(maxAttempts))")
        }
        if maxLosses < 1 {
            throw MachineConfigurationError(setting: "maxLosses", problem: "must be at least 1 (got \(maxLosses))")
        }
    }

    /// The effective settings on one line, for the start-up banner.
    public var description: String {
        "heartbeatInterval=\(heartbeatInterval) deadAfter=\(deadAfter) minWorkers=\(minWorkers) "
            + "noWorkRetry=\(noWorkRetry) speculateAfter=\(speculateAfter.map { "\($0)" } ?? "off") "
            + "maxAttempts=\(maxAttempts) maxLosses=\(maxLosses)"
    }
}
