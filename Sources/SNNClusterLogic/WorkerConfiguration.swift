/// The worker machine's settings, with units and validated defaults.
///
/// The timing applies until the coordinator's welcome, which carries the coordinator's own timing; from
/// then on the worker uses that, so both sides agree on what "silent too long" means.
public struct WorkerConfiguration: Hashable, Sendable, CustomStringConvertible {
    /// Micro-batches computed at once (one per compute thread, typically the core count).
    public var slots: Int
    /// The worker speaks at least this often (a heartbeat fills any longer silence).
    public var heartbeatInterval: Duration
    /// A coordinator silent for longer than this (including no answer to hello) is given up on: in-flight
    /// work is dropped and the worker reconnects with a fresh hello.
    public var deadAfter: Duration
    /// Items asked for beyond the free slots, to wait here for the next free slot (0: ask only for free slots).
    /// One hides the request → WORK round trip between two micro-batches of a step on the same slot.
    public var prefetch: Int

    public init(slots: Int, heartbeatInterval: Duration = .seconds(1), deadAfter: Duration = .seconds(3),
                prefetch: Int = 0) throws(MachineConfigurationError)
    {
        self.slots = slots
        self.prefetch = prefetch
        self.heartbeatInterval = heartbeatInterval
        self.deadAfter = deadAfter
        try validate()
    }

    /// Throws naming the first setting that cannot work.
    public func validate() throws(MachineConfigurationError) {
        if slots < 1 {
            throw MachineConfigurationError(setting: "slots",
                                            problem: "must be at least 1 (got \(slots)); use the number of cores")
        }
        if prefetch < 0 {
            throw MachineConfigurationError(setting: "prefetch", problem: "must be 0 or more (got \(prefetch)); e.g. 1")
        }
        if heartbeatInterval <= .zero {
            throw MachineConfigurationError(setting: "heartbeatInterval",
                                            problem: "must be positive (got \(heartbeatInterval)); e.g. 1 s")
        }
        if deadAfter <= heartbeatInterval {
            throw MachineConfigurationError(
                setting: "deadAfter",
                problem: "must exceed heartbeatInterval (\(heartbeatInterval)), got \(deadAfter); use 3x the interval")
        }
    }

    public var description: String {
        "slots=\(slots) prefetch=\(prefetch) heartbeatInterval=\(heartbeatInterval) deadAfter=\(deadAfter)"
    }
}
