import Foundation

/// How the learning rate changes over a run, as the reference implementations schedule it.
public enum LearningRateSchedule: Sendable, Equatable, Codable {
    /// The base rate throughout.
    case constant
    /// BNTT: multiply by `factor` at every epoch `e ≥ milestone·totalEpochs` (milestones as fractions of the run,
    /// e.g. `[0.5, 0.7, 0.9]` with factor 0.1). Epochs count from 0.
    case step(milestones: [Double], factor: Float)
    /// DSR: cosine per epoch `lr_e = ½·lr·(1 + cos(π·e/E))`, and during the first `warmupIterations` global
    /// iterations `i` (counting from 0 over the whole run) a linear warm-up `lr_e·(i + 1)/warmupIterations`.
    case cosine(warmupIterations: Int)

    /// The rate for epoch `epoch` (0-based) of `totalEpochs`, at global iteration `iteration` (0-based).
    public func rate(base: Float, epoch: Int, totalEpochs: Int, iteration: Int) -> Float {
        switch self {
        case .constant:
            return base
        case let .step(milestones, factor):
            var rate = base
            for milestone in milestones where Double(epoch) >= milestone * Double(totalEpochs) { rate *= factor }
            return rate
        case let .cosine(warmupIterations):
            let e = Double(epoch), total = Double(max(totalEpochs, 1))
            var rate = 0.5 * Double(base) * (1 + cos(Double.pi * e / total))
            if iteration < warmupIterations { rate *= Double(iteration + 1) / Double(warmupIterations) }
            return Float(rate)
        }
    }
}
