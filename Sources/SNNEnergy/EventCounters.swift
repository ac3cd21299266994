/// The phases a counted event belongs to. Inference is priced on its own; a training step is the sum of the
/// training phases.
public enum Phase: Int, CaseIterable, Sendable, Codable {
    case inference = 0
    case trainForward = 1
    case trainBackward = 2
    case optimizer = 3

    public var name: String {
        switch self {
        case .inference: "inference"
        case .trainForward: "train-forward"
        case .trainBackward: "train-backward"
        case .optimizer: "optimizer"
        }
    }
}

/// Exact integer counts of the events one layer performed in one phase and time step.
///
/// Counts are hardware-independent; `SNNEnergy` prices them later under a named profile ("count, then price").
/// Memory accesses are counted in 32-bit words.
public struct EventCounts: Sendable, Codable, Equatable {
    /// Multiply-accumulates on real-valued (non-spike) operands: dense layers fed by analog values, BN, backward.
    public var macs: Int64 = 0
    /// Synaptic accumulates: one per (input spike × fan-out); the event-driven cost of a spike-fed layer.
    public var synapticOps: Int64 = 0
    /// Neuron state updates (one per neuron per step).
    public var neuronUpdates: Int64 = 0
    /// Spikes emitted.
    public var spikes: Int64 = 0
    /// Weight words read.
    public var weightReads: Int64 = 0
    /// Membrane potential words read and written.
    public var membraneReads: Int64 = 0
    public var membraneWrites: Int64 = 0
    /// Words of saved forward state read back by BPTT's backward pass (and written by the forward pass).
    public var savedStateReads: Int64 = 0
    public var savedStateWrites: Int64 = 0

    public init() {}

    public static func += (lhs: inout EventCounts, rhs: EventCounts) {
        lhs.macs &+= rhs.macs
        lhs.synapticOps &+= rhs.synapticOps
        lhs.neuronUpdates &+= rhs.neuronUpdates
        lhs.spikes &+= rhs.spikes
        lhs.weightReads &+= rhs.weightReads
        lhs.membraneReads &+= rhs.membraneReads
        lhs.membraneWrites &+= rhs.membraneWrites
        lhs.savedStateReads &+= rhs.savedStateReads
        lhs.savedStateWrites &+= rhs.savedStateWrites
    }

    /// All fields in a fixed order (for the wire and the metrics store).
    public var fields: [Int64] {
        [macs, synapticOps, neuronUpdates, spikes, weightReads, membraneReads, membraneWrites,
         savedStateReads, savedStateWrites]
    }

    public static let fieldNames = ["macs", "synaptic_ops", "neuron_updates", "spikes", "weight_reads",
                                    "membrane_reads", "membrane_writes", "saved_state_reads", "saved_state_writes"]

    public init(fields f: [Int64]) {
        precondition(f.count == EventCounts.fieldNames.count)
        macs = f[0]; synapticOps = f[1]; neuronUpdates = f[2]; spikes = f[3]; weightReads = f[4]
        membraneReads = f[5]; membraneWrites = f[6]; savedStateReads = f[7]; savedStateWrites = f[8]
    }
}

/// Counts for a whole network: per layer, per phase and per time step.
///
/// Layers are identified by index (names travel alongside for reports). Adding ledgers is exact and
/// order-independent (integer addition), so counts from many micro-batches and workers reduce exactly.
public struct EventLedger: Sendable, Codable, Equatable {
    public let layerNames: [String]
    public let timesteps: Int
    /// Index: ((phase * layers) + layer) * timesteps + t.
    public private(set) var counts: [EventCounts]

    public init(layerNames: [String], timesteps: Int) {
        self.layerNames = layerNames
        self.timesteps = max(1, timesteps)
        self.counts = [EventCounts](repeating: EventCounts(),
                                    count: Phase.allCases.count * layerNames.count * self.timesteps)
    }

    @inlinable func index(_ phase: Phase, _ layer: Int, _ t: Int) -> Int {
        (phase.rawValue * layerNames.count + layer) * timesteps + t
    }

    public subscript(phase: Phase, layer: Int, t: Int) -> EventCounts {
        get { counts[index(phase, layer, t)] }
        set { counts[index(phase, layer, t)] = newValue }
    }

    /// Adds `delta` to one cell.
    public mutating func record(_ phase: Phase, layer: Int, t: Int, _ delta: EventCounts) {
        counts[index(phase, layer, t)] += delta
    }

    /// Sum over time steps for one layer and phase.
    public func total(_ phase: Phase, layer: Int) -> EventCounts {
        var s = EventCounts()
        for t in 0..<timesteps { s += self[phase, layer, t] }
        return s
    }

    /// Sum over layers and steps for one phase.
    public func total(_ phase: Phase) -> EventCounts {
        var s = EventCounts()
        for l in 0..<layerNames.count { s += total(phase, layer: l) }
        return s
    }

    public mutating func add(_ other: EventLedger) {
        precondition(other.layerNames.count == layerNames.count && other.timesteps == timesteps,
                     "ledger shapes differ")
        for i in counts.indices { counts[i] += other.counts[i] }
    }

    /// Clears every count, keeping the shape.
    public mutating func reset() {
        for i in counts.indices { counts[i] = EventCounts() }
    }
}
