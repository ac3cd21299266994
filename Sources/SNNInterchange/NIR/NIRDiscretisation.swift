import SNNCore

/// How our discrete-time neuron and NIR's continuous-time LIF/IF map onto each other, for a time step Δt.
///
/// NIR (nir 1.0.x): LIF `τ·dv/dt = (v_leak − v) + R·I`, IF `dv/dt = R·I`; spike `z = v > v_threshold`, then
/// `v ← v_reset`. We discretise with **forward Euler over one step Δt**, the convention of Norse's and snnTorch's
/// NIR bridges, with the input held over the step:
///
///     LIF: v_t = (1 − Δt/τ)·v_{t−1} + (Δt/τ)·v_leak + (Δt·R/τ)·I_t
///     IF:  v_t = v_{t−1} + (Δt·R)·I_t
///
/// which is our `U_t = λ·U_{t−1} + g·I_t` with
///
///     λ = 1 − Δt/τ,  g = Δt·R/τ   (LIF, v_leak = 0)        τ = Δt/(1 − λ),  R = g/(1 − λ)
///     λ = 1,         g = Δt·R     (IF)                     R = g/Δt
///
/// The coefficients are computed in double precision and rounded once to float32 (our kernels' type); τ and R
/// are written as float64 so that export then import gives back λ and g bit for bit. Firing and reset: NIR fires on
/// `v > v_threshold` and resets to `v_reset`, i.e. our hard reset (`reset: "hard"`, `v_reset` 0) with
/// `compare: ">"` and `v_threshold = alpha·threshold`. `compare: ">="` exports as
/// `v_threshold = nextDown(alpha·threshold)` (the largest float32 below it), which is the same test for every
/// float32 potential. Our soft reset (`U ← U − θ`) has no NIR equivalent.
public enum NIRDiscretisation {
    /// The default step, in seconds (Norse's default dt); τ in the file is in the same unit.
    public static let defaultDt = 1e-3

    /// λ and g of a NIR LIF with time constant `tau` and resistance `r` at step `dt`.
    public static func lif(tau: Double, r: Double, dt: Double) -> (leak: Float, gain: Float) {
        (Float(1 - dt / tau), Float(dt * r / tau))
    }

    /// g of a NIR IF with resistance `r` at step `dt` (λ = 1).
    public static func ifGain(r: Double, dt: Double) -> Float { Float(dt * r) }

    /// τ and R of the NIR LIF that discretises to leak `leak` < 1 and gain `gain`.
    public static func lifConstants(leak: Float, gain: Float, dt: Double) -> (tau: Double, r: Double) {
        let oneMinus = 1 - Double(leak)
        return (dt / oneMinus, Double(gain) / oneMinus)
    }

    /// R of the NIR IF that discretises to gain `gain`.
    public static func ifResistance(gain: Float, dt: Double) -> Double { Double(gain) / dt }

    /// NIR's `v_threshold` for our firing test `U (cmp) level`.
    public static func threshold(level: Float, comparison: ThresholdComparison) -> Float {
        comparison == .greater ? level : level.nextDown
    }
}
