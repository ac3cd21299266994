/// What the pricing side needs to know about one layer of a network besides its counts: sizes (to place its
/// weights and state in a memory size class), its kind (to price the equivalent ANN layer) and its neuron model
/// (IF and LIF updates have different prices). Built by `SNNModel` from a network (`Network.energyShapes`).
public struct LayerShape: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// Dense or convolution: weights, synaptic ops or MACs.
        case weighted
        /// Spiking neurons (LIF, IF, DSR, TTFS kernels): membrane state, neuron updates, spikes.
        case spiking
        /// Batch normalisation.
        case batchNorm = "batch-norm"
        /// Average or max pooling.
        case pool
        /// Free reshapes (flatten) and anything else without a cost model.
        case other
    }

    public var name: String
    public var kind: Kind
    /// Weight values (parameters) of the layer.
    public var weights: Int64
    /// Input values per sample per step.
    public var inputs: Int64
    /// Output values (neurons) per sample per step.
    public var outputs: Int64
    /// MACs of the equivalent non-spiking layer per sample (0 unless weighted).
    public var annMACs: Int64
    /// Spiking layers: true for leaky neurons (LIF: leak multiply every step), false for IF (leak 1).
    public var leaky: Bool
    /// Batch norm whose statistics do not depend on the time step: folded into the preceding weights (and
    /// thresholds) at inference, so its inference counts are not charged. Per-step BN (BNTT) is not folded.
    public var foldedAtInference: Bool

    public init(name: String, kind: Kind, weights: Int64 = 0, inputs: Int64, outputs: Int64, annMACs: Int64 = 0,
                leaky: Bool = true, foldedAtInference: Bool = false) {
        self.name = name; self.kind = kind; self.weights = weights; self.inputs = inputs; self.outputs = outputs
        self.annMACs = annMACs; self.leaky = leaky; self.foldedAtInference = foldedAtInference
    }
}

/// How a profile's hardware moves data for a spiking layer (stated in every built-in profile, key `dataflow`).
public enum Dataflow: String, Sendable, Codable, CaseIterable {
    /// Event-driven (e.g. Loihi, TrueNorth, SpiNNaker): each input spike is fanned out; per synaptic op one weight
    /// read and one read-modify-write of the target membrane; one address computation per emitted spike; IF
    /// neurons need no per-step work when no input arrived.
    case eventDriven = "event-driven"
    /// Output-stationary (a systolic/accelerator style): each output neuron's membrane stays in a register while
    /// it reads every input spike of its receptive field (1 bit each) and the weights of the spikes that are set;
    /// one membrane read-modify-write per neuron per step; no address computation.
    case outputStationary = "output-stationary"
}

/// A term a user profile adds (e.g. a routing hop or static power): a constant times a linear combination of
/// counters (`EventCounts.fieldNames`, plus `timesteps` = inference samples × T).
public struct CustomTerm: Sendable, Codable, Equatable {
    public var name: String
    /// nil = unpriced (the reason is in `unpricedReason`).
    public var price: PricedConstant?
    public var unpricedReason: String?
    /// Counter name → coefficient.
    public var counts: [String: Double]

    public init(name: String, price: PricedConstant?, unpricedReason: String? = nil, counts: [String: Double]) {
        self.name = name; self.price = price; self.unpricedReason = unpricedReason; self.counts = counts
    }

    /// Counter names a custom term may use.
    public static let counterNames = EventCounts.fieldNames + ["timesteps"]

    /// Σ coefficient × counter over one cell of counts (`timesteps` excluded: it is not per layer).
    public func count(in c: EventCounts) -> Double {
        let f = c.fields
        var s = 0.0
        for (i, n) in EventCounts.fieldNames.enumerated() { if let k = counts[n] { s += k * Double(f[i]) } }
        return s
    }
}
