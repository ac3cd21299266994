/// The training method a run uses (METHODS.md).
///
/// - `bptt`: plain surrogate-gradient BPTT, as in the benchmark workloads W1/W2 (BENCHMARKS.md).
/// - `bntt`: BPTT with batch norm through time (METHODS §3): per-step BN scales, Poisson input, early exit.
/// - `dsr`: differentiation on spike representation (METHODS §2): rate readout, no BPTT through membranes.
/// - `ttfs`: time-to-first-spike (METHODS §1): a temporal-kernel surrogate DNN, run as a one-spike-per-neuron SNN.
/// - `ann`: a non-spiking CNN (conv/dense → BN → ReLU, average pooling), the source network of ECC conversion
///   (METHODS §4.3); `timesteps` 1, direct input, `mean-potential` readout.
public enum MethodKind: String, Sendable, Codable, CaseIterable, SpecChoice {
    case bptt, bntt, dsr, ttfs, ann
    static var choiceName: String { "method" }
    public init(from decoder: any Decoder) throws { self = try Self.decodeChoice(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try encodeChoice(to: encoder) }
}

/// How a (normalised) image becomes input current over the T steps.
///
/// - `direct`: the image is the input current at every step (constant over T).
/// - `poisson`: a fresh Bernoulli draw per pixel per step, `sign(x)·1[r·poissonScale ≤ |x|]`, `r ~ U[0,1)`
///   (METHODS §3.2), i.e. firing probability `min(1, |x|/poissonScale)`.
public enum InputEncoding: String, Sendable, Codable, CaseIterable, SpecChoice {
    case direct, poisson
    static var choiceName: String { "encoding" }
    public init(from decoder: any Decoder) throws { self = try Self.decodeChoice(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try encodeChoice(to: encoder) }
}

/// What the network's output for a sample is, and so what the loss sees as logits.
///
/// - `mean-potential` (BNTT): the last layer is dense with no neuron; its outputs averaged over T.
/// - `spike-count` (W1/W2): spikes of the last spiking layer summed over T.
/// - `rate` (DSR): the firing rate (spikes × amplitude / T) of the last spiking layer.
public enum Readout: String, Sendable, Codable, CaseIterable, SpecChoice {
    case meanPotential = "mean-potential"
    case spikeCount = "spike-count"
    case rate
    static var choiceName: String { "readout" }
    public init(from decoder: any Decoder) throws { self = try Self.decodeChoice(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try encodeChoice(to: encoder) }
}
