/// How a neuron's membrane potential is reset after it fires.
///
/// `soft` subtracts the threshold θ (BNTT, DSR, ECC: the residual above θ is kept, so rates are not floored);
/// `hard` sets the potential to 0 (SpikingJelly's default IF/LIF); `softUnleaked` subtracts θ from the next step's
/// potential *after* the leak (snnTorch's `reset_mechanism="subtract"`), so a spike removes the full θ however
/// strong the leak, where `soft` removes θ before the leak and so only `leak·θ` from the next potential. The reset is
/// a constant in the backward graph (detached), as in every reference implementation.
public enum ResetMode: String, Sendable, Codable, CaseIterable {
    /// `U ← U − θ·s`: the next step sees `leak·(U − θ·s) + inputGain·I`.
    case soft
    /// `U ← U·(1 − s)`, i.e. 0 after a spike.
    case hard
    /// The next step sees `leak·U − θ·s + inputGain·I` (snnTorch `Leaky`, `reset_mechanism="subtract"`).
    /// Needs `leak > 0` (the kernels subtract `θ/leak` before the leak).
    case softUnleaked = "soft-unleaked"
}

/// Whether a neuron fires when its potential is strictly above, or at least, the firing level `alpha·θ`.
///
/// BNTT fires on `U > θ`; DSR and SpikingJelly fire on `U ≥ α·θ`. The difference decides oracle spike steps
/// whenever a potential lands exactly on the threshold.
public enum ThresholdComparison: String, Sendable, Codable, CaseIterable {
    case greater = ">"
    case greaterOrEqual = ">="
}

/// Everything that defines one layer's (leaky) integrate-and-fire dynamics, shared by all its neurons.
///
/// One step: `U_t = leak·U'_{t−1} + inputGain·I_t` (with `U'_0 = initialPotential`), a spike
/// `s_t = (U_t cmp alpha·θ)`, then the reset of `ResetMode`. `leak = 1` is an IF neuron. The separate `inputGain`
/// lets one kernel cover snnTorch/BNTT (1), SpikingJelly (1/τ) and DSR's LIF (1 − β); `alpha` is DSR's firing-level
/// factor (the reset still removes the full θ).
public struct LIFParameters: Sendable, Equatable, Codable {
    /// λ, the factor the potential keeps from one step to the next; 1 = no leak (IF).
    public var leak: Float
    /// θ, the amount a soft reset subtracts and the base of the firing level.
    public var threshold: Float
    /// A neuron fires when `U (cmp) alpha·θ`; 1 for BNTT and most methods, e.g. 0.5 for DSR's IF recipe.
    public var alpha: Float
    /// Factor on the input current: `U = leak·U + inputGain·I`.
    public var inputGain: Float
    /// What a spike does to the potential.
    public var reset: ResetMode
    /// `>` or `≥` against the firing level.
    public var comparison: ThresholdComparison
    /// The potential before the first step (ECC's initial offset `h·θ`; 0 otherwise).
    public var initialPotential: Float

    public init(leak: Float = 1, threshold: Float = 1, alpha: Float = 1, inputGain: Float = 1,
                reset: ResetMode = .soft, comparison: ThresholdComparison = .greater, initialPotential: Float = 0) {
        self.leak = leak
        self.threshold = threshold
        self.alpha = alpha
        self.inputGain = inputGain
        self.reset = reset
        self.comparison = comparison
        self.initialPotential = initialPotential
    }

    /// What a spike subtracts from the potential before the next step's leak: θ (soft), θ/leak (soft-unleaked, so
    /// that after the leak exactly θ is gone); unused by a hard reset.
    @inlinable public var resetAmount: Float { reset == .softUnleaked ? threshold / leak : threshold }

    /// The potential at or above which (or strictly above which, see `comparison`) the neuron fires: `alpha·θ`.
    @inlinable public var firingLevel: Float { alpha * threshold }

    /// Whether a potential `u` (before reset) produces a spike.
    @inlinable public func fires(_ u: Float) -> Bool {
        switch comparison {
        case .greater: return u > firingLevel
        case .greaterOrEqual: return u >= firingLevel
        }
    }
}
