/// How evaluation runs. JSON: `{"earlyExit": {...}}`; the whole object is optional (default: all T steps).
public struct InferenceSpec: Sendable, Equatable, Codable {
    /// nil = run every time step.
    public var earlyExit: EarlyExitSpec?

    public init(earlyExit: EarlyExitSpec? = nil) {
        self.earlyExit = earlyExit
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: ["earlyExit"])
        earlyExit = try c.optional("earlyExit")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encodeIfPresent(earlyExit, forKey: SpecKey("earlyExit"))
    }
}

/// BNTT temporal early exit (METHODS §3.5), chosen once after training from the learned per-step scales:
///
///     γ̄_t = aggregate over per-step batchnorm layers of (mean over channels of γ_{l,t,c})
///     t*  = first t (1-based) with γ̄_t < threshold
///     T_exit = t* − 1 ("before", the default)  or  t* ("at");  T when no t qualifies
///
/// Inference then runs steps 1…T_exit and averages the readout over them. Example (METHODS §3.7 oracle 5):
/// γ̄ = [0.95, 0.75, 0.45, 0.15, 0.05], threshold 0.2 → t* = 4 → 3 steps ("before").
///
/// JSON: `{"threshold": 0.2, "aggregate": "mean", "convention": "before"}`; `threshold` required,
/// `aggregate` `"mean"` (default), `"min"` or `"max"` over layers; `convention` `"before"` (default) or `"at"`.
/// Needs at least one `batchnorm` layer with `perStep` true.
public struct EarlyExitSpec: Sendable, Equatable, Codable {
    /// How the per-layer γ means of one step are combined before the comparison.
    public enum Aggregate: String, Sendable, CaseIterable { case mean, min, max }
    /// Whether inference stops before the first step under the threshold or includes it.
    public enum Convention: String, Sendable, CaseIterable { case before, at }

    public var threshold: Float
    public var aggregate: Aggregate
    public var convention: Convention

    public init(threshold: Float, aggregate: Aggregate = .mean, convention: Convention = .before) {
        self.threshold = threshold
        self.aggregate = aggregate
        self.convention = convention
    }

    /// The number of steps to run for per-step aggregated scales `gammaBar` (index 0 = step 1); at least 1.
    public func exitSteps(gammaBar: [Float]) -> Int {
        guard let first = gammaBar.firstIndex(where: { $0 < threshold }) else { return gammaBar.count }
        let step = first + 1
        return max(1, convention == .at ? step : step - 1)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: ["threshold", "aggregate", "convention"])
        threshold = try c.required("threshold")
        aggregate = try c.optionalChoice("aggregate", named: "aggregate", default: .mean)
        convention = try c.optionalChoice("convention", named: "convention", default: .before)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(threshold, forKey: SpecKey("threshold"))
        try c.encode(aggregate.rawValue, forKey: SpecKey("aggregate"))
        try c.encode(convention.rawValue, forKey: SpecKey("convention"))
    }
}
