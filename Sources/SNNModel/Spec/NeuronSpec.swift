import SNNCore

/// A spiking neuron's parameters (METHODS §2.2, §3.2, §5):
///
///     U_t = leak · U_{t−1} + inputGain · I_t          (U_0 = initialPotential)
///     s_t = 1 if U_t (compare) alpha · threshold       (">" strictly above, ">=" at or above)
///     U_t ← U_t − threshold · s_t   ("soft")   or   U_t ← 0 where s_t = 1   ("hard")
///     U_{t+1} = leak · U_t + inputGain · I_{t+1} − threshold · s_t   ("soft-unleaked", snnTorch's subtract reset)
///
/// `leak` 1 is an IF neuron. The backward pass uses `surrogate` for ∂s/∂U.
///
/// JSON: every field but `surrogate` is optional with the default shown on the property. As the run's
/// `neuron`, `surrogate` is required. As a spiking layer's `neuron`, the object is a partial override:
/// the fields it gives replace the run's, the rest are the run's (see `SurrogateSpec` for the surrogate).
public struct NeuronSpec: Sendable, Equatable, Codable {
    /// Membrane decay per step (λ, β); default 1 (no leak).
    public var leak: Float
    /// Firing threshold θ (V_th); default 1.
    public var threshold: Float
    /// Firing-condition factor: fire when U (compare) alpha·threshold (DSR's α, METHODS §2.2); default 1.
    public var alpha: Float
    /// Factor on the input current (DSR LIF uses 1 − β); default 1.
    public var inputGain: Float
    /// `"soft"` (subtract the threshold, the default), `"hard"` (reset to 0) or `"soft-unleaked"` (subtract the
    /// threshold after the next step's leak, as snnTorch's `Leaky`; needs leak > 0).
    public var reset: ResetMode
    /// `">"` (the default; BNTT) or `">="` (DSR, snnTorch).
    public var compare: ThresholdComparison
    /// U_0; default 0.
    public var initialPotential: Float
    public var surrogate: SurrogateSpec
    /// DSR's neuron (METHODS §2.2), required when the run's method is `dsr`; `threshold` is then the initial
    /// trainable V_th and `alpha` the firing factor α. Ignored by the other methods (as `surrogate` is by DSR).
    public var dsr: DSRNeuronSpec?

    public init(leak: Float = 1, threshold: Float = 1, alpha: Float = 1, inputGain: Float = 1, reset: ResetMode = .soft,
                compare: ThresholdComparison = .greater, initialPotential: Float = 0, surrogate: SurrogateSpec, dsr: DSRNeuronSpec? = nil) {
        self.dsr = dsr
        self.leak = leak
        self.threshold = threshold
        self.alpha = alpha
        self.inputGain = inputGain
        self.reset = reset
        self.compare = compare
        self.initialPotential = initialPotential
        self.surrogate = surrogate
    }

    static let fields = ["leak", "threshold", "alpha", "inputGain", "reset", "compare", "initialPotential", "surrogate", "dsr"]

    /// Decodes a complete neuron (`surrogate` required, the rest defaulted).
    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, over: nil)
    }

    /// Decodes a neuron whose absent fields come from `base` (a partial override), or from the defaults
    /// when `base` is nil.
    init(from decoder: any Decoder, over base: NeuronSpec?) throws {
        let c = try decoder.strictContainer(fields: Self.fields)
        leak = try c.optional("leak", default: base?.leak ?? 1)
        threshold = try c.optional("threshold", default: base?.threshold ?? 1)
        alpha = try c.optional("alpha", default: base?.alpha ?? 1)
        inputGain = try c.optional("inputGain", default: base?.inputGain ?? 1)
        reset = try c.optionalChoice("reset", named: "reset", default: base?.reset ?? .soft)
        compare = try c.optionalChoice("compare", named: "comparison", default: base?.compare ?? .greater)
        initialPotential = try c.optional("initialPotential", default: base?.initialPotential ?? 0)
        dsr = try c.optional("dsr") ?? base?.dsr
        if let base, !c.contains(SpecKey("surrogate")) {
            surrogate = base.surrogate
        } else if let base {
            surrogate = try SurrogateSpec(from: c.superDecoder(forKey: SpecKey("surrogate")), over: base.surrogate)
        } else {
            surrogate = try c.required("surrogate")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(leak, forKey: SpecKey("leak"))
        try c.encode(threshold, forKey: SpecKey("threshold"))
        try c.encode(alpha, forKey: SpecKey("alpha"))
        try c.encode(inputGain, forKey: SpecKey("inputGain"))
        try c.encode(reset.rawValue, forKey: SpecKey("reset"))
        try c.encode(compare.rawValue, forKey: SpecKey("compare"))
        try c.encode(initialPotential, forKey: SpecKey("initialPotential"))
        try c.encode(surrogate, forKey: SpecKey("surrogate"))
        try c.encodeIfPresent(dsr, forKey: SpecKey("dsr"))
    }
}

