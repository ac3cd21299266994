/// The full-model comparison a user reads first: the SNN's inference energy per sample under the profile's
/// dataflow and memory model, and the equivalent non-spiking network (ANN) priced under the *same* memory model,
/// each as an interval over memory placements (see `Scenario`). Compute, memory and neuron state are all in.
///
/// Equations (per sample; counts from the ledger's inference phase divided by the samples; `w(l)`, `m(l)`,
/// `a(l)` the per-word price of layer l's weight, membrane and activation memory in the scenario's class):
/// - weighted layer, SNN: `S·E_AC + M·E_MAC + R·w(l)` plus, event-driven, `S·(m_r(l)+m_w(l))` (one membrane
///   read-modify-write per synaptic op), or, output-stationary, `A·T·in1(l)` (every input spike of the receptive
///   field read, 1 bit) `+ N·T·(m_r+m_w)`; a MAC-fed layer (analog input) accumulates in a register: `N·(M/A)·(m_r+m_w)`.
/// - spiking layer: `U·E_upd + U·(m_r+m_w)` (+ `K·E_addr` event-driven). Event-driven IF neurons need no work in a
///   step without input, so the low end charges `min(U, S_in)` updates (S_in: synaptic ops into the layer).
/// - pooling: `S·E_AC` (max-pool ORs per input spike; average pooling is folded into the next layer, which
///   counts its synaptic ops per constituent spike). BN that is not per-step: folded, 0. Per-step BN: `M·E_MAC`.
/// - ANN weighted layer: `A·E_MAC + A·w(l) + A·a_in(l) + N·a_out(l)` (no reuse: every MAC reads its weight and
///   its input; at the low end each input is read once); ReLU: `N·E_AC`; pooling: `inputs·E_AC`; BN folded.
/// S synaptic ops, M MACs, R weight reads, U neuron updates, K spikes, A the layer's ANN MACs, N its outputs.
public struct DataflowComparison: Sendable, Codable, Equatable {
    /// Memory placements; every figure is given for each.
    public enum Scenario: String, Sendable, Codable, CaseIterable {
        /// Every access at the smallest (cheapest) class: perfect tiling; event-driven IF updates only with input.
        case low
        /// Lemaire et al. 2022: each layer's weights and its state in the smallest class that holds them; DRAM low end.
        case nominal
        /// One memory for the whole network's weights (and one for all state), sized for the total; DRAM high end.
        case high
    }

    /// A figure for each scenario, in joules.
    public struct Interval: Sendable, Codable, Equatable {
        public var low: Double
        public var nominal: Double
        public var high: Double
        public init(low: Double, nominal: Double, high: Double) { self.low = low; self.nominal = nominal; self.high = high }
        subscript(_ s: Scenario) -> Double {
            get { s == .low ? low : s == .nominal ? nominal : high }
            set { switch s { case .low: low = newValue; case .nominal: nominal = newValue; case .high: high = newValue } }
        }
        static let zero = Interval(low: 0, nominal: 0, high: 0)
    }

    /// One layer's share (nominal scenario) and where its data live.
    public struct Layer: Sendable, Codable, Equatable {
        public var layer: Int
        public var name: String
        public var kind: String
        /// Memory class of the weights / the state (nominal), "" when the layer has none or the profile prices no memory.
        public var weightClass: String
        public var stateClass: String
        public var snnJ: Interval
        public var annJ: Interval?
    }

    public var profile: String
    public var dataflow: String
    public var samples: Int
    public var timesteps: Int
    /// SNN energy per inference sample.
    public var snnJ: Interval
    /// The equivalent ANN per inference sample; nil when the profile cannot price it (no MAC price).
    public var annJ: Interval?
    /// SNN/ANN per scenario (same memory placement on both sides).
    public var ratio: Interval?
    public var layers: [Layer]
    /// Counted events this profile cannot price (the SNN figure is then partial), "term: count per sample".
    public var unpricedSNN: [String]
    /// Why the ANN is not priced, when it is not.
    public var annUnpricedReason: String?
    /// What was charged and assumed, in words, for the report.
    public var assumptions: [String]
    /// The literature-style figure on the same counts (SOPs × 0.9 + MACs × 4.6 pJ vs ANN MACs × 4.6 pJ, per
    /// sample, BN and pooling layers left out on both sides), so a one-line summary can show both.
    public var literatureSNNJ: Double = 0
    public var literatureANNJ: Double = 0

    public var isPartial: Bool { !unpricedSNN.isEmpty }
}

