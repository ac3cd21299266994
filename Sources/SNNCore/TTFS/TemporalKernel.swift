#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The TTFS temporal kernel of one layer (Park & Yoon 2021; METHODS §1.2): `κ(t) = exp(−(t − t_d)/τ)` over a firing
/// window of `window` (T_w) integer local steps. A spike at local time t carries the value κ(t); the largest value a
/// layer can send is `x_M = κ(0)`, the smallest `x_m = κ(T_w)`.
public struct TemporalKernel: Sendable, Equatable {
    /// τ (> 0), trainable per layer.
    public var tau: Float
    /// t_d, trainable per layer.
    public var delay: Float
    /// T_w (fixed).
    public var window: Int

    public init(tau: Float, delay: Float, window: Int) {
        self.tau = tau; self.delay = delay; self.window = window
    }

    /// κ(t).
    @inlinable public func value(at t: Float) -> Float { expf((delay - t) / tau) }
    /// x_M = κ(0).
    @inlinable public var maxValue: Float { value(at: 0) }
    /// x_m = κ(T_w): the smallest value training keeps (below it the clip outputs 0).
    @inlinable public var minValue: Float { value(at: Float(window)) }

    /// The SNN's dynamic threshold `θ(t) = exp(−(t + q − t_d)/τ)` for local steps `0..<window` (METHODS §1.2;
    /// q = 0.5 is the reference's quantisation-aware threshold, q = 0 the plain one).
    public func thresholds(offset q: Float) -> [Float] {
        (0..<window).map { value(at: Float($0) + q) }
    }
}

/// How the temporal-kernel activation turns the encoded spike time into an integer step (METHODS §1.3).
public enum TKQuantizer: UInt8, Sendable {
    /// No quantisation (training, epochs ≤ `epoch_start_train_t_int`).
    case none = 0
    /// Round half up with a straight-through gradient (training; what the SNN with q = 0.5 computes).
    case round = 1
    /// Ceiling (the reference's surrogate evaluation; what the SNN with q = 0 computes).
    case ceil = 2

    @inlinable public func apply(_ t: Float) -> Float {
        switch self {
        case .none: t
        case .round: floorf(t + 0.5)
        case .ceil: ceilf(t)
        }
    }
}

/// ε of the encoder (`ems` mode 'f' of the reference): keeps ln finite at z ≤ 0.
public let temporalKernelEpsilon: Float = 1e-30

/// Encode: `t = max(0, t_d − τ·ln(max(z, 0) + ε))`.
@inlinable public func temporalKernelEncode(_ z: Float, _ k: TemporalKernel) -> Float {
    max(0, k.delay - k.tau * logf(max(z, 0) + temporalKernelEpsilon))
}

/// The temporal-kernel activation TK of one value: encode, quantise, decode `x̂ = exp((t_d − q)/τ)`, and (when `clip`)
/// output 0 below `x_m`.
@inlinable public func temporalKernelActivation(_ z: Float, _ k: TemporalKernel, quantizer: TKQuantizer, clip: Bool) -> Float {
    let q = quantizer.apply(temporalKernelEncode(z, k))
    let x = expf((k.delay - q) / k.tau)
    return clip && x < k.minValue ? 0 : x
}

/// TK over `count` values.
public func temporalKernelForward(_ k: TemporalKernel, quantizer: TKQuantizer, clip: Bool,
                                  input: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>) {
    for i in 0..<count { output[i] = temporalKernelActivation(input[i], k, quantizer: quantizer, clip: clip) }
}

