/// Whether a unit of work trains (forward + backward) or only evaluates.
public enum WirePhase: UInt8, Sendable, CaseIterable {
    case train = 0
    case evaluate = 1
}

/// Which dataset split the sample indices refer to.
public enum WireSplit: UInt8, Sendable, CaseIterable {
    case train = 0
    case test = 1
}

/// The idempotency key of a unit of work within a run (the run id travels in the header): a RESULT is
/// accepted once per key; unknown, finished and duplicate keys are dropped (PROTOCOL.md §6).
public struct WireWorkKey: Hashable, Sendable, CustomStringConvertible {
    public var epoch: UInt32
    public var step: UInt32
    public var microBatch: UInt32
    public var phase: WirePhase

    public init(epoch: UInt32, step: UInt32, microBatch: UInt32, phase: WirePhase) {
        self.epoch = epoch
        self.step = step
        self.microBatch = microBatch
        self.phase = phase
    }

    public var description: String { "e\(epoch)/s\(step)/mb\(microBatch)/\(phase)" }
}

extension WireWorkKey {
    /// The wire form of a machine's key (epoch, step and micro-batch are non-negative and below 2^32).
    public init(_ k: WorkKey) {
        self.init(epoch: UInt32(k.epoch), step: UInt32(k.step), microBatch: UInt32(k.microBatch), phase: k.phase == .train ? .train : .evaluate)
    }
}

extension WorkKey {
    /// The machines' form of a key read from the wire.
    public init(_ k: WireWorkKey) {
        self.init(epoch: Int(k.epoch), step: Int(k.step), microBatch: Int(k.microBatch), phase: k.phase == .train ? .train : .evaluate)
    }
}

/// REQUEST_WORK, worker → coordinator: the worker has free slots.
public struct WorkRequest: Sendable, Equatable {
    /// ≥ 1.
    public var freeSlots: UInt16
    /// The parameter version the worker holds (0 = none); decides whether WORK carries parameters.
    public var knownParameterVersion: UInt64

    public init(freeSlots: UInt16, knownParameterVersion: UInt64) {
        self.freeSlots = freeSlots
        self.knownParameterVersion = knownParameterVersion
    }
}

/// WORK, coordinator → worker: one micro-batch to run.
public struct WorkAssignment: Sendable, Equatable {
    public var key: WireWorkKey
    /// The parameter version the work must run with.
    public var parameterVersion: UInt64
    /// Seed for the micro-batch's random draws (shared across workers for the same key).
    public var seed: UInt64
    /// 1 … 65 536 indices into `split`.
    public var sampleIndices: [UInt32]
    public var split: WireSplit
    /// The "state floats" (parameters + BN running statistics), sent when the worker's version is stale;
    /// finite, ≤ 64 Mi values.
    public var parameters: [Float]?

    public init(key: WireWorkKey, parameterVersion: UInt64, seed: UInt64, sampleIndices: [UInt32], split: WireSplit,
                parameters: [Float]? = nil) {
        self.key = key
        self.parameterVersion = parameterVersion
        self.seed = seed
        self.sampleIndices = sampleIndices
        self.split = split
        self.parameters = parameters
    }
}

/// NO_WORK, coordinator → worker: nothing to hand out now; ask again after `retryAfterMs`.
public struct NoWork: Sendable, Equatable {
    public enum Reason: UInt16, Sendable, CaseIterable {
        /// Every micro-batch of the current step is out; the next step starts when they are in.
        case waitingForStep = 0
        /// The run has not started yet.
        case notStarted = 1
        /// The run is over.
        case finished = 2
    }

    public var retryAfterMs: UInt32
    public var reason: Reason

    public init(retryAfterMs: UInt32, reason: Reason) {
        self.retryAfterMs = retryAfterMs
        self.reason = reason
    }
}

/// RESULT, worker → coordinator: what one micro-batch produced.
public struct WorkResult: Sendable, Equatable {
    public var key: WireWorkKey
    /// The parameter version the work ran with.
    public var parameterVersion: UInt64
    /// Samples processed (≤ 65 536).
    public var samples: UInt32
    /// Sum of per-sample losses; finite.
    public var lossSum: Double
    /// Correctly classified samples (≤ samples).
    public var correct: UInt32
    /// Time spent computing, ns.
    public var computeNanos: UInt64
    /// Gradient sum in fixed point (`FixedPoint`, 32 fraction bits), ≤ 64 Mi elements; empty for evaluate.
    public var gradient: [Int64]
    /// BN batch statistics and other per-method reductions; finite, ≤ 16 Mi values.
    public var statistics: [Float]
    /// Event counters, flat (layer-major, `EventCounts.fields` order), ≤ 1 Mi values.
    public var counters: [Int64]
    /// Spikes emitted per layer, ≤ 65 536 layers.
    public var spikesPerLayer: [Int64]

    public init(key: WireWorkKey, parameterVersion: UInt64, samples: UInt32, lossSum: Double, correct: UInt32,
                computeNanos: UInt64, gradient: [Int64], statistics: [Float], counters: [Int64],
                spikesPerLayer: [Int64]) {
        self.key = key
        self.parameterVersion = parameterVersion
        self.samples = samples
        self.lossSum = lossSum
        self.correct = correct
        self.computeNanos = computeNanos
        self.gradient = gradient
        self.statistics = statistics
        self.counters = counters
        self.spikesPerLayer = spikesPerLayer
    }
}
