import Foundation

/// Which spiking neuron a DSR layer runs (METHODS §2.2). The raw values are the short names used in configs.
public enum DSRNeuronModel: String, Sendable, Codable, CaseIterable {
    /// Integrate-and-fire: `U' = U + I`, output amplitude `V_th`, representation = plain firing rate.
    case integrateAndFire = "if"
    /// Leaky integrate-and-fire: `U' = β·U + (1−β)·I`, output amplitude `V_th/Δt`, representation = weighted rate.
    case leakyIntegrateAndFire = "lif"
}

/// Hyper-parameters of one DSR spiking layer (everything except the trainable threshold `V_th`, which the layer
/// owns as a parameter and passes to the kernels explicitly).
///
/// Defaults of the reference (METHODS §2.5): IF `α = 0.5`, `V_b = 0.01`; LIF `α = 0.3`, `V_b = 5e-4`, `τ = 1`,
/// `Δt = 0.05`. `τ` and `Δt` are constants (only `V_th` is trained in the reference).
public struct DSRParameters: Sendable, Equatable, Codable {
    public var model: DSRNeuronModel
    /// Firing-level factor: a neuron fires when `U' ≥ α·V_th` (reset and amplitude stay `V_th`).
    public var alpha: Float
    /// Lower bound `V_b` of the threshold: `V_th ← max(V_th, V_b)` before each forward pass.
    public var thresholdFloor: Float
    /// LIF membrane time constant `τ` (unused by IF).
    public var tau: Float
    /// LIF step length `Δt` (unused by IF).
    public var dt: Float

    public init(model: DSRNeuronModel, alpha: Float, thresholdFloor: Float, tau: Float = 1, dt: Float = 1) {
        self.model = model
        self.alpha = alpha
        self.thresholdFloor = thresholdFloor
        self.tau = tau
        self.dt = dt
    }

    /// LIF leak per step `β = exp(−Δt/τ)`, evaluated in Double and rounded once to Float (so every kernel and
    /// reference sees the same Float `β`). IF layers do not use it.
    public var beta: Float { Float(Foundation.exp(-Double(dt) / Double(tau))) }
}

/// Clamps the layer's trainable threshold in place (no gradient) and returns the value used (§2.2, oracle 6).
///
/// This is `V_th ← max(V_th, V_b)`, run at the start of every forward pass. (The reference writes it as
/// `relu(V_th − V_b) + V_b`, which in fp32 can move an above-floor `V_th` by one ulp; we keep the exact `max`
/// that METHODS specifies.)
@inlinable
public func dsrClampThreshold(_ vth: inout Float, _ p: DSRParameters) -> Float {
    vth = Swift.max(vth, p.thresholdFloor)
    return vth
}

/// The LIF representation weights `w_n = β^{N−n}` for `n = 1…N` (latest step weight 1), in Double.
/// IF uses the plain mean; these are only meaningful for LIF.
public func dsrStepWeights(beta: Float, steps: Int) -> [Double] {
    precondition(steps >= 1, "DSR needs at least one time step")
    var w = [Double](repeating: 1, count: steps)
    let b = Double(beta)
    var k = steps - 2
    while k >= 0 { w[k] = w[k + 1] * b; k -= 1 }
    return w
}

/// `Σ_n w_n` for the LIF weights of `dsrStepWeights`, summed in Double (oldest first).
public func dsrStepWeightSum(beta: Float, steps: Int) -> Double {
    dsrStepWeights(beta: beta, steps: steps).reduce(0, +)
}

/// Neurons processed per cache tile by the DSR kernels: the membrane and the running (weighted) sum of a tile,
/// 2 × 4 KiB, stay in L1 across all time steps, so each step only streams that tile's input and output rows.
let dsrTileWidth = 1024
