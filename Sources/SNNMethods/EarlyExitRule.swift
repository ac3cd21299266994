import SNNModel

/// BNTT's temporal early exit (METHODS §3.5, as we specify it): from the per-step mean scale γ̄_t, run inference
/// only for the steps before the first t where γ̄_t falls below η (convention "before"), or up to and including
/// that step ("at"). The same exit applies to every input.
public struct EarlyExitRule: Sendable, Equatable {
    public typealias Convention = EarlyExitSpec.Convention
    public var threshold: Float
    public var convention: Convention
    /// How the per-layer γ means of one step are combined before the comparison (`inference.earlyExit.aggregate`).
    public typealias Aggregate = EarlyExitSpec.Aggregate
    public var aggregate: Aggregate

    public init(threshold: Float, convention: Convention = .before, aggregate: Aggregate = .mean) {
        self.threshold = threshold; self.convention = convention; self.aggregate = aggregate
    }

    /// Combines one step's per-layer values with `aggregate`.
    public func combine(_ perLayer: [Float]) -> Float {
        switch aggregate {
        case .mean: perLayer.reduce(0, +) / Float(perLayer.count)
        case .min: perLayer.min()!
        case .max: perLayer.max()!
        }
    }

    /// Steps to simulate, at least 1 and at most `meanGamma.count`.
    public func exitSteps(meanGamma: [Float]) -> Int {
        guard let first = meanGamma.firstIndex(where: { $0 < threshold }) else { return meanGamma.count }
        // `first` is 0-based; METHODS numbers steps from 1: first t (1-based) = first + 1.
        let steps = convention == .before ? first : first + 1
        return max(1, min(meanGamma.count, steps))
    }
}
