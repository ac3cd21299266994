import SNNEnergy
import SNNMethods

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

/// The model values WORK carries when the worker's version is stale: the parameters and the running state
/// (batch-norm running statistics), each in its own frame.
public struct ModelValues: Sendable, Equatable {
    public var parameters: [Float]
    public var state: [Float]

    public init(parameters: [Float], state: [Float]) {
        self.parameters = parameters
        self.state = state
    }
}

/// WORK, coordinator → worker: one micro-batch to run. The key is the machines' own `WorkKey` (the codec writes
/// its fields as `u32`, the phase as its byte) and the sample ids are the plan's `Int32`s: nothing is remapped.
public struct WorkAssignment: Sendable, Equatable {
    public var key: WorkKey
    /// The parameter version the work must run with.
    public var parameterVersion: UInt64
    /// Seed for the micro-batch's random draws (shared across workers for the same key).
    public var seed: UInt64
    /// 1 … 65 536 indices (each ≥ 0) into the phase's split: train for `.train`, test for `.evaluate`.
    public var sampleIndices: [Int32]
    /// Parameters and running state, sent when the worker's version is stale; finite, ≤ 64 Mi values together.
    public var values: ModelValues?
    /// Instead of `values` (never both): the difference from a version the worker holds (protocol 4).
    public var delta: ParameterDelta?
    /// Instead of `values` or `delta`: the rounded update from the version before (protocol 6, run spec
    /// `training.communication.updateBits`).
    public var update: ParameterUpdate?

    /// The body's byte length (PROTOCOL.md §5 WORK).
    public static let bodyBytes = 60

    /// What the parameters byte (offset 14) says the message carries.
    public enum ParametersKind: UInt8, Sendable {
        case none = 0
        case full = 1
        case delta = 2
        case update = 3
    }

    public var parametersKind: ParametersKind { update != nil ? .update : delta != nil ? .delta : values != nil ? .full : .none }

    public init(key: WorkKey, parameterVersion: UInt64, seed: UInt64, sampleIndices: [Int32], values: ModelValues? = nil,
                delta: ParameterDelta? = nil, update: ParameterUpdate? = nil) {
        precondition([values != nil, delta != nil, update != nil].filter { $0 }.count <= 1,
                     "WORK carries full values, a delta or an update, not two")
        self.key = key
        self.parameterVersion = parameterVersion
        self.seed = seed
        self.sampleIndices = sampleIndices
        self.values = values
        self.delta = delta
        self.update = update
    }

    /// The WORK for a machine's item, with the model values when the worker needs them.
    public init(_ item: WorkItem, values: ModelValues?, delta: ParameterDelta? = nil, update: ParameterUpdate? = nil) {
        self.init(key: item.key, parameterVersion: UInt64(item.parameterVersion), seed: item.microBatch.seed,
                  sampleIndices: item.microBatch.samples, values: values, delta: delta, update: update)
    }
}

extension WorkItem {
    /// The item a WORK names: the same micro-batch (position, samples, seed) the coordinator's plan cut.
    public init(_ a: WorkAssignment) {
        self.init(MicroBatch(key: a.key, samples: a.sampleIndices, seed: a.seed), parameterVersion: Int(clamping: a.parameterVersion))
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

/// RESULT, worker → coordinator: what one or more micro-batches of one job produced — a `StepContribution` in wire
/// widths. `key` names the first micro-batch covered; `microBatches` all of them (ascending).
public struct WorkResult: Sendable, Equatable {
    public var key: WorkKey
    /// The micro-batches covered, ascending, starting with `key.microBatch` (≤ 4096).
    public var microBatches: [Int]
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
    /// Time steps the method simulated (≥ 1; fewer than T with temporal early exit).
    public var steps: UInt32
    /// Gradient sum in fixed point (`FixedPoint`, 32 fraction bits), ≤ 64 Mi elements; empty for evaluate.
    public var gradient: [Int64]
    /// BN batch statistics and other per-method reductions, one equal block per covered micro-batch; finite,
    /// ≤ 16 Mi values.
    public var statistics: [Float]
    /// Event counters, flat (layer-major, `EventCounts.fields` order), ≤ 1 Mi values.
    public var counters: [Int64]
    /// Spikes emitted per layer, ≤ 65 536 layers.
    public var spikesPerLayer: [Int64]

    public init(key: WorkKey, parameterVersion: UInt64, samples: UInt32, lossSum: Double, correct: UInt32,
                computeNanos: UInt64, steps: UInt32, gradient: [Int64], statistics: [Float], counters: [Int64],
                spikesPerLayer: [Int64], microBatches: [Int]? = nil) {
        self.key = key
        self.microBatches = microBatches ?? [key.microBatch]
        self.parameterVersion = parameterVersion
        self.samples = samples
        self.lossSum = lossSum
        self.correct = correct
        self.computeNanos = computeNanos
        self.steps = steps
        self.gradient = gradient
        self.statistics = statistics
        self.counters = counters
        self.spikesPerLayer = spikesPerLayer
    }

    /// The RESULT of `item`: its contribution as computed, in wire widths.
    public init(_ c: StepContribution, of item: WorkItem) {
        self.init(c, of: [item])
    }

    /// The one RESULT of `items` (of one job, ascending): their merged contribution.
    public init(_ c: StepContribution, of items: [WorkItem]) {
        var key = items[0].key
        key.microBatch = c.firstMicroBatch
        self.init(key: key, parameterVersion: UInt64(items[0].parameterVersion), samples: UInt32(clamping: c.samples),
                  lossSum: c.lossSum, correct: UInt32(clamping: c.correct), computeNanos: c.computeNanos,
                  steps: UInt32(clamping: c.steps), gradient: c.gradient, statistics: c.statistics,
                  counters: c.ledger.flatCounts, spikesPerLayer: c.spikesPerLayer, microBatches: c.microBatches)
    }

    /// The idempotency keys of every micro-batch covered.
    public var keys: [WorkKey] { microBatches.map { var k = key; k.microBatch = $0; return k } }
}

extension StepContribution {
    /// The contribution a RESULT carries; nil when its counters do not fit `template` (another network).
    public init?(_ r: WorkResult, ledgerLike template: EventLedger) {
        guard let ledger = EventLedger(flatCounts: r.counters, like: template) else { return nil }
        self.init(microBatches: r.microBatches, gradient: r.gradient, statistics: r.statistics, lossSum: r.lossSum,
                  correct: Int(r.correct), samples: Int(r.samples), ledger: ledger, spikesPerLayer: r.spikesPerLayer,
                  steps: Int(r.steps), computeNanos: r.computeNanos)
    }
}

extension WorkPhase {
    /// WORK's split byte for this phase (PROTOCOL.md §5): 0 (train) for `.train` and `.eccLambda`, 1 (test) for
    /// `.evaluate` and the other ECC phases. A WORK whose split byte differs is malformed.
    public var splitByte: UInt8 { split == .train ? 0 : 1 }
}
