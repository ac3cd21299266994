import Foundation

/// The pseudo-derivative ∂s/∂U used in place of the Heaviside step's (zero almost everywhere) derivative.
///
/// Each case is the one a reference method trains with, so that copied hyper-parameters mean the same:
/// BNTT's triangle, snnTorch's ATan and SpikingJelly's sigmoid. All are centred on the threshold θ.
public enum Surrogate: Sendable, Equatable, Codable {
    /// BNTT: `scale · max(0, 1 − |U/θ − 1|) / θ` (scale 0.3 in the reference).
    case triangular(scale: Float)
    /// snnTorch `ATan`: with `x = U − θ`, `(α/2) / (1 + (π/2·α·x)²)` (α = 2 by default).
    case atan(alpha: Float)
    /// SpikingJelly `Sigmoid`: with `x = U − θ`, `α·σ(αx)·(1 − σ(αx))` (α = 4 by default).
    case sigmoid(alpha: Float)

    /// ∂s/∂U at `potential` for a neuron with threshold `threshold`, written as the textbook formula.
    public func derivative(potential: Float, threshold: Float) -> Float {
        switch self {
        case .triangular(let scale):
            return scale * max(0, 1 - abs(potential / threshold - 1)) / threshold
        case .atan(let alpha):
            let z = Float.pi / 2 * alpha * (potential - threshold)
            return (alpha / 2) / (1 + z * z)
        case .sigmoid(let alpha):
            let sg = 1 / (1 + Foundation.exp(-alpha * (potential - threshold)))
            return alpha * sg * (1 - sg)
        }
    }
}
