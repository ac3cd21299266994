/// TTFS settings (METHODS §1; reference defaults in parentheses, METHODS §1.5). JSON: the run's `"ttfs"` object,
/// allowed only with `"method": "ttfs"`; every field optional.
///
/// - `tau` (2), `delay` (0): initial τ and t_d of every layer's temporal kernel κ(t) = exp(−(t − t_d)/τ);
/// - `window` (8): T_w, the firing window of every layer in steps (the SNN runs `weight layers × window` steps);
/// - `thresholdOffset` (0.5): q of the SNN's dynamic threshold θ(t) = exp(−(t + q − t_d)/τ); 0.5 rounds like
///   training, 0 is the plain threshold (ceil, like the reference's surrogate evaluation);
/// - `relaxationEpochs` (50), `relaxationBypass` (0): stochastic relaxation, TK used with probability
///   p(e) = (1 − bypass)·(e + 1)/relaxationEpochs per hidden layer per step (ReLU otherwise);
/// - `quantizeAfterEpoch` (0), `clipAfterEpoch` (0): training rounds the spike time in epochs > this, and clips
///   values below x_m in epochs > that (0-based epochs);
/// - `kernelTrainingFrom` (50): τ and t_d are trained in epochs ≥ this; the L2-I regulariser
///   (weight `kernelRegularization`, 1e-5) from the epoch after it on, as in the reference;
/// - `tkbnWeight` (1e-5), `tkbnAfter` (50): the TKBN loss on BN γ, β in epochs > `tkbnAfter`.
public struct TTFSSpec: Sendable, Equatable, Codable {
    public var tau: Float
    public var delay: Float
    public var window: Int
    public var thresholdOffset: Float
    public var relaxationEpochs: Int
    public var relaxationBypass: Float
    public var quantizeAfterEpoch: Int
    public var clipAfterEpoch: Int
    public var kernelTrainingFrom: Int
    public var kernelRegularization: Float
    public var tkbnWeight: Float
    public var tkbnAfter: Int

    public init(tau: Float = 2, delay: Float = 0, window: Int = 8, thresholdOffset: Float = 0.5,
                relaxationEpochs: Int = 50, relaxationBypass: Float = 0, quantizeAfterEpoch: Int = 0, clipAfterEpoch: Int = 0,
                kernelTrainingFrom: Int = 50, kernelRegularization: Float = 1e-5, tkbnWeight: Float = 1e-5, tkbnAfter: Int = 50) {
        self.tau = tau; self.delay = delay; self.window = window; self.thresholdOffset = thresholdOffset
        self.relaxationEpochs = relaxationEpochs; self.relaxationBypass = relaxationBypass
        self.quantizeAfterEpoch = quantizeAfterEpoch; self.clipAfterEpoch = clipAfterEpoch
        self.kernelTrainingFrom = kernelTrainingFrom; self.kernelRegularization = kernelRegularization
        self.tkbnWeight = tkbnWeight; self.tkbnAfter = tkbnAfter
    }

    /// The reference defaults.
    public static let defaults = TTFSSpec()

    static let fields = ["tau", "delay", "window", "thresholdOffset", "relaxationEpochs", "relaxationBypass",
                         "quantizeAfterEpoch", "clipAfterEpoch", "kernelTrainingFrom", "kernelRegularization",
                         "tkbnWeight", "tkbnAfter"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: Self.fields)
        let d = Self.defaults
        tau = try c.optional("tau", default: d.tau)
        delay = try c.optional("delay", default: d.delay)
        window = try c.optional("window", default: d.window)
        thresholdOffset = try c.optional("thresholdOffset", default: d.thresholdOffset)
        relaxationEpochs = try c.optional("relaxationEpochs", default: d.relaxationEpochs)
        relaxationBypass = try c.optional("relaxationBypass", default: d.relaxationBypass)
        quantizeAfterEpoch = try c.optional("quantizeAfterEpoch", default: d.quantizeAfterEpoch)
        clipAfterEpoch = try c.optional("clipAfterEpoch", default: d.clipAfterEpoch)
        kernelTrainingFrom = try c.optional("kernelTrainingFrom", default: d.kernelTrainingFrom)
        kernelRegularization = try c.optional("kernelRegularization", default: d.kernelRegularization)
        tkbnWeight = try c.optional("tkbnWeight", default: d.tkbnWeight)
        tkbnAfter = try c.optional("tkbnAfter", default: d.tkbnAfter)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(tau, forKey: SpecKey("tau"))
        try c.encode(delay, forKey: SpecKey("delay"))
        try c.encode(window, forKey: SpecKey("window"))
        try c.encode(thresholdOffset, forKey: SpecKey("thresholdOffset"))
        try c.encode(relaxationEpochs, forKey: SpecKey("relaxationEpochs"))
        try c.encode(relaxationBypass, forKey: SpecKey("relaxationBypass"))
        try c.encode(quantizeAfterEpoch, forKey: SpecKey("quantizeAfterEpoch"))
        try c.encode(clipAfterEpoch, forKey: SpecKey("clipAfterEpoch"))
        try c.encode(kernelTrainingFrom, forKey: SpecKey("kernelTrainingFrom"))
        try c.encode(kernelRegularization, forKey: SpecKey("kernelRegularization"))
        try c.encode(tkbnWeight, forKey: SpecKey("tkbnWeight"))
        try c.encode(tkbnAfter, forKey: SpecKey("tkbnAfter"))
    }
}

