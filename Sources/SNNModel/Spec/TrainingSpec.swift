/// How the run trains. JSON keys (defaults in parentheses):
/// `epochs`, `batchSize`, `optimizer` required; `microBatch` (32), `seed` (0), `schedule` (constant),
/// `initialization` (xavier-uniform, gain 1), `checkpointEvery` (none), `communication` (none: exact).
public struct TrainingSpec: Sendable, Equatable, Codable {
    public var epochs: Int
    /// Samples per optimizer step (the global minibatch, summed over all workers).
    public var batchSize: Int
    /// Samples per unit of work sent to a worker (DESIGN "The training step"); ≥ 1. `batchSize` need not
    /// be a multiple: the last micro-batch of a step is then smaller; one larger than `batchSize` makes
    /// the whole minibatch a single micro-batch.
    public var microBatch: Int
    /// Seeds the epoch permutations, weight initialisation and Poisson draws.
    public var seed: UInt64
    public var optimizer: OptimizerSpec
    public var schedule: ScheduleSpec
    public var initialization: InitSpec
    /// Write a checkpoint every this many optimizer steps; nil = only at the end of each epoch.
    public var checkpointEvery: Int?
    /// Quantized gradients and updates, to cut the bytes a step moves (`CommunicationSpec`); nil = exact.
    public var communication: CommunicationSpec?

    public init(epochs: Int, batchSize: Int, microBatch: Int = 32, seed: UInt64 = 0, optimizer: OptimizerSpec,
                schedule: ScheduleSpec = ScheduleSpec(), initialization: InitSpec = InitSpec(), checkpointEvery: Int? = nil,
                communication: CommunicationSpec? = nil) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.microBatch = microBatch
        self.seed = seed
        self.optimizer = optimizer
        self.schedule = schedule
        self.initialization = initialization
        self.checkpointEvery = checkpointEvery
        self.communication = communication
    }

    /// Micro-batches per full minibatch: `ceil(batchSize / microBatch)`.
    public var microBatchesPerStep: Int { (batchSize + microBatch - 1) / microBatch }

    static let fields = ["epochs", "batchSize", "microBatch", "seed", "optimizer", "schedule", "initialization", "checkpointEvery",
                         "communication"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: Self.fields)
        epochs = try c.required("epochs")
        batchSize = try c.required("batchSize")
        microBatch = try c.optional("microBatch", default: 32)
        seed = try c.optional("seed", default: 0)
        optimizer = try c.required("optimizer")
        schedule = try c.optional("schedule", default: ScheduleSpec())
        initialization = try c.optional("initialization", default: InitSpec())
        checkpointEvery = try c.optional("checkpointEvery")
        communication = try c.optional("communication")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(epochs, forKey: SpecKey("epochs"))
        try c.encode(batchSize, forKey: SpecKey("batchSize"))
        try c.encode(microBatch, forKey: SpecKey("microBatch"))
        try c.encode(seed, forKey: SpecKey("seed"))
        try c.encode(optimizer, forKey: SpecKey("optimizer"))
        try c.encode(schedule, forKey: SpecKey("schedule"))
        try c.encode(initialization, forKey: SpecKey("initialization"))
        try c.encodeIfPresent(checkpointEvery, forKey: SpecKey("checkpointEvery"))
        try c.encodeIfPresent(communication, forKey: SpecKey("communication"))
    }
}

/// The optimizer. JSON: `{"kind": "sgd", "lr": 0.1, "momentum": 0.9, "weightDecay": 1e-4}`.
/// `kind` (`"sgd"` | `"adam"`) and `lr` required; `momentum` 0.9, `weightDecay` 0, `nesterov` false (SGD);
/// `beta1` 0.9, `beta2` 0.999, `epsilon` 1e-8 (Adam); `decoupled` false (true = AdamW-style decay
/// `w −= lr·wd·w` instead of adding `wd·w` to the gradient).
public struct OptimizerSpec: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, CaseIterable { case sgd, adam }
    public var kind: Kind
    public var lr: Float
    public var momentum: Float
    public var weightDecay: Float
    public var nesterov: Bool
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var decoupled: Bool

    public init(kind: Kind, lr: Float, momentum: Float = 0.9, weightDecay: Float = 0, nesterov: Bool = false,
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, decoupled: Bool = false) {
        self.kind = kind
        self.lr = lr
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.decoupled = decoupled
    }

    static let fields = ["kind", "lr", "momentum", "weightDecay", "nesterov", "beta1", "beta2", "epsilon", "decoupled"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: Self.fields)
        kind = try c.requiredChoice("kind", named: "optimizer")
        lr = try c.required("lr")
        momentum = try c.optional("momentum", default: 0.9)
        weightDecay = try c.optional("weightDecay", default: 0)
        nesterov = try c.optional("nesterov", default: false)
        beta1 = try c.optional("beta1", default: 0.9)
        beta2 = try c.optional("beta2", default: 0.999)
        epsilon = try c.optional("epsilon", default: 1e-8)
        decoupled = try c.optional("decoupled", default: false)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(kind.rawValue, forKey: SpecKey("kind"))
        try c.encode(lr, forKey: SpecKey("lr"))
        try c.encode(momentum, forKey: SpecKey("momentum"))
        try c.encode(weightDecay, forKey: SpecKey("weightDecay"))
        try c.encode(nesterov, forKey: SpecKey("nesterov"))
        try c.encode(beta1, forKey: SpecKey("beta1"))
        try c.encode(beta2, forKey: SpecKey("beta2"))
        try c.encode(epsilon, forKey: SpecKey("epsilon"))
        try c.encode(decoupled, forKey: SpecKey("decoupled"))
    }
}