/// Straight-through gradients of TK (the METHODS §1.3 table), from the forward's input `z` and output `x̂`:
///
/// | region | ∂x̂/∂z | ∂x̂/∂t_d | ∂x̂/∂τ |
/// | in range (`t > 0`, kept) | x̂/(z+ε) | 0 | x̂·(q − t)/τ² |
/// | saturated (`t = 0`) | 0 | x̂/τ | −x̂·t_d/τ² |
/// | clipped (output 0) or z ≤ 0 | 0 | 0 | 0 |
///
/// Overwrites `gradInput` and returns Σ dy·∂x̂/∂τ and Σ dy·∂x̂/∂t_d (summed in double, in index order).
public func temporalKernelBackward(_ k: TemporalKernel, quantizer: TKQuantizer, input: UnsafePointer<Float>,
                                   output: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, count: Int,
                                   gradInput: UnsafeMutablePointer<Float>) -> (tau: Double, delay: Double) {
    var gTau = 0.0, gDelay = 0.0
    let invTau = 1 / k.tau, invTau2 = invTau * invTau
    for i in 0..<count {
        let z = input[i], x = output[i], dy = gradOutput[i]
        gradInput[i] = 0
        if z <= 0 || x == 0 { continue }
        let t = temporalKernelEncode(z, k)
        if t == 0 {
            gDelay += Double(dy * x * invTau)
            gTau += Double(-dy * x * k.delay * invTau2)
        } else {
            gradInput[i] = dy * x / (z + temporalKernelEpsilon)
            let r = quantizer.apply(t) - t
            if r != 0 { gTau += Double(dy * x * r * invTau2) }
        }
    }
    return (gTau, gDelay)
}

/// The SNN neuron's firing step in its window: the first local `t` with `U ≥ θ(t)`, or `thresholds.count` (no spike).
/// θ decreases, so this is the number of thresholds above U (branch-free over the window).
@inlinable public func ttfsFireStep(potential u: Float, thresholds: UnsafePointer<Float>, window: Int) -> Int {
    var n = 0
    for t in 0..<window where thresholds[t] > u { n += 1 }
    return n
}

/// Reference for `ttfsFireStep`: steps through the window like the SNN does, firing at the first crossing.
public func ttfsFireStepReference(potential u: Float, kernel k: TemporalKernel, offset q: Float) -> Int {
    for t in 0..<k.window where Double(u) >= exp(-(Double(t) + Double(q) - Double(k.delay)) / Double(k.tau)) { return t }
    return k.window
}

/// Relaxation schedule p(e) = (1 − bypass)·(e + 1)/targetEpoch, capped at 1 (METHODS §1.3): the probability that a
/// hidden layer uses TK instead of ReLU in a training step of epoch e (0-based).
public func ttfsRelaxationProbability(epoch: Int, targetEpoch: Int, bypass: Float) -> Float {
    min(1, (1 - bypass) * Float(epoch + 1) / Float(max(1, targetEpoch)))
}

/// Initial-value regulariser L2-I (METHODS §1.3): R = Σ_l (τ_l − τ_init)² + Σ_l (t_d,l − t_d,init)², with ∂R/∂τ_l and
/// ∂R/∂t_d,l (unweighted).
public func ttfsInitialValueRegularizer(tau: [Float], delay: [Float], tauInit: Float, delayInit: Float) -> (value: Double, gradTau: [Float], gradDelay: [Float]) {
    var r = 0.0
    var gt = [Float](repeating: 0, count: tau.count), gd = gt
    for l in tau.indices {
        let a = tau[l] - tauInit, b = delay[l] - delayInit
        r += Double(a * a) + Double(b * b)
        gt[l] = 2 * a; gd[l] = 2 * b
    }
    return (r, gt, gd)
}

/// One channel's TKBN term (METHODS §1.3, reference mode 'bnonn'), already with the leading minus sign:
/// `L = −P(γ, β; x_T)`, `P = ½(γ²/3 + γ + 1)β³ − ½x_Tβ² − ½(x_T²γ + 2)β − x_T(x_T²γ² + 6)/6`; also ∂L/∂γ, ∂L/∂β.
@inlinable public func ttfsTKBNTerm(gamma g: Float, beta b: Float, xT x: Float) -> (value: Float, dGamma: Float, dBeta: Float) {
    let b2 = b * b, b3 = b2 * b, x2 = x * x
    let p = 0.5 * (g * g / 3 + g + 1) * b3 - 0.5 * x * b2 - 0.5 * (x2 * g + 2) * b - x * (x2 * g * g + 6) / 6
    let dg = 0.5 * (2 * g / 3 + 1) * b3 - 0.5 * x2 * b - x * x2 * g / 3
    let db = 1.5 * (g * g / 3 + g + 1) * b2 - x * b - 0.5 * (x2 * g + 2)
    return (-p, -dg, -db)
}
