import SNNCore
import SNNEnergy

/// Whether a pass trains (batch statistics, saved state for backward) or only infers (running statistics).
public enum PassMode: Sendable { case training, inference }

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

    /// The phase counts of a forward pass go to.
    public var forwardPhase: Phase { mode == .training ? .trainForward : .inference }
}

/// Per-micro-batch storage a layer keeps between its forward and backward pass.
public final class LayerCache {
    public var input: Activation?
    public var output: Activation?
    public var buffers: [[Float]] = []
    public var indices: [Int32] = []
    /// Binary values saved as bits (`packSpikes`), e.g. a spiking layer's output for BPTT: 32× less than floats.
    public var bits: [UInt8] = []
    public init() {}
}

/// One layer of a network with an explicit forward and backward over all T steps at once.
///
/// Layers are immutable configuration (shared by every thread); per-micro-batch state lives in a `LayerCache`,
/// so one network can run many micro-batches concurrently.
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
    /// Folds the reduced batch statistics of a step (mean over micro-batches) into the running state.
    func applyStatistics(_ stats: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>, rowsPerMicroBatch: Int)
    /// Multiply-accumulates of the equivalent non-spiking layer for one sample (no time axis).
    var annMACsPerSample: Int64 { get }
}

extension Layer {
    public var stateCount: Int { 0 }
    public var statisticsCount: Int { 0 }
    public func applyStatistics(_ stats: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>, rowsPerMicroBatch: Int) {}
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