/// The learning-rate schedule over training progress `p = epoch / epochs` (0 at the start).
///
/// - `constant`: `lr`.
/// - `step`: `lr · factor^k`, k = number of `milestones` (fractions of the epochs) already reached
///   (BNTT: ÷10 at 50 %, 70 %, 90 %, METHODS §3.4).
/// - `cosine`: `½·lr·(1 + cos(π·p))` per epoch (DSR, METHODS §2.5).
/// All: linear warm-up `lr·(i+1)/warmupIterations` over the first `warmupIterations` optimizer steps.
///
/// JSON: `kind` required (when the object is given); `milestones` [0.5, 0.7, 0.9], `factor` 0.1,
/// `warmupIterations` 0. The whole object defaults to `{"kind": "constant"}`.
public struct ScheduleSpec: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, CaseIterable { case constant, step, cosine }
    public var kind: Kind
    public var milestones: [Double]
    public var factor: Float
    public var warmupIterations: Int

    public init(kind: Kind = .constant, milestones: [Double] = [0.5, 0.7, 0.9], factor: Float = 0.1, warmupIterations: Int = 0) {
        self.kind = kind
        self.milestones = milestones
        self.factor = factor
        self.warmupIterations = warmupIterations
    }

    static let fields = ["kind", "milestones", "factor", "warmupIterations"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: Self.fields)
        kind = try c.requiredChoice("kind", named: "schedule")
        milestones = try c.optional("milestones", default: [0.5, 0.7, 0.9])
        factor = try c.optional("factor", default: 0.1)
        warmupIterations = try c.optional("warmupIterations", default: 0)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(kind.rawValue, forKey: SpecKey("kind"))
        try c.encode(milestones, forKey: SpecKey("milestones"))
        try c.encode(factor, forKey: SpecKey("factor"))
        try c.encode(warmupIterations, forKey: SpecKey("warmupIterations"))
    }
}

/// Weight initialisation of conv and dense layers (biases start at 0, BN γ at 1 and β at 0).
///
/// - `xavier-uniform`: `U(−a, a)`, `a = gain·√(6 / (fanIn + fanOut))` (BNTT uses gain 2).
/// - `kaiming-normal`: `N(0, (gain·√(2/fanOut))²)` (DSR: fan-out mode, ReLU gain).
/// - `torch-default`: PyTorch's `nn.Linear`/`nn.Conv2d` default, weights and biases `U(−b, b)`, `b = gain/√fanIn`
///   (gain 1 = PyTorch; the peers of BENCHMARKS.md).
/// JSON: `{"kind": "xavier-uniform", "gain": 2}`; `kind` required (when given), `gain` 1. The whole object
/// defaults to xavier-uniform with gain 1.
public struct InitSpec: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, CaseIterable {
        case xavierUniform = "xavier-uniform"
        case kaimingNormal = "kaiming-normal"
        case torchDefault = "torch-default"
    }
    public var kind: Kind
    public var gain: Float

    public init(kind: Kind = .xavierUniform, gain: Float = 1) {
        self.kind = kind
        self.gain = gain
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: ["kind", "gain"])
        kind = try c.requiredChoice("kind", named: "initialization")
        gain = try c.optional("gain", default: 1)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(kind.rawValue, forKey: SpecKey("kind"))
        try c.encode(gain, forKey: SpecKey("gain"))
    }
}

/// Lossy but deterministic communication: each micro-batch's gradient rounded to `gradientBits` significant bits per
/// block of 256 values, and each optimizer update to `updateBits` (with the rounding error carried to the next step).
/// JSON: `{"gradientBits": 8, "updateBits": 8}`, either key optional (absent: that direction exact), each 2…24.
///
/// Why: exact fixed-point gradients and bit-exact parameter deltas cost about 3.5 and 2.7 bytes per parameter on the
/// wire, the floor for lossless coding of random mantissa bits (protocols/SCALING.md). Rounding is part of the
/// training step, not of the wire: the standalone trainer rounds the same micro-batches the same way, so the
/// parameters stay bit-identical for any worker count; they differ from those of an exact run.
public struct CommunicationSpec: Sendable, Equatable, Codable {
    /// Significant bits kept of each micro-batch gradient, per block of 256 values; nil = exact (fixed point only).
    public var gradientBits: Int?
    /// Significant bits kept of each step's parameter update, per block of 256 values; nil = exact.
    public var updateBits: Int?

    public init(gradientBits: Int? = nil, updateBits: Int? = nil) {
        self.gradientBits = gradientBits; self.updateBits = updateBits
    }

    static let fields = ["gradientBits", "updateBits"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: Self.fields)
        gradientBits = try c.optional("gradientBits")
        updateBits = try c.optional("updateBits")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encodeIfPresent(gradientBits, forKey: SpecKey("gradientBits"))
        try c.encodeIfPresent(updateBits, forKey: SpecKey("updateBits"))
    }
}