/// DSR's neuron model (METHODS §2.2, §2.5): `{"model": "lif", "thresholdFloor": 5e-4, "tau": 1, "dt": 0.05}`.
///
/// IF: U' = U + I, spikes of amplitude V_th. LIF: U' = β·U + (1 − β)·I with β = exp(−dt/τ), spikes of amplitude
/// V_th/dt. Both fire at U' ≥ α·V_th, reset by V_th, and clamp the trainable V_th below by `thresholdFloor` (V_b).
public struct DSRNeuronSpec: Sendable, Equatable, Codable {
    /// `"if"` or `"lif"`.
    public var model: DSRNeuronModel
    /// V_b; default 0.01 (the reference's IF recipe).
    public var thresholdFloor: Float
    /// LIF τ; default 1.
    public var tau: Float
    /// LIF Δt; default 0.05 (the reference's LIF default).
    public var dt: Float

    static let fields = ["model", "thresholdFloor", "tau", "dt"]

    public init(model: DSRNeuronModel, thresholdFloor: Float = 0.01, tau: Float = 1, dt: Float = 0.05) {
        self.model = model; self.thresholdFloor = thresholdFloor; self.tau = tau; self.dt = dt
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: Self.fields)
        model = try c.requiredChoice("model", named: "DSR neuron model")
        thresholdFloor = try c.optional("thresholdFloor", default: 0.01)
        tau = try c.optional("tau", default: 1)
        dt = try c.optional("dt", default: 0.05)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(model.rawValue, forKey: SpecKey("model"))
        try c.encode(thresholdFloor, forKey: SpecKey("thresholdFloor"))
        try c.encode(tau, forKey: SpecKey("tau"))
        try c.encode(dt, forKey: SpecKey("dt"))
    }
}

/// The surrogate derivative ∂s/∂U used in the backward pass, with `x = U/θ − 1` (0 at the threshold):
///
/// - `triangular`: `scale · max(0, 1 − |x|) / θ` (BNTT, METHODS §3.4); `scale` default 0.3.
/// - `atan`: `scale · (α/2) / (1 + (π/2 · α · x)²)` (snnTorch ATan); α default 2, scale default 1.
/// - `sigmoid`: `scale · α · σ(αx)(1 − σ(αx))` (SpikingJelly); α default 4, scale default 1.
///
/// JSON: `{"kind": "atan", "alpha": 2}`; `kind` required, `scale`/`alpha` optional (nil = the kind's
/// default; `alpha` does not apply to `triangular`). In a spiking layer's neuron override, a surrogate
/// with the same (or no) `kind` changes only the fields it gives; one with another `kind` replaces the
/// run's surrogate entirely.
public struct SurrogateSpec: Sendable, Equatable, Codable {
    /// The surrogate's shape (see the type's documentation).
    public enum Kind: String, Sendable, CaseIterable {
        case triangular, atan, sigmoid
    }

    public var kind: Kind
    /// Multiplier of the derivative; nil = the kind's default (`effectiveScale`).
    public var scale: Float?
    /// Sharpness; nil = the kind's default (`effectiveAlpha`).
    public var alpha: Float?

    public init(kind: Kind, scale: Float? = nil, alpha: Float? = nil) {
        self.kind = kind
        self.scale = scale
        self.alpha = alpha
    }

    /// `scale`, or the kind's default: 0.3 for triangular, 1 otherwise.
    public var effectiveScale: Float { scale ?? (kind == .triangular ? 0.3 : 1) }
    /// `alpha`, or the kind's default: 2 for atan, 4 for sigmoid (unused by triangular).
    public var effectiveAlpha: Float { alpha ?? (kind == .sigmoid ? 4 : 2) }

    static let fields = ["kind", "scale", "alpha"]

    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, over: nil)
    }

    /// Decodes a surrogate; with a `base`, a missing `kind` or the base's kind merges over the base.
    init(from decoder: any Decoder, over base: SurrogateSpec?) throws {
        let c = try decoder.strictContainer(fields: Self.fields)
        let givenKind: Kind? = try c.optionalChoice("kind", named: "surrogate")
        if let base, givenKind == nil || givenKind == base.kind {
            kind = base.kind
            scale = try c.optional("scale") ?? base.scale
            alpha = try c.optional("alpha") ?? base.alpha
        } else {
            guard let givenKind else { kind = try c.requiredChoice("kind", named: "surrogate"); scale = nil; alpha = nil; return }
            kind = givenKind
            scale = try c.optional("scale")
            alpha = try c.optional("alpha")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(kind.rawValue, forKey: SpecKey("kind"))
        try c.encodeIfPresent(scale, forKey: SpecKey("scale"))
        try c.encodeIfPresent(alpha, forKey: SpecKey("alpha"))
    }
}
