/// One priceable kind of event: a field of `EventCounts` seen from the pricing side.
///
/// A hardware profile states, for every term, a price, a memory size class, "unpriced" or "included in
/// another term" (see `TermPrice`). Wire bytes and codec time are deliberately not terms: they are a
/// property of the cluster, not of the hardware an SNN would run on, and are reported separately.
public enum EnergyTerm: String, CaseIterable, Sendable, Codable, Comparable {
    case mac
    case synapticOp
    /// Neuron updates of leaky (LIF) neurons; of all neurons when the network's layers are not known.
    case neuronUpdate
    /// Neuron updates of IF neurons (no leak multiply). Optional in a profile: when absent, IF updates are priced
    /// as `neuronUpdate` (an upper bound) and the report says so.
    case ifUpdate
    case spike
    case weightRead
    case membraneRead
    case membraneWrite
    case savedStateRead
    case savedStateWrite

    /// Memory terms are priced through a memory size class (SRAM of some size, or DRAM).
    public var isMemory: Bool {
        switch self {
        case .mac, .synapticOp, .neuronUpdate, .ifUpdate, .spike: false
        default: true
        }
    }

    /// The number of events of this term in `c` (memory terms count 32-bit words), with every neuron update
    /// counted as a `neuronUpdate` (`count(in:leaky:)` splits IF from LIF when the layer is known).
    public func count(in c: EventCounts) -> Int64 { count(in: c, leaky: true) }

    /// As `count(in:)`, with the neuron updates of a layer of IF neurons (`leaky` false) counted as `ifUpdate`.
    public func count(in c: EventCounts, leaky: Bool) -> Int64 {
        switch self {
        case .mac: c.macs
        case .synapticOp: c.synapticOps
        case .neuronUpdate: leaky ? c.neuronUpdates : 0
        case .ifUpdate: leaky ? 0 : c.neuronUpdates
        case .spike: c.spikes
        case .weightRead: c.weightReads
        case .membraneRead: c.membraneReads
        case .membraneWrite: c.membraneWrites
        case .savedStateRead: c.savedStateReads
        case .savedStateWrite: c.savedStateWrites
        }
    }

    /// Human-readable name with its unit, for tables.
    public var label: String {
        switch self {
        case .mac: "MACs"
        case .synapticOp: "synaptic ops (AC)"
        case .neuronUpdate: "neuron updates (LIF)"
        case .ifUpdate: "neuron updates (IF)"
        case .spike: "spikes"
        case .weightRead: "weight reads (words)"
        case .membraneRead: "membrane reads (words)"
        case .membraneWrite: "membrane writes (words)"
        case .savedStateRead: "saved-state reads (words)"
        case .savedStateWrite: "saved-state writes (words)"
        }
    }

    public static func < (a: EnergyTerm, b: EnergyTerm) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