extension DataflowComparison {
    /// Prices the inference phase of `ledger` (covering `samples` samples) for a network of `shapes` (one per
    /// ledger layer) under `profile`. Returns nil when there is nothing to compare (no samples, shapes missing).
    public static func price(ledger: EventLedger, shapes: [LayerShape], profile: EnergyProfile,
                             samples: Int) -> DataflowComparison? {
        guard samples > 0, shapes.count == ledger.layerNames.count else { return nil }
        let n = Double(samples)
        let T = ledger.timesteps
        let ed = profile.dataflow == .eventDriven
        func price(_ t: EnergyTerm) -> Double? { profile.pJ(t) }
        func charged(_ t: EnergyTerm) -> Double? {
            // Included terms are part of another constant: 0 extra here. Unpriced: nil.
            switch profile.resolved(t) {
            case .priced(let p, _, _, _): return p
            case .included: return 0
            case .unpriced: return nil
            }
        }
        var unpriced: [String: Double] = [:]
        func cost(_ count: Double, _ t: EnergyTerm) -> Double {
            guard count != 0 else { return 0 }
            if let p = charged(t) { return count * p }
            unpriced[t.label, default: 0] += count
            return 0
        }
        let updatePrice: (Bool) -> EnergyTerm = { leaky in (leaky || !profile.pricesIFUpdates) ? .neuronUpdate : .ifUpdate }

        // Memory placement.
        let bounded = profile.memoryClasses.values.filter { $0.capacityBytes != nil }.sorted { $0.capacityBytes! < $1.capacityBytes! }
        let unbounded = profile.memoryClasses.values.filter { $0.capacityBytes == nil }.sorted { $0.pJPerAccess < $1.pJPerAccess }.first
        func place(bytes: Int64, _ s: Scenario) -> MemoryClass? {
            if s == .low { return bounded.first ?? unbounded }
            return bounded.first { $0.capacityBytes! >= bytes } ?? unbounded ?? bounded.last
        }
        /// pJ per access of `bits` bits to data of `bytes` (or `totalBytes` in the high scenario) for memory term `t`.
        func mem(_ t: EnergyTerm, bits: Int? = nil, bytes: Int64, totalBytes: Int64, _ s: Scenario) -> (Double?, String) {
            switch profile.terms[t] {
            case .memory(let fixed, let wordBits)?:
                let b = bits ?? wordBits
                guard let c = bounded.isEmpty && unbounded == nil ? profile.memoryClasses[fixed]
                        : place(bytes: s == .high ? totalBytes : bytes, s) else { return (nil, "") }
                let access = (s == .high ? c.pJPerAccessHigh : nil) ?? c.pJPerAccess
                return (access * Double(b) / Double(c.accessBits), c.name)
            case .priced(let c)?: return (c.pJ, "")
            case .included?: return (0, "")
            default: return (nil, "")
            }
        }
        func bitsOf(_ t: EnergyTerm) -> Int {
            if case .memory(_, let b)? = profile.terms[t] { return b }
            return profile.wordBits
        }
        let wBits = bitsOf(.weightRead), mBits = bitsOf(.membraneRead), aBits = wBits
        let totalWeightBytes = shapes.reduce(Int64(0)) { $0 + $1.weights * Int64(wBits) / 8 }
        // State: every layer that holds neurons (spiking layers, and weighted/pool layers that update neurons, as in ECC).
        let totalStateBytes = shapes.indices.filter { l in
            shapes[l].kind == .spiking
                || ([.weighted, .pool].contains(shapes[l].kind) && ledger.total(.inference, layer: l).neuronUpdates > 0)
        }.reduce(Int64(0)) { $0 + shapes[$1].outputs * Int64(mBits) / 8 }
        let totalActBytes = shapes.reduce(Int64(0)) { $0 + $1.outputs * Int64(aBits) / 8 }

        let annMAC = price(.mac)
        var annReason: String? = annMAC == nil ? "profile \(profile.name) prices no MAC (no multiply-accumulate datapath), so the equivalent ANN cannot be priced on it" : nil
        let eAC = price(.synapticOp)
        if annReason == nil, eAC == nil { annReason = "profile \(profile.name) prices no add (synaptic op), needed for ReLU and pooling" }

        var total = Interval.zero, annTotal = Interval.zero
        var lines: [Layer] = []
        var lastWeightedIn: (s: Double, macFed: Bool)? = nil
        for (l, shape) in shapes.enumerated() {
            let c = ledger.total(.inference, layer: l)
            let S = Double(c.synapticOps) / n, M = Double(c.macs) / n, U = Double(c.neuronUpdates) / n
            let K = Double(c.spikes) / n, R = Double(c.weightReads) / n
            let A = Double(shape.annMACs), N = Double(shape.outputs)
            var snn = Interval.zero, ann = Interval.zero
            var wClass = "", sClass = ""
            for s in Scenario.allCases {
                var e = 0.0, a = 0.0
                func m(_ t: EnergyTerm, bits: Int? = nil, bytes: Int64, total: Int64, count: Double) -> Double {
                    guard count != 0 else { return 0 }
                    let (p, cls) = mem(t, bits: bits, bytes: bytes, totalBytes: total, s)
                    if s == .nominal && !cls.isEmpty {
                        if t == .weightRead && bits == nil { wClass = cls } else if t == .membraneRead && bits == nil { sClass = cls }
                    }
                    guard let p else { if s == .nominal { unpriced[t.label, default: 0] += count }; return 0 }
                    return count * p
                }
                // Counting of unpriced compute terms once (in the nominal pass).
                func compute(_ count: Double, _ t: EnergyTerm) -> Double {
                    if s == .nominal { return cost(count, t) }
                    return count == 0 ? 0 : count * (charged(t) ?? 0)
                }
                let wBytes = shape.weights * Int64(wBits) / 8
                let stBytes = shape.outputs * Int64(mBits) / 8
                switch shape.kind {
                case .weighted:
                    e += compute(S, .synapticOp) + compute(M, .mac)
                    e += m(.weightRead, bytes: wBytes, total: totalWeightBytes, count: R)
                    let macSteps = A > 0 ? M / A : 0
                    var rmw = macSteps * N
                    if ed { rmw += S } else if S > 0 {
                        rmw += N * Double(T)
                        e += m(.membraneRead, bits: 1, bytes: (shape.inputs + 7) / 8, total: (shape.inputs + 7) / 8, count: A * Double(T))
                    }
                    e += m(.membraneRead, bytes: stBytes, total: totalStateBytes, count: rmw)
                    e += m(.membraneWrite, bytes: stBytes, total: totalStateBytes, count: rmw)
                    lastWeightedIn = (S, M > 0)
                    if let pMAC = annMAC {
                        func annMem(_ t: EnergyTerm, bytes: Int64, total: Int64, count: Double) -> Double {
                            guard count != 0, let p = mem(t, bytes: bytes, totalBytes: total, s).0 else { return 0 }
                            return count * p
                        }
                        let inBytes = shape.inputs * Int64(aBits) / 8, outBytes = shape.outputs * Int64(aBits) / 8
                        a += A * pMAC
                        a += annMem(.weightRead, bytes: wBytes, total: totalWeightBytes, count: A)
                        a += annMem(.weightRead, bytes: inBytes, total: totalActBytes, count: s == .low ? Double(shape.inputs) : A)
                        a += annMem(.weightRead, bytes: outBytes, total: totalActBytes, count: N)
                    }
                case .spiking:
                    var updates = U
                    if s == .low, ed, !shape.leaky, let prev = lastWeightedIn, !prev.macFed { updates = min(U, prev.s) }
                    e += compute(updates, updatePrice(shape.leaky))
                    e += m(.membraneRead, bytes: stBytes, total: totalStateBytes, count: updates)
                    e += m(.membraneWrite, bytes: stBytes, total: totalStateBytes, count: updates)
                    if ed { e += compute(K, .spike) }
                    e += compute(M, .mac) + compute(S, .synapticOp)
                    a += N * (eAC ?? 0)
                case .batchNorm:
                    if !shape.foldedAtInference { e += compute(M, .mac) + compute(S, .synapticOp) }
                case .pool:
                    e += compute(S, .synapticOp) + compute(M, .mac)
                    a += Double(shape.inputs) * (eAC ?? 0)
                case .other:
                    e += compute(S, .synapticOp) + compute(M, .mac) + compute(U, updatePrice(shape.leaky))
                }
                // A weighted or pooling layer that also holds its neurons (ECC's converted layers: IF after every
                // conv, dense and pool) pays for them as a spiking layer fed by its own synaptic ops.
                if (shape.kind == .weighted || shape.kind == .pool) && U > 0 {
                    var updates = U
                    if s == .low, ed, !shape.leaky, M == 0 { updates = min(U, S) }
                    e += compute(updates, updatePrice(shape.leaky))
                    e += m(.membraneRead, bytes: stBytes, total: totalStateBytes, count: updates)
                    e += m(.membraneWrite, bytes: stBytes, total: totalStateBytes, count: updates)
                    if ed { e += compute(K, .spike) }
                    if shape.kind == .pool && ed { e += m(.membraneRead, bytes: stBytes, total: totalStateBytes, count: S)
                                                    + m(.membraneWrite, bytes: stBytes, total: totalStateBytes, count: S) }
                    a += N * (eAC ?? 0)   // the ANN's ReLU after the layer
                }
                for ct in profile.customTerms {
                    let k = ct.count(in: c) / n
                    guard k != 0 else { continue }
                    if let p = ct.price { e += k * p.pJ } else if s == .nominal { unpriced[ct.name, default: 0] += k }
                }
                snn[s] = e * 1e-12; ann[s] = a * 1e-12
            }
            total.low += snn.low; total.nominal += snn.nominal; total.high += snn.high
            annTotal.low += ann.low; annTotal.nominal += ann.nominal; annTotal.high += ann.high
            lines.append(Layer(layer: l, name: ledger.layerNames[l], kind: shape.kind.rawValue, weightClass: wClass,
                               stateClass: sClass, snnJ: snn, annJ: annReason == nil ? ann : nil))
        }
        // Network-level custom counters (timesteps).
        for ct in profile.customTerms {
            guard let k = ct.counts["timesteps"], k != 0 else { continue }
            let steps = k * Double(T)
            if let p = ct.price {
                total.low += steps * p.pJ * 1e-12; total.nominal += steps * p.pJ * 1e-12; total.high += steps * p.pJ * 1e-12
            } else { unpriced[ct.name, default: 0] += steps }
        }
        var ratio: Interval?
        if annReason == nil, annTotal.low > 0, annTotal.nominal > 0, annTotal.high > 0 {
            ratio = Interval(low: total.low / annTotal.low, nominal: total.nominal / annTotal.nominal, high: total.high / annTotal.high)
        }
        var assumptions = [
            "dataflow \(profile.dataflow.rawValue)" + (profile.dataflowStated ? " (stated by the profile)" : " (NOT stated by the profile: assumed)") + ": "
                + (ed ? "per synaptic op one weight read and one membrane read-modify-write; one address computation (the profile's spike term) per emitted spike; IF neurons updated only in steps with input at the low end, every step otherwise"
                      : "per spike-fed layer and step every input spike of each receptive field read (1 bit) and one weight read per set spike; membrane kept in a register, one read-modify-write per neuron per step; no address computation"),
            "memory: low = every access at the smallest class; nominal = each layer's weights and state in the smallest class that holds them (Lemaire et al. 2022), DRAM at its low end; high = one memory for the whole network's weights (and one for its state), DRAM at its high end",
            "ANN: same topology, one pass (no time steps), same memory model and word sizes as the SNN's weights; no reuse (each MAC reads its weight and its input; at the low end each input once), each output written once; ReLU = one compare priced as an add; BN folded into the weights; pooling = one add per input value",
            "SNN: average pooling folded into the next layer (one synaptic op per constituent spike, weights w/k²); max pooling of spikes = one OR per input spike (priced as an add); BN with statistics shared over steps folded at inference (not charged); per-step BN (BNTT) charged one MAC per value",
            "not counted on either side: control, instruction fetch, static/leakage power (unless a profile term adds it), inter-core routing beyond the spike term",
        ]
        if bounded.isEmpty && unbounded == nil {
            assumptions.append("profile \(profile.name) has no memory classes: memory is part of its per-event constants (included), so all three scenarios coincide")
        }
        if !profile.pricesIFUpdates { assumptions.append("profile \(profile.name) states no IF-update price: IF neurons are priced as LIF updates (upper bound)") }
        var litS = 0.0, litA = 0.0
        for (l, sh) in shapes.enumerated() where sh.kind != .batchNorm && sh.kind != .pool {
            let c = ledger.total(.inference, layer: l)
            litS += (Double(c.synapticOps) * EnergyReport.conventionEACpJ + Double(c.macs) * EnergyReport.conventionEMACpJ) / n
            litA += Double(sh.annMACs) * EnergyReport.conventionEMACpJ
        }
        return DataflowComparison(
            profile: profile.name, dataflow: profile.dataflow.rawValue, samples: samples, timesteps: T,
            snnJ: total, annJ: annReason == nil ? annTotal : nil, ratio: ratio, layers: lines,
            unpricedSNN: unpriced.keys.sorted().map { "\($0): \(ReportFormat.real(unpriced[$0]!, 6)) per sample" },
            annUnpricedReason: annReason, assumptions: assumptions, literatureSNNJ: litS * 1e-12, literatureANNJ: litA * 1e-12)
    }
}
