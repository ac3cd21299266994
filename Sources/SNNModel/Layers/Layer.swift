import SNNCore
import SNNEnergy

/// How a layer computes in one pass: training (batch statistics, state saved for backward) or inference (running
/// statistics, nothing saved).
///
/// Kept apart from the cluster's `WorkPhase` (SNNMethods: which kind of work a micro-batch is — train, evaluate or
/// one of the ECC conversion kinds — and which data split it reads) and from the energy model's `Phase` (SNNEnergy:
/// which priced bucket an event goes to, including the backward pass and the optimizer, which no forward pass is).
/// They differ in cases and in meaning: every work phase but `.train` runs inference passes, and a training pass
/// records into two energy phases. Each mapping exists once: `WorkPhase.passMode` and `PassMode.forwardPhase`.
public enum PassMode: Sendable {
    case training, inference

    /// The energy phase a forward pass in this mode counts its events in (a backward pass always counts in
    /// `.trainBackward`).
    public var forwardPhase: Phase {
        switch self {
        case .training: .trainForward
        case .inference: .inference
        }
    }
}

/// Everything one forward/backward pass of one micro-batch shares across layers.
///
/// Parameters are one flat vector for the whole network (each layer owns a slice at its `parameterOffset`), so a
/// micro-batch's gradient is one flat vector too: what the cluster reduces and the optimizer updates.
public struct PassContext {
    public let mode: PassMode
    /// Steps actually simulated this pass (T, or fewer at inference with temporal early exit).
    public let steps: Int
    public let parameters: UnsafePointer<Float>
    public let state: UnsafePointer<Float>
    /// Gradient accumulator (training only), same layout as `parameters`.
    public let gradients: UnsafeMutablePointer<Float>?
    /// Batch statistics this micro-batch produced (e.g. BN mean/variance), reduced across micro-batches.
    public let statistics: UnsafeMutablePointer<Float>?
    public var ledger: EventLedger

    public init(mode: PassMode, steps: Int, parameters: UnsafePointer<Float>, state: UnsafePointer<Float>,
                gradients: UnsafeMutablePointer<Float>?, statistics: UnsafeMutablePointer<Float>?, ledger: EventLedger) {
        self.mode = mode; self.steps = steps; self.parameters = parameters; self.state = state
        self.gradients = gradients; self.statistics = statistics; self.ledger = ledger
    }

    /// The energy phase this pass's forward counts go to.
    public var forwardPhase: Phase { mode.forwardPhase }
}

/// One layer of a network with an explicit forward and backward over all T steps at once.
///
/// Layers are immutable configuration (shared by every thread); what a training forward keeps for backward lives in
/// a `LayerCache` as the layer's own `LayerState` type, so one network can run many micro-batches concurrently.
public protocol Layer: AnyObject, Sendable {
    var name: String { get }
    var index: Int { get }
    var inputShape: [Int] { get }
    var outputShape: [Int] { get }
    /// Trainable parameters, at `parameterOffset` in the flat vector.
    var parameterCount: Int { get }
    var parameterOffset: Int { get set }
    /// Non-trainable state (running statistics), at `stateOffset`.
    var stateCount: Int { get }
    var stateOffset: Int { get set }
    /// Batch statistics reported per micro-batch, at `statisticsOffset`.
    var statisticsCount: Int { get }
    var statisticsOffset: Int { get set }

    /// Fills this layer's parameters and state with their initial values.
    func initialize(parameters: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
                    initializer: WeightInitializer, rng: inout RandomStream)
    func forward(_ x: Activation, context: inout PassContext, cache: LayerCache) -> Activation
    /// Returns the gradient with respect to the input, or nil when `needInput` is false (first layer).
    func backward(_ dy: Activation, context: inout PassContext, cache: LayerCache, needInput: Bool) -> Activation?
    /// Folds the reduced batch statistics of a step (mean over micro-batches of `microBatchSize` samples running
    /// `steps` steps) into the running state.
    func applyStatistics(_ stats: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>, microBatchSize: Int, steps: Int)
    /// Multiply-accumulates of the equivalent non-spiking layer for one sample (no time axis).
    var annMACsPerSample: Int64 { get }
}

extension Layer {
    public var stateCount: Int { 0 }
    public var statisticsCount: Int { 0 }
    public func applyStatistics(_ stats: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>, microBatchSize: Int, steps: Int) {}
    public var annMACsPerSample: Int64 { 0 }
}

/// How weights are drawn at initialisation.
public enum WeightInitializer: Sendable, Equatable {
    /// U(−a, a), a = gain·√(6 / (fanIn + fanOut)) (BNTT: gain 2).
    case xavierUniform(gain: Float)
    /// N(0, σ²), σ = gain·√(2 / fanOut) (DSR: kaiming normal, fan-out mode).
    case kaimingNormal(gain: Float)
    /// PyTorch's default for `nn.Linear`/`nn.Conv2d` (kaiming-uniform with a = √5): weights U(−b, b),
    /// b = gain/√fanIn, and biases U(−b, b) with the same b (PyTorch: gain 1). The peers' initialisation.
    case torchDefault(gain: Float)

    /// Fills a layer's `count` biases: U(−gain/√fanIn, gain/√fanIn) for `torchDefault` (drawn after the weights),
    /// zeros for the others (which draw nothing, so their streams are unchanged).
    public func fillBias(_ b: UnsafeMutablePointer<Float>, count: Int, fanIn: Int, rng: inout RandomStream) {
        switch self {
        case .torchDefault(let gain):
            let a = gain / Float(fanIn).squareRoot()
            for i in 0..<count { b[i] = (rng.nextUniform() * 2 - 1) * a }
        case .xavierUniform, .kaimingNormal:
            b.update(repeating: 0, count: count)
        }
    }

    public func fill(_ w: UnsafeMutablePointer<Float>, count: Int, fanIn: Int, fanOut: Int, rng: inout RandomStream) {
        switch self {
        case .xavierUniform(let gain):
            let a = gain * (6.0 / Float(fanIn + fanOut)).squareRoot()
            for i in 0..<count { w[i] = (rng.nextUniform() * 2 - 1) * a }
        case .kaimingNormal(let gain):
            let s = gain * (2.0 / Float(fanOut)).squareRoot()
            for i in 0..<count {
                // Box-Muller on two uniforms; 1 - u keeps the log finite.
                let u1 = 1 - rng.nextUniform(), u2 = rng.nextUniform()
                w[i] = s * (-2 * logf(u1)).squareRoot() * cosf(2 * Float.pi * u2)
            }
        case .torchDefault(let gain):
            let a = gain / Float(fanIn).squareRoot()
            for i in 0..<count { w[i] = (rng.nextUniform() * 2 - 1) * a }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
