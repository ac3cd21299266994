/// Why the coordinator will not take a worker. The shell decides compatibility (dataset fingerprint, build
/// id, protocol version) and passes the verdict in `workerHello`; the machine only relays it.
public enum RefusalReason: Error, Hashable, Sendable, CustomStringConvertible {
    /// The worker speaks another protocol version.
    case protocolVersion(String)
    /// The worker's dataset files differ from the coordinator's.
    case datasetFingerprint(String)
    /// The worker runs another build (kernel code path), so results would not be bit-identical.
    case buildID(String)
    /// The run is over; the coordinator takes no more workers.
    case runFinished
    case other(String)

    public var description: String {
        switch self {
        case .protocolVersion(let detail): "incompatible protocol version: \(detail)"
        case .datasetFingerprint(let detail): "dataset fingerprint mismatch: \(detail)"
        case .buildID(let detail): "build id mismatch: \(detail)"
        case .runFinished: "the run has finished"
        case .other(let detail): detail
        }
    }
}

/// Why a worker could not produce a result for an item it was given.
public enum FailureReason: Hashable, Sendable, CustomStringConvertible {
    /// The worker does not hold the parameter version the item names (it lost them, or they never came).
    /// Not counted against the micro-batch: the coordinator resends parameters with the next assignment.
    case missingParameters(version: Int)
    /// The computation itself failed (bad sample, NaN guard tripped, out of memory). Counted: a micro-batch
    /// that fails `maxAttempts` times aborts the run instead of looping forever.
    case computeError(String)

    public var description: String {
        switch self {
        case .missingParameters(let version): "missing parameters for version \(version)"
        case .computeError(let detail): "compute error: \(detail)"
        }
    }
}

/// What the coordinator tells a worker it has welcomed: the timing both sides must agree on.
public struct WelcomeInfo: Hashable, Sendable {
    /// How often each side speaks at least once.
    public var heartbeatInterval: Duration
    /// How long either side tolerates silence from the other.
    public var deadAfter: Duration

    public init(heartbeatInterval: Duration, deadAfter: Duration) {
        self.heartbeatInterval = heartbeatInterval
        self.deadAfter = deadAfter
    }
}

/// A message from the coordinator to one worker. The shell encodes it for the wire (attaching parameter
/// tensors when `includeParameters` is set) and feeds the worker machine the matching event.
public enum CoordinatorMessage: Hashable, Sendable {
    case welcome(WelcomeInfo)
    case refuse(RefusalReason)
    /// Work to do. `includeParameters` is true when this worker has not yet been sent the parameters of the
    /// items' version: the shell must attach them.
    case assign([WorkItem], includeParameters: Bool)
    /// Work whose parameters the shell attaches as a delta against version `base`, the version this worker was
    /// last sent (the one just before the items' version). Only with `CoordinatorConfiguration.parameterDeltas`.
    case assignDelta([WorkItem], base: Int)
    /// Nothing to hand out now. The request stays parked and is served as soon as work appears; asking again
    /// after `retryAfter` is only a safety net.
    case noWork(retryAfter: Duration)
    /// Liveness only, sent when the coordinator has said nothing else to this worker for a heartbeat interval.
    case heartbeat
    /// The coordinator does not know this worker (it was declared dead, or the coordinator restarted):
    /// say hello again.
    case rejoinRequired
    /// The run is over; the worker should stop.
    case runFinished
}