extension RunSpec {
    /// The TTFS checks (METHODS §1): fields in range, and a network the SNN can run — hidden blocks
    /// conv/dense → batchnorm (over the batch, with shift) → spiking (the TK neurons) → optional maxpool, a last dense
    /// read as membrane potential, no time axis in training.
    func validateTTFS() throws {
        guard method == .ttfs else {
            try Self.check(ttfs == nil, "ttfs", "only applies to method ttfs (this run is \(method.rawValue)); remove it")
            return
        }
        let t = ttfs ?? TTFSSpec()
        try Self.check(t.tau.isFinite && t.tau > 0, "ttfs.tau", "must be > 0 (got \(t.tau))")
        try Self.check(t.delay.isFinite, "ttfs.delay", "must be a finite number (got \(t.delay))")
        try Self.check(t.window >= 1 && t.window <= 1000, "ttfs.window", "must be in 1...1000 steps (got \(t.window))")
        try Self.check(t.thresholdOffset == 0 || t.thresholdOffset == 0.5, "ttfs.thresholdOffset",
                       "must be 0.5 (rounds like training) or 0 (ceil) (got \(t.thresholdOffset))")
        try Self.check(t.relaxationEpochs >= 1, "ttfs.relaxationEpochs", "must be ≥ 1 (got \(t.relaxationEpochs))")
        try Self.check(t.relaxationBypass.isFinite && t.relaxationBypass >= 0 && t.relaxationBypass < 1, "ttfs.relaxationBypass",
                       "must be in [0, 1) (got \(t.relaxationBypass))")
        for (name, v) in [("quantizeAfterEpoch", t.quantizeAfterEpoch), ("clipAfterEpoch", t.clipAfterEpoch),
                          ("kernelTrainingFrom", t.kernelTrainingFrom), ("tkbnAfter", t.tkbnAfter)] {
            try Self.check(v >= 0, "ttfs.\(name)", "must be an epoch ≥ 0 (got \(v))")
        }
        try Self.check(t.kernelRegularization.isFinite && t.kernelRegularization >= 0, "ttfs.kernelRegularization",
                       "must be ≥ 0 (got \(t.kernelRegularization))")
        try Self.check(t.tkbnWeight.isFinite && t.tkbnWeight >= 0, "ttfs.tkbnWeight", "must be ≥ 0 (got \(t.tkbnWeight))")
        try Self.check(timesteps == 1, "timesteps",
                       "method ttfs trains without a time axis: set it to 1 (the SNN's steps come from ttfs.window)")
        try Self.check(input.encoding == .direct, "input.encoding", "method ttfs injects the real-valued image once: use direct")
        try Self.check(output.readout == .meanPotential, "output.readout",
                       "method ttfs reads the last dense layer's membrane potential: use mean-potential")
        var sawWeight = false
        for (i, layer) in layers.enumerated() {
            let here = "layers[\(i)]"
            switch layer {
            case .avgPool:
                throw SpecError(path: here, "method ttfs pools by first spike: use maxpool instead of avgpool")
            case .batchNorm(let bn):
                try Self.check(!bn.perStep, "\(here).perStep", "method ttfs has no time axis: set it to false")
                let prev = i > 0 ? layers[i - 1] : nil
                try Self.check(prev?.isWeightLayer == true, here, "method ttfs folds batchnorm into the conv/dense before it: put it right after one")
            case .spiking:
                let prev = i > 0 ? layers[i - 1] : nil
                let ok: Bool
                switch prev { case .batchNorm?, .conv?, .dense?: ok = true; default: ok = false }
                try Self.check(ok, here, "method ttfs: a spiking (TK) layer must follow a conv, dense or batchnorm layer")
            case .conv, .dense:
                if sawWeight {
                    var j = i - 1
                    while j > 0, layers[j].typeName == "flatten" || layers[j].typeName == "maxpool" { j -= 1 }
                    try Self.check(layers[j].typeName == "spiking", here,
                                   "method ttfs: every conv/dense after the first must take spikes (put a spiking layer before it)")
                }
                sawWeight = true
            case .maxPool:
                let prev = i > 0 ? layers[i - 1] : nil
                var ok = false
                if case .spiking? = prev { ok = true }
                try Self.check(ok, here, "method ttfs: maxpool gates spikes, so it must follow a spiking layer")
            case .flatten:
                break
            case .relu:
                throw SpecError(path: here, "method ttfs: its activation is the temporal kernel; use a spiking (TK) layer instead of relu")
            }
        }
        let last = layers[layers.count - 1]
        guard case .dense = last else {
            throw SpecError(path: "layers[\(layers.count - 1)]", "method ttfs ends with the dense output layer (no batchnorm, no spiking after it)")
        }
    }
}
